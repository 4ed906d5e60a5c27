import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { SamlStatusError, ValidateInResponseTo } from '@node-saml/node-saml';
import { generateSigningCredentials, type SigningCredentials } from './credentials';
import { decodeRedirectSamlRequest, parseAuthnRequest } from './authn-request';
import { buildAssertionPreview, buildErrorResponse, buildResponse, type ResponseOptions } from './response';
import {
  ACS_URL,
  EMAIL_FORMAT,
  IDP_ENTITY_ID,
  SP_ENTITY_ID,
  assertSchemaValid,
  childNames,
  nodeSamlSp,
  nodeSamlValidate,
  only,
  parseXml,
  samlifyEntities,
  testCredentials,
  xmlsecVerify,
} from './spec-helpers';

// Directory values an attacker may control: each must reach the SP as this exact string.
const HOSTILE_CLOSE_TAG = '</saml:AttributeValue><x>';
const HOSTILE_COMMENT = 'a<!--c-->b';
const WITH_CR = 'line1\r\nline2';
// Everything else the XML writer must escape or replace, in element text and in attribute values.
const METACHARACTERS = ['&amp; "q" \'a\' > ]]>', 'nel\u0085ls\u2028', 'tab\tlf\n', 'nul\u0000', 'astral \u{1F600}'];

const NAME_ID_FORMATS: Array<[format: string, value: string]> = [
  [EMAIL_FORMAT, 'alice@example.com'],
  ['urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified', 'alice'],
  // What the IdP sends: an HMAC in base64url, and a fresh SAML ID.
  ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', 'x3Jq9vT_Uu-2cHk8b0QZ4mN1rW7sYpLa5dEfGh6iJkM'],
  ['urn:oasis:names:tc:SAML:2.0:nameid-format:transient', '_8f14e45fceea167a5a36dedd4bea2543c0f1b2e3'],
];

let credentials: SigningCredentials;
beforeAll(async () => {
  credentials = await testCredentials();
});

function options(overrides: Partial<ResponseOptions> = {}): ResponseOptions {
  return {
    issuer: IDP_ENTITY_ID,
    destination: ACS_URL,
    inResponseTo: '_request-1',
    audience: SP_ENTITY_ID,
    nameId: 'alice@example.com',
    nameIdFormat: EMAIL_FORMAT,
    sessionIndex: '_session-42',
    attributes: [
      { name: 'email', values: ['alice@example.com'] },
      { name: 'groups', values: ['Engineering', 'Admins & Ops'] },
      { name: 'hostile', values: [HOSTILE_CLOSE_TAG, HOSTILE_COMMENT] },
    ],
    signAssertion: true,
    signResponse: true,
    credentials,
    ...overrides,
  };
}

describe('buildResponse: structure', () => {
  const now = new Date('2030-01-02T03:04:05.678Z');

  it('follows SAML core schema order with both signatures after their Issuer', async () => {
    const doc = parseXml(await buildResponse(options({ now })));
    const response = doc.documentElement!;
    assert.deepEqual(childNames(response), ['saml:Issuer', 'ds:Signature', 'samlp:Status', 'saml:Assertion']);
    assert.deepEqual(childNames(only(response, 'saml:Assertion')), [
      'saml:Issuer',
      'ds:Signature',
      'saml:Subject',
      'saml:Conditions',
      'saml:AuthnStatement',
      'saml:AttributeStatement',
    ]);
  });

  it('writes every field the SP checks, with exact values', async () => {
    const doc = parseXml(await buildResponse(options({ now, sessionNotOnOrAfter: new Date('2030-01-02T11:04:05Z') })));
    const response = doc.documentElement!;
    const assertion = only(response, 'saml:Assertion');
    assert.equal(response.namespaceURI, 'urn:oasis:names:tc:SAML:2.0:protocol');
    assert.match(response.getAttribute('ID')!, /^_[0-9a-f]{40}$/);
    assert.match(assertion.getAttribute('ID')!, /^_[0-9a-f]{40}$/);
    assert.notEqual(response.getAttribute('ID'), assertion.getAttribute('ID'));
    assert.equal(response.getAttribute('Version'), '2.0');
    assert.equal(response.getAttribute('IssueInstant'), '2030-01-02T03:04:05Z');
    assert.equal(response.getAttribute('Destination'), ACS_URL);
    assert.equal(response.getAttribute('InResponseTo'), '_request-1');
    assert.equal(only(response, 'samlp:StatusCode').getAttribute('Value'), 'urn:oasis:names:tc:SAML:2.0:status:Success');
    assert.equal(assertion.getAttribute('IssueInstant'), '2030-01-02T03:04:05Z');

    const nameId = only(assertion, 'saml:NameID');
    assert.equal(nameId.textContent, 'alice@example.com');
    assert.equal(nameId.getAttribute('Format'), EMAIL_FORMAT);
    assert.equal(only(assertion, 'saml:SubjectConfirmation').getAttribute('Method'), 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
    const confirmation = only(assertion, 'saml:SubjectConfirmationData');
    assert.equal(confirmation.getAttribute('Recipient'), ACS_URL);
    assert.equal(confirmation.getAttribute('InResponseTo'), '_request-1');
    assert.equal(confirmation.getAttribute('NotOnOrAfter'), '2030-01-02T03:09:05Z');

    const conditions = only(assertion, 'saml:Conditions');
    assert.equal(conditions.getAttribute('NotBefore'), '2030-01-02T03:03:05Z');
    assert.equal(conditions.getAttribute('NotOnOrAfter'), '2030-01-02T03:09:05Z');
    assert.equal(only(conditions, 'saml:Audience').textContent, SP_ENTITY_ID);

    const authn = only(assertion, 'saml:AuthnStatement');
    assert.equal(authn.getAttribute('AuthnInstant'), '2030-01-02T03:04:05Z');
    assert.equal(authn.getAttribute('SessionIndex'), '_session-42');
    assert.equal(authn.getAttribute('SessionNotOnOrAfter'), '2030-01-02T11:04:05Z');
    assert.equal(only(authn, 'saml:AuthnContextClassRef').textContent, 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport');

    const groups = Array.from(assertion.getElementsByTagName('saml:Attribute')).find((a) => a.getAttribute('Name') === 'groups')!;
    assert.equal(groups.getAttribute('NameFormat'), 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic');
    const values = Array.from(groups.getElementsByTagName('saml:AttributeValue'));
    assert.deepEqual(
      values.map((v) => v.textContent),
      ['Engineering', 'Admins & Ops'],
    );
    assert.deepEqual(
      values.map((v) => v.getAttributeNS('http://www.w3.org/2001/XMLSchema-instance', 'type')),
      ['xs:string', 'xs:string'],
    );
    assert.equal(values[0].lookupNamespaceURI('xs'), 'http://www.w3.org/2001/XMLSchema');
  });

  it('honours custom validity, skew, authn context and authn instant, and omits optional parts', async () => {
    const doc = parseXml(
      await buildResponse(
        options({
          now,
          inResponseTo: undefined,
          attributes: [],
          validitySeconds: 120,
          notBeforeSkewSeconds: 0,
          authnInstant: new Date('2030-01-02T02:00:00.999Z'),
          authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509',
        }),
      ),
    );
    const response = doc.documentElement!;
    assert.equal(response.hasAttribute('InResponseTo'), false);
    assert.equal(only(response, 'saml:SubjectConfirmationData').hasAttribute('InResponseTo'), false);
    assert.equal(response.getElementsByTagName('saml:AttributeStatement').length, 0);
    assert.equal(only(response, 'saml:Conditions').getAttribute('NotBefore'), '2030-01-02T03:04:05Z');
    assert.equal(only(response, 'saml:Conditions').getAttribute('NotOnOrAfter'), '2030-01-02T03:06:05Z');
    assert.equal(only(response, 'saml:AuthnStatement').getAttribute('AuthnInstant'), '2030-01-02T02:00:00Z');
    assert.equal(only(response, 'saml:AuthnStatement').hasAttribute('SessionNotOnOrAfter'), false);
    assert.equal(only(response, 'saml:AuthnContextClassRef').textContent, 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509');
  });

  it('signs with RSA-SHA256, SHA-256 digests, exclusive c14n and the certificate in KeyInfo', async () => {
    const doc = parseXml(await buildResponse(options()));
    const signatures = Array.from(doc.getElementsByTagName('ds:Signature'));
    assert.equal(signatures.length, 2);
    const ids = [doc.documentElement!.getAttribute('ID'), only(doc.documentElement!, 'saml:Assertion').getAttribute('ID')];
    for (const [i, signature] of signatures.entries()) {
      assert.equal(only(signature, 'ds:SignatureMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      assert.equal(only(signature, 'ds:CanonicalizationMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/10/xml-exc-c14n#');
      assert.equal(only(signature, 'ds:DigestMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmlenc#sha256');
      assert.equal(only(signature, 'ds:Reference').getAttribute('URI'), `#${ids[i]}`);
      assert.deepEqual(
        Array.from(signature.getElementsByTagName('ds:Transform')).map((t) => t.getAttribute('Algorithm')),
        ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      );
      const body = credentials.certificatePem.replace(/-----[A-Z ]+-----|\s/g, '');
      assert.equal(only(signature, 'ds:X509Certificate').textContent, body);
    }
  });

  it('refuses to build a response with no signature at all', async () => {
    await assert.rejects(buildResponse(options({ signAssertion: false, signResponse: false })), /must sign/);
  });
});

describe('buildResponse: valid against the SAML 2.0 schemas (xmllint)', () => {
  const signings = [
    { signAssertion: true, signResponse: true },
    { signAssertion: true, signResponse: false },
    { signAssertion: false, signResponse: true },
  ];
  for (const signing of signings) {
    for (const [format, value] of NAME_ID_FORMATS) {
      const signed = [signing.signResponse && 'Response', signing.signAssertion && 'Assertion'].filter(Boolean).join(' and ');
      it(`${signed} signed, NameID ${format.split(':').pop()}`, async () => {
        assertSchemaValid(await buildResponse(options({ ...signing, nameIdFormat: format, nameId: value })));
      });
    }
  }

  it('without attributes, IdP-initiated (no InResponseTo), RSA-SHA512, with a session end', async () => {
    assertSchemaValid(
      await buildResponse(
        options({
          attributes: [],
          inResponseTo: undefined,
          signatureAlgorithm: 'rsa-sha512',
          sessionNotOnOrAfter: new Date('2030-01-02T11:04:05Z'),
        }),
      ),
    );
  });

  it('multi-valued and empty attributes, and names and values with XML metacharacters', async () => {
    const attributes = [
      { name: 'groups', values: ['Engineering', 'Admins & Ops', 'Finance'] },
      { name: 'none', values: [] },
      { name: 'hostile', values: [HOSTILE_CLOSE_TAG, HOSTILE_COMMENT, WITH_CR, ...METACHARACTERS] },
      { name: 'a "name" <with> & \t\n', values: ['x'], nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified' },
    ];
    const xml = await buildResponse(options({ attributes }));
    assertSchemaValid(xml);
    assert.equal(xmlsecVerify(xml, credentials.certificatePem, 'Assertion').ok, true);
  });
});

describe('buildResponse: accepted by node-saml', () => {
  it('both signatures: profile carries the exact hostile, multi-valued and CR values', async () => {
    const attributes = [...options().attributes, { name: 'note', values: [WITH_CR] }];
    const { profile } = await nodeSamlValidate(nodeSamlSp(credentials.certificatePem), await buildResponse(options({ attributes })));
    assert.ok(profile);
    assert.equal(profile.issuer, IDP_ENTITY_ID);
    assert.equal(profile.nameID, 'alice@example.com');
    assert.equal(profile.nameIDFormat, EMAIL_FORMAT);
    assert.equal(profile.sessionIndex, '_session-42');
    assert.equal(profile.inResponseTo, '_request-1');
    assert.equal(profile.email, 'alice@example.com');
    assert.deepEqual(profile.groups, ['Engineering', 'Admins & Ops']);
    assert.deepEqual(profile.hostile, [HOSTILE_CLOSE_TAG, HOSTILE_COMMENT]);
    assert.equal(profile.note, WITH_CR);
  });

  it('assertion signature only', async () => {
    const xml = await buildResponse(options({ signResponse: false }));
    assert.deepEqual(childNames(parseXml(xml).documentElement!), ['saml:Issuer', 'samlp:Status', 'saml:Assertion']);
    const { profile } = await nodeSamlValidate(nodeSamlSp(credentials.certificatePem, { wantAuthnResponseSigned: false }), xml);
    assert.equal(profile?.nameID, 'alice@example.com');
    assert.deepEqual(profile?.hostile, [HOSTILE_CLOSE_TAG, HOSTILE_COMMENT]);
    // And an SP that insists on a signed Response notices it is missing.
    await assert.rejects(nodeSamlValidate(nodeSamlSp(credentials.certificatePem), xml), /^Error: Invalid document signature$/);
  });

  it('response signature only', async () => {
    const xml = await buildResponse(options({ signAssertion: false }));
    assert.equal(parseXml(xml).getElementsByTagName('ds:Signature').length, 1);
    const { profile } = await nodeSamlValidate(nodeSamlSp(credentials.certificatePem, { wantAssertionsSigned: false }), xml);
    assert.equal(profile?.nameID, 'alice@example.com');
    assert.deepEqual(profile?.groups, ['Engineering', 'Admins & Ops']);
    await assert.rejects(nodeSamlValidate(nodeSamlSp(credentials.certificatePem), xml), /Invalid signature/);
  });

  it('rsa-sha512 with sha512 digests', async () => {
    const xml = await buildResponse(options({ signatureAlgorithm: 'rsa-sha512' }));
    const doc = parseXml(xml);
    for (const method of Array.from(doc.getElementsByTagName('ds:SignatureMethod'))) {
      assert.equal(method.getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512');
    }
    for (const method of Array.from(doc.getElementsByTagName('ds:DigestMethod'))) {
      assert.equal(method.getAttribute('Algorithm'), 'http://www.w3.org/2001/04/xmlenc#sha512');
    }
    const { profile } = await nodeSamlValidate(nodeSamlSp(credentials.certificatePem, { signatureAlgorithm: 'sha512' }), xml);
    assert.equal(profile?.nameID, 'alice@example.com');
  });

  it('signs with a loaded KeyObject as well as with PEM text', async () => {
    const xml = await buildResponse(
      options({ credentials: { ...credentials, privateKey: createPrivateKey(credentials.privateKey as string) } }),
    );
    const { profile } = await nodeSamlValidate(nodeSamlSp(credentials.certificatePem), xml);
    assert.equal(profile?.nameID, 'alice@example.com');
  });

  it('answers an AuthnRequest node-saml generated, with InResponseTo checked against its request cache', async () => {
    const sp = nodeSamlSp(credentials.certificatePem, {
      entryPoint: 'https://idp.example.org/saml/sso/redirect',
      validateInResponseTo: ValidateInResponseTo.always,
    });
    const url = new URL(await sp.getAuthorizeUrlAsync('', undefined, {}));
    const request = parseAuthnRequest(decodeRedirectSamlRequest(url.searchParams.get('SAMLRequest')!));
    const xml = await buildResponse(
      options({ inResponseTo: request.id, destination: request.assertionConsumerServiceUrl!, audience: request.issuer }),
    );
    const { profile } = await nodeSamlValidate(sp, xml);
    assert.equal(profile?.inResponseTo, request.id);
    // The request ID is consumed: replaying the same response is refused.
    await assert.rejects(nodeSamlValidate(sp, xml), /InResponseTo is not valid/);
  });
});

describe('buildResponse: rejected by node-saml when it should be', () => {
  it('an attribute value changed after signing (both signatures)', async () => {
    const xml = await buildResponse(options());
    const tampered = xml.replace('>Engineering<', '>Executives<');
    assert.notEqual(tampered, xml);
    // The response signature is checked first, and it covers the assertion too.
    await assert.rejects(nodeSamlValidate(nodeSamlSp(credentials.certificatePem), tampered), /^Error: Invalid document signature$/);
  });

  it('an attribute value changed after signing (assertion signature only)', async () => {
    const xml = (await buildResponse(options({ signResponse: false }))).replace('>Engineering<', '>Executives<');
    await assert.rejects(
      nodeSamlValidate(nodeSamlSp(credentials.certificatePem, { wantAuthnResponseSigned: false }), xml),
      /^Error: Invalid signature$/,
    );
  });

  it("a response signed by another key, even though it carries that key's certificate in KeyInfo", async () => {
    const other = await generateSigningCredentials('attacker.example');
    const forged = await buildResponse(options({ credentials: { privateKey: other.privateKeyPem, certificatePem: other.certificatePem } }));
    await assert.rejects(nodeSamlValidate(nodeSamlSp(credentials.certificatePem), forged), /^Error: Invalid document signature$/);
    const disguised = await buildResponse(
      options({ credentials: { privateKey: other.privateKeyPem, certificatePem: credentials.certificatePem } }),
    );
    await assert.rejects(nodeSamlValidate(nodeSamlSp(credentials.certificatePem), disguised), /^Error: Invalid document signature$/);
    // Sanity check: the forged document is fine for an SP that trusts the other key.
    const { profile } = await nodeSamlValidate(nodeSamlSp(other.certificatePem), forged);
    assert.equal(profile?.nameID, 'alice@example.com');
  });

  it('the wrong audience', async () => {
    const xml = await buildResponse(options({ audience: 'https://other-sp.example.com' }));
    await assert.rejects(
      nodeSamlValidate(nodeSamlSp(credentials.certificatePem), xml),
      /^Error: SAML assertion audience mismatch\. Expected: https:\/\/sp\.example\.com\/metadata Received: https:\/\/other-sp\.example\.com$/,
    );
  });
});

describe('buildResponse: accepted by samlify', () => {
  it('both signatures, via IdP metadata built by buildIdpMetadata', async () => {
    const { idp, sp } = samlifyEntities(credentials.certificatePem, { wantAssertionsSigned: true, wantMessageSigned: true });
    const xml = await buildResponse(options());
    const { extract } = await sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: Buffer.from(xml).toString('base64') } });
    assert.equal(extract.issuer, IDP_ENTITY_ID);
    assert.equal(extract.nameID, 'alice@example.com');
    assert.equal(extract.audience, SP_ENTITY_ID);
    assert.equal(extract.sessionIndex?.sessionIndex, '_session-42');
    assert.deepEqual(extract.attributes, {
      email: 'alice@example.com',
      groups: ['Engineering', 'Admins & Ops'],
      hostile: [HOSTILE_CLOSE_TAG, HOSTILE_COMMENT],
    });
  });

  it('assertion signature only', async () => {
    const { idp, sp } = samlifyEntities(credentials.certificatePem, { wantAssertionsSigned: true, wantMessageSigned: false });
    const xml = await buildResponse(options({ signResponse: false }));
    const { extract } = await sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: Buffer.from(xml).toString('base64') } });
    assert.equal(extract.nameID, 'alice@example.com');
    assert.deepEqual(extract.attributes?.hostile, [HOSTILE_CLOSE_TAG, HOSTILE_COMMENT]);
  });

  it('rejects a tampered value and a foreign key', async () => {
    const { idp, sp } = samlifyEntities(credentials.certificatePem, { wantAssertionsSigned: true, wantMessageSigned: true });
    const tampered = (await buildResponse(options())).replace('>Engineering<', '>Executives<');
    await assert.rejects(
      sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: Buffer.from(tampered).toString('base64') } }),
      /^Error: FAILED_TO_VERIFY_SIGNATURE$/,
    );
    const other = await generateSigningCredentials('attacker.example');
    const forged = await buildResponse(options({ credentials: { privateKey: other.privateKeyPem, certificatePem: other.certificatePem } }));
    await assert.rejects(
      sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: Buffer.from(forged).toString('base64') } }),
      /^Error: ERROR_UNMATCH_CERTIFICATE_DECLARATION_IN_METADATA$/,
    );
    // Its schema check (xmllint) runs first: an Assertion before the Status is refused for that.
    const reordered = (await buildResponse(options())).replace(
      /(<samlp:Status>.*<\/samlp:Status>)(<saml:Assertion .*<\/saml:Assertion>)/,
      '$2$1',
    );
    assert.match(reordered, /<\/saml:Assertion><samlp:Status>/);
    await assert.rejects(
      sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: Buffer.from(reordered).toString('base64') } }),
      /^Error: not valid against the SAML 2\.0 schemas: .*Element '\{urn:oasis:names:tc:SAML:2\.0:assertion\}Assertion': This element is not expected\. Expected is one of \( \{urn:oasis:names:tc:SAML:2\.0:protocol\}Extensions, \{urn:oasis:names:tc:SAML:2\.0:protocol\}Status \)/,
    );
    // Signed by the other key while claiming the trusted certificate in KeyInfo: the signature itself fails.
    const disguised = await buildResponse(
      options({ credentials: { privateKey: other.privateKeyPem, certificatePem: credentials.certificatePem } }),
    );
    await assert.rejects(
      sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: Buffer.from(disguised).toString('base64') } }),
      /^Error: invalid signature: the signature value \S+ is incorrect$/,
    );
  });
});

describe('buildErrorResponse', () => {
  it('carries only an unsigned nested Status', async () => {
    const xml = await buildErrorResponse({
      issuer: IDP_ENTITY_ID,
      destination: ACS_URL,
      inResponseTo: '_request-1',
      statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
      subStatusCode: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
      statusMessage: 'format <unsupported> & refused',
      now: new Date('2030-01-02T03:04:05.678Z'),
    });
    const response = parseXml(xml).documentElement!;
    assert.deepEqual(childNames(response), ['saml:Issuer', 'samlp:Status']);
    assert.equal(response.getAttribute('IssueInstant'), '2030-01-02T03:04:05Z');
    assert.equal(response.getAttribute('Destination'), ACS_URL);
    assert.equal(response.getAttribute('InResponseTo'), '_request-1');
    assert.deepEqual(
      Array.from(response.getElementsByTagName('samlp:StatusCode')).map((c) => c.getAttribute('Value')),
      ['urn:oasis:names:tc:SAML:2.0:status:Requester', 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy'],
    );
    assert.equal(only(response, 'samlp:StatusMessage').textContent, 'format <unsupported> & refused');
    // node-saml reports the status to its application rather than a signature problem.
    await assert.rejects(
      nodeSamlValidate(nodeSamlSp(credentials.certificatePem, { wantAuthnResponseSigned: false }), xml),
      (err: Error) =>
        err instanceof SamlStatusError && err.message === 'SAML provider returned Requester error: format <unsupported> & refused',
    );
  });

  it('is valid against the SAML 2.0 schemas for every status the IdP answers, signed or not', async () => {
    const statuses: Array<[code: string, sub?: string]> = [
      ['urn:oasis:names:tc:SAML:2.0:status:Requester', 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy'],
      ['urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:NoPassive'],
      ['urn:oasis:names:tc:SAML:2.0:status:Requester', 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext'],
      ['urn:oasis:names:tc:SAML:2.0:status:Requester'],
    ];
    for (const [statusCode, subStatusCode] of statuses) {
      for (const signed of [credentials, undefined]) {
        assertSchemaValid(
          await buildErrorResponse({
            issuer: IDP_ENTITY_ID,
            destination: ACS_URL,
            inResponseTo: '_r',
            statusCode,
            subStatusCode,
            statusMessage: 'format <x> & "y"',
            credentials: signed,
          }),
        );
      }
    }
    assertSchemaValid(
      await buildErrorResponse({ issuer: IDP_ENTITY_ID, destination: ACS_URL, statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }),
    );
  });

  it('leaves out the optional sub-status, message and InResponseTo', async () => {
    const response = parseXml(
      await buildErrorResponse({ issuer: IDP_ENTITY_ID, destination: ACS_URL, statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }),
    ).documentElement!;
    assert.equal(response.hasAttribute('InResponseTo'), false);
    assert.equal(response.getElementsByTagName('samlp:StatusCode').length, 1);
    assert.equal(response.getElementsByTagName('samlp:StatusMessage').length, 0);
  });
});

describe('buildErrorResponse signed, and buildAssertionPreview', () => {
  it('a signed error status is read by an SP that requires signed responses, and xmlsec1 verifies it', async () => {
    const xml = await buildErrorResponse({
      issuer: IDP_ENTITY_ID,
      destination: ACS_URL,
      inResponseTo: '_r',
      statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
      subStatusCode: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
      credentials,
    });
    assert.equal(xmlsecVerify(xml, credentials.certificatePem, 'Response').ok, true);
    // node-saml treats NoPassive as "not signed in", not as an error: no profile.
    const result = await nodeSamlValidate(nodeSamlSp(credentials.certificatePem), xml);
    assert.equal(result.profile, null);
  });

  it('a signed NoAuthnContext status is verified by xmlsec1 and reported by node-saml as the status, not a signature problem', async () => {
    const xml = await buildErrorResponse({
      issuer: IDP_ENTITY_ID,
      destination: ACS_URL,
      inResponseTo: '_r',
      statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
      subStatusCode: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
      statusMessage: 'no class is stronger than https://refeds.org/profile/mfa',
      credentials,
    });
    assert.equal(xmlsecVerify(xml, credentials.certificatePem, 'Response').ok, true);
    await assert.rejects(nodeSamlValidate(nodeSamlSp(credentials.certificatePem), xml), (err: Error) => {
      assert.ok(err instanceof SamlStatusError, String(err));
      assert.equal(err.message, 'SAML provider returned Requester error: no class is stronger than https://refeds.org/profile/mfa');
      assert.match(JSON.stringify(err), /NoAuthnContext/);
      return true;
    });
  });

  it('the preview is the assertion alone, with no signature', () => {
    const { credentials: _c, signAssertion: _a, signResponse: _r, ...content } = options();
    const doc = parseXml(buildAssertionPreview(content));
    assert.equal(doc.documentElement!.nodeName, 'saml:Assertion');
    assert.equal(doc.getElementsByTagName('ds:Signature').length, 0);
    assert.equal(only(doc.documentElement!, 'saml:NameID').textContent, 'alice@example.com');
    assertSchemaValid(buildAssertionPreview(content));
  });
});
