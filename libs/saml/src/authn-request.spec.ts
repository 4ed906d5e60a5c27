import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync } from 'node:zlib';
import {
  MAX_POST_INFLATED_BYTES,
  MAX_SAML_ID_LENGTH,
  MAX_SAML_REQUEST_ENCODED_BYTES,
  MAX_SAML_REQUEST_INFLATED_BYTES,
  SamlRequestError,
  decodePostSamlRequest,
  decodeRedirectSamlRequest,
  parseAuthnRequest,
} from './authn-request';
import { buildErrorResponse } from './response';
import { ACS_URL, EMAIL_FORMAT, IDP_ENTITY_ID, SP_ENTITY_ID, assertSchemaValid, nodeSamlSp } from './spec-helpers';

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SSO_URL = 'https://idp.example.org/saml/sso/redirect';

function redirectParam(xml: string | Buffer): string {
  return deflateRawSync(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml).toString('base64');
}

function authnRequest(
  attributes = 'ID="_abc123" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"',
  body = `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>`,
) {
  return `<samlp:AuthnRequest xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}" ${attributes}>${body}</samlp:AuthnRequest>`;
}

function rejects(fn: () => unknown, reason: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SamlRequestError, `expected SamlRequestError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

describe('decode + parseAuthnRequest: accepted requests', () => {
  it('reads every field of a request node-saml sends with the Redirect binding', async () => {
    const sp = nodeSamlSp('unused-for-requests', {
      entryPoint: SSO_URL,
      forceAuthn: true,
      passive: true,
      identifierFormat: EMAIL_FORMAT,
      generateUniqueId: () => 'node-saml-request-1',
    });
    const before = Date.now();
    const url = new URL(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
    const parsed = parseAuthnRequest(decodeRedirectSamlRequest(url.searchParams.get('SAMLRequest')!));
    assert.equal(parsed.id, 'node-saml-request-1');
    assert.equal(parsed.issuer, SP_ENTITY_ID);
    assert.equal(parsed.destination, SSO_URL);
    assert.equal(parsed.assertionConsumerServiceUrl, ACS_URL);
    assert.equal(parsed.assertionConsumerServiceIndex, undefined);
    assert.equal(parsed.protocolBinding, 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    assert.equal(parsed.forceAuthn, true);
    assert.equal(parsed.isPassive, true);
    assert.equal(parsed.nameIdPolicyFormat, EMAIL_FORMAT);
    // node-saml writes IssueInstant with milliseconds; it must be "now".
    assert.ok(parsed.issueInstant.getTime() >= before - 1000 && parsed.issueInstant.getTime() <= Date.now());
  });

  it('reads a hand-written request, POST binding, with an ACS index and an XML declaration', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- from the SP -->\n' +
      authnRequest(
        'ID="_abc123" Version="2.0" IssueInstant="2030-01-02T03:04:05.250Z" AssertionConsumerServiceIndex="3" ForceAuthn="0" IsPassive="false"',
        `<saml:Issuer> ${SP_ENTITY_ID} </saml:Issuer><samlp:NameIDPolicy AllowCreate="true"/>`,
      );
    const parsed = parseAuthnRequest(decodePostSamlRequest(Buffer.from(xml).toString('base64')));
    assert.deepEqual(parsed, {
      id: '_abc123',
      issuer: SP_ENTITY_ID,
      issueInstant: new Date('2030-01-02T03:04:05.250Z'),
      destination: undefined,
      assertionConsumerServiceUrl: undefined,
      assertionConsumerServiceIndex: 3,
      protocolBinding: undefined,
      forceAuthn: false,
      isPassive: false,
      nameIdPolicyFormat: undefined,
      subject: undefined,
      requestedAuthnContext: undefined,
    });
  });

  it('accepts base64 wrapped over several lines', () => {
    const wrapped = redirectParam(authnRequest()).replace(/(.{20})/g, '$1\r\n');
    assert.equal(parseAuthnRequest(decodeRedirectSamlRequest(wrapped)).id, '_abc123');
  });

  it('inflates exactly up to the cap', () => {
    const atCap = 'a'.repeat(MAX_SAML_REQUEST_INFLATED_BYTES);
    assert.equal(decodeRedirectSamlRequest(redirectParam(atCap)), atCap);
  });

  it('exposes the requested Subject: its NameID and Format', () => {
    const subject = (nameId: string) =>
      `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer><saml:Subject>${nameId}<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"/></saml:Subject>`;
    assert.deepEqual(
      parseAuthnRequest(authnRequest(undefined, subject(`<saml:NameID Format="${EMAIL_FORMAT}"> ada@example.com </saml:NameID>`))).subject,
      {
        nameId: 'ada@example.com',
        nameIdFormat: EMAIL_FORMAT,
      },
    );
    assert.deepEqual(parseAuthnRequest(authnRequest(undefined, subject('<saml:NameID>ada</saml:NameID>'))).subject, {
      nameId: 'ada',
      nameIdFormat: undefined,
    });
    assert.equal(parseAuthnRequest(authnRequest()).subject, undefined);
  });
});

describe('decodeRedirectSamlRequest / decodePostSamlRequest: refused input', () => {
  it('refuses text that is not base64', () => {
    rejects(() => decodeRedirectSamlRequest('not base64!'), 'malformed_request');
    rejects(() => decodeRedirectSamlRequest('%3D%3D'), 'malformed_request');
    rejects(() => decodeRedirectSamlRequest('abcde'), 'malformed_request');
    rejects(() => decodeRedirectSamlRequest(''), 'malformed_request');
    rejects(() => decodePostSamlRequest('PHg+<'), 'malformed_request');
  });

  it('refuses base64 that is not raw DEFLATE (including zlib-wrapped)', () => {
    rejects(() => decodeRedirectSamlRequest(Buffer.from('<xml/>').toString('base64')), 'malformed_request');
    rejects(() => decodeRedirectSamlRequest(deflateSync(Buffer.from(authnRequest())).toString('base64')), 'malformed_request');
  });

  it('refuses bytes that are not UTF-8', () => {
    rejects(() => decodeRedirectSamlRequest(redirectParam(Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]))), 'malformed_request');
  });

  it('refuses an encoded parameter over the cap before decoding it', () => {
    rejects(() => decodeRedirectSamlRequest('A'.repeat(MAX_SAML_REQUEST_ENCODED_BYTES + 4)), 'request_too_large');
    rejects(() => decodePostSamlRequest('A'.repeat(MAX_SAML_REQUEST_ENCODED_BYTES + 4)), 'request_too_large');
  });

  it('inflates a deflated HTTP-POST request only up to MAX_POST_INFLATED_BYTES: the binding does not deflate', () => {
    const padded = (bytes: number) => {
      const xml = authnRequest(undefined, `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer><!---->`);
      return xml.replace('<!---->', `<!--${'x'.repeat(bytes - xml.length)}-->`);
    };
    assert.equal(parseAuthnRequest(decodePostSamlRequest(redirectParam(padded(MAX_POST_INFLATED_BYTES)))).id, '_abc123');
    rejects(() => decodePostSamlRequest(redirectParam(padded(MAX_POST_INFLATED_BYTES + 1))), 'request_too_large');
    // Sent as the binding says, base64 only, the same request is read up to the general cap.
    assert.equal(
      parseAuthnRequest(decodePostSamlRequest(Buffer.from(padded(MAX_POST_INFLATED_BYTES + 1)).toString('base64'))).id,
      '_abc123',
    );
  });

  it('refuses a small deflate bomb (1 KB that inflates to 1 MB)', () => {
    const bomb = redirectParam(Buffer.alloc(1024 * 1024));
    assert.ok(bomb.length < 2048);
    rejects(() => decodeRedirectSamlRequest(bomb), 'request_too_large');
  });

  it('stops inflating at the cap instead of inflating a 46 MB bomb and measuring it afterwards', () => {
    const bomb = deflateRawSync(Buffer.alloc(46 * 1024 * 1024), { level: 9 }).toString('base64');
    assert.ok(bomb.length <= MAX_SAML_REQUEST_ENCODED_BYTES, 'the bomb must pass the encoded-size cap to test the inflate cap');
    const peakBefore = process.resourceUsage().maxRSS; // kilobytes, high-water mark
    rejects(() => decodeRedirectSamlRequest(bomb), 'request_too_large');
    const growthMb = (process.resourceUsage().maxRSS - peakBefore) / 1024;
    assert.ok(growthMb < 24, `peak memory grew by ${growthMb.toFixed(1)} MB`);
  });
});

describe('parseAuthnRequest: refused documents', () => {
  it('refuses any DOCTYPE, including a billion-laughs entity bomb', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
      authnRequest(undefined, `<saml:Issuer>&lol3;</saml:Issuer>`);
    rejects(() => parseAuthnRequest(laughs), 'doctype_forbidden');
    rejects(() => parseAuthnRequest(`<!doctype samlp:AuthnRequest>${authnRequest()}`), 'doctype_forbidden');
    rejects(
      () =>
        parseAuthnRequest(
          `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${authnRequest(undefined, '<saml:Issuer>&xxe;</saml:Issuer>')}`,
        ),
      'doctype_forbidden',
    );
    // Also through the decoder, as it arrives over HTTP.
    rejects(() => parseAuthnRequest(decodeRedirectSamlRequest(redirectParam(laughs))), 'doctype_forbidden');
  });

  it('refuses an entity reference with no DTD', () => {
    rejects(() => parseAuthnRequest(authnRequest(undefined, '<saml:Issuer>&xxe;</saml:Issuer>')), 'malformed_request');
  });

  it('refuses a wrong root element or a right name in the wrong namespace', () => {
    rejects(
      () => parseAuthnRequest(`<samlp:LogoutRequest xmlns:samlp="${PROTOCOL}" ID="_a" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"/>`),
      'wrong_root_element',
    );
    rejects(
      () => parseAuthnRequest(`<AuthnRequest xmlns="urn:example:not-saml" ID="_a" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"/>`),
      'wrong_root_element',
    );
  });

  it('refuses two root elements and trailing content', () => {
    rejects(() => parseAuthnRequest(authnRequest() + authnRequest()), 'malformed_request');
    rejects(() => parseAuthnRequest(`${authnRequest()}garbage`), 'malformed_request');
    rejects(() => parseAuthnRequest(`${authnRequest()}<?evil processing?>`), 'malformed_request');
    rejects(() => parseAuthnRequest(authnRequest().slice(0, -5)), 'malformed_request');
    rejects(() => parseAuthnRequest(''), 'malformed_request');
  });

  it('refuses missing or invalid required fields', () => {
    rejects(() => parseAuthnRequest(authnRequest('Version="2.0" IssueInstant="2030-01-02T03:04:05Z"')), 'missing_field');
    rejects(() => parseAuthnRequest(authnRequest('ID="_a" Version="2.0"')), 'missing_field');
    rejects(() => parseAuthnRequest(authnRequest('ID="_a" Version="2.0" IssueInstant="yesterday"')), 'malformed_request');
    rejects(() => parseAuthnRequest(authnRequest('ID="_a" IssueInstant="2030-01-02T03:04:05Z"')), 'unsupported_version');
    rejects(() => parseAuthnRequest(authnRequest('ID="_a" Version="1.1" IssueInstant="2030-01-02T03:04:05Z"')), 'unsupported_version');
    rejects(() => parseAuthnRequest(authnRequest(undefined, '')), 'missing_field');
    rejects(() => parseAuthnRequest(authnRequest(undefined, '<saml:Issuer>  </saml:Issuer>')), 'missing_field');
    // An Issuer in the wrong namespace is not the Issuer.
    rejects(() => parseAuthnRequest(authnRequest(undefined, `<samlp:Issuer>${SP_ENTITY_ID}</samlp:Issuer>`)), 'missing_field');
  });

  it('refuses an ID that is not an xs:ID, since it would come back as a schema-invalid InResponseTo', async () => {
    for (const id of ['1abc', '-a', '.a', 'a b', 'a:b', 'a/b', 'a\u00E9', '\u{10400}x']) {
      rejects(() => parseAuthnRequest(authnRequest(`ID="${id}" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"`)), 'malformed_request');
    }
    // The IDs SPs send are read, and echo into a valid answer.
    for (const id of ['_abc123', 'id-4f1c.2', 'ONELOGIN_5b7e-9c', 'a0f3', '_']) {
      const request = parseAuthnRequest(authnRequest(`ID="${id}" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"`));
      assert.equal(request.id, id);
      assertSchemaValid(
        await buildErrorResponse({
          issuer: IDP_ENTITY_ID,
          destination: ACS_URL,
          inResponseTo: request.id,
          statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
        }),
      );
    }
  });

  it('refuses ambiguous or ill-typed optional fields', () => {
    const base = 'ID="_a" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"';
    const issuer = `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>`;
    rejects(() => parseAuthnRequest(authnRequest(undefined, issuer + issuer)), 'malformed_request');
    rejects(
      () => parseAuthnRequest(authnRequest(`${base} AssertionConsumerServiceIndex="1" AssertionConsumerServiceURL="${ACS_URL}"`)),
      'malformed_request',
    );
    rejects(() => parseAuthnRequest(authnRequest(`${base} AssertionConsumerServiceIndex="70000"`)), 'malformed_request');
    rejects(() => parseAuthnRequest(authnRequest(`${base} AssertionConsumerServiceIndex="-1"`)), 'malformed_request');
    rejects(() => parseAuthnRequest(authnRequest(`${base} ForceAuthn="yes"`)), 'malformed_request');
    rejects(
      () => parseAuthnRequest(authnRequest(undefined, `${issuer}<samlp:NameIDPolicy Format="a"/><samlp:NameIDPolicy Format="b"/>`)),
      'malformed_request',
    );
  });

  it('refuses an ID longer than MAX_SAML_ID_LENGTH: it is stored and echoed', () => {
    const withId = (id: string) => authnRequest(`ID="${id}" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"`);
    assert.equal(parseAuthnRequest(withId(`_${'a'.repeat(MAX_SAML_ID_LENGTH - 1)}`)).id.length, MAX_SAML_ID_LENGTH);
    rejects(() => parseAuthnRequest(withId(`_${'a'.repeat(MAX_SAML_ID_LENGTH)}`)), 'malformed_request');
    rejects(() => parseAuthnRequest(withId(`_${'a'.repeat(100_000)}`)), 'malformed_request');
  });

  it('refuses an Issuer that holds elements instead of flattening them into its text, and one longer than an entity ID can be', () => {
    assert.throws(() => parseAuthnRequest(authnRequest(undefined, `<saml:Issuer>https://sp<saml:x>.example.com</saml:x></saml:Issuer>`)), {
      reason: 'malformed_request',
      message: 'Issuer must be text only, but contains <saml:x>',
    });
    rejects(
      () => parseAuthnRequest(authnRequest(undefined, `<saml:Issuer><a xmlns="urn:x">${SP_ENTITY_ID}</a></saml:Issuer>`)),
      'malformed_request',
    );
    // Comments and CDATA are text: they are still read as before.
    assert.equal(
      parseAuthnRequest(authnRequest(undefined, '<saml:Issuer>https://sp<!-- c -->.example<![CDATA[.com]]></saml:Issuer>')).issuer,
      'https://sp.example.com',
    );
    assert.equal(parseAuthnRequest(authnRequest(undefined, `<saml:Issuer>https://${'a'.repeat(1016)}</saml:Issuer>`)).issuer.length, 1024);
    rejects(
      () => parseAuthnRequest(authnRequest(undefined, `<saml:Issuer>https://${'a'.repeat(1017)}</saml:Issuer>`)),
      'malformed_request',
    );
  });

  it('refuses a Subject it cannot honour: no NameID, two of them, an empty one, or one holding elements', () => {
    const issuer = `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>`;
    const subject = (inner: string) => parseAuthnRequest(authnRequest(undefined, `${issuer}<saml:Subject>${inner}</saml:Subject>`));
    rejects(() => subject('<saml:EncryptedID><x xmlns="urn:x"/></saml:EncryptedID>'), 'unsupported_subject');
    rejects(() => subject('<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"/>'), 'unsupported_subject');
    rejects(() => subject('<saml:NameID>a</saml:NameID><saml:NameID>b</saml:NameID>'), 'malformed_request');
    rejects(() => subject('<saml:NameID> </saml:NameID>'), 'missing_field');
    rejects(() => subject('<saml:NameID>a<b xmlns="urn:x">c</b></saml:NameID>'), 'malformed_request');
    rejects(
      () =>
        parseAuthnRequest(
          authnRequest(
            undefined,
            `${issuer}<saml:Subject><saml:NameID>a</saml:NameID></saml:Subject><saml:Subject><saml:NameID>b</saml:NameID></saml:Subject>`,
          ),
        ),
      'malformed_request',
    );
  });

  it('refuses NUL and lone surrogates in any field instead of handing them on as data', () => {
    const base = 'ID="_a" Version="2.0" IssueInstant="2030-01-02T03:04:05Z"';
    const issuer = `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>`;
    for (const bad of ['\u0000', '&#0;', '\uD800', '\uDBFF', '\uDC00', '&#xD800;']) {
      rejects(() => parseAuthnRequest(authnRequest(undefined, `<saml:Issuer>${SP_ENTITY_ID}${bad}x</saml:Issuer>`)), 'malformed_request');
      rejects(() => parseAuthnRequest(authnRequest(`${base} Destination="https://idp${bad}x"`)), 'malformed_request');
      rejects(
        () => parseAuthnRequest(authnRequest(undefined, `${issuer}<saml:Subject><saml:NameID>ada${bad}x</saml:NameID></saml:Subject>`)),
        'malformed_request',
      );
    }
  });

  it('refuses a request nested 18,000 levels deep (a few hundred bytes deflated) while parsing it, as too complex', () => {
    const deep = authnRequest(
      undefined,
      `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer><samlp:Extensions>${'<a>'.repeat(18_000)}${'</a>'.repeat(18_000)}</samlp:Extensions>`,
    );
    const encoded = redirectParam(deep);
    assert.ok(encoded.length < 1024, `${encoded.length} characters on the wire`);
    assert.throws(() => parseAuthnRequest(decodeRedirectSamlRequest(encoded)), {
      reason: 'request_too_complex',
      message: 'elements are nested more than 32 levels deep',
    });
    // Elements inside the Issuer, deep enough to overflow a recursive read of its text.
    rejects(
      () => parseAuthnRequest(authnRequest(undefined, `<saml:Issuer>${'<a>'.repeat(18_000)}${'</a>'.repeat(18_000)}</saml:Issuer>`)),
      'request_too_complex',
    );
    rejects(
      () => parseAuthnRequest(authnRequest(undefined, `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>${'<a xmlns="urn:x"/>'.repeat(1000)}`)),
      'request_too_complex',
    );
  });

  it('refuses XML handed in directly that is larger than the inflate cap', () => {
    rejects(
      () => parseAuthnRequest(authnRequest(undefined, `<saml:Issuer>${'a'.repeat(MAX_SAML_REQUEST_INFLATED_BYTES)}</saml:Issuer>`)),
      'request_too_large',
    );
  });
});
