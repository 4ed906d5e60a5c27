import assert from 'node:assert/strict';
import { SignedXml } from 'xml-crypto';
import { SamlRequestError, decodePostSamlRequest, parseAuthnRequest } from './authn-request';
import { generateSigningCredentials } from './credentials';
import { MAX_SIGNED_REQUEST_BYTES, verifyPostSignature, verifyRedirectSignature } from './request-signature';
import { ACS_URL, nodeSamlSp } from './spec-helpers';

const SSO = 'https://idp.example.org/saml2/app/sso';
type Keys = { privateKeyPem: string; certificatePem: string };

function refuses(fn: () => unknown, reason: string) {
  assert.throws(fn, (e: unknown) => e instanceof SamlRequestError && e.reason === reason);
}

/** The form node-saml renders for the POST binding, reduced to its SAMLRequest XML. */
async function postRequestXml(keys: Keys | null, over: Record<string, unknown> = {}): Promise<string> {
  const sp = nodeSamlSp('unused', {
    entryPoint: SSO,
    authnRequestBinding: 'HTTP-POST',
    ...(keys ? { privateKey: keys.privateKeyPem, signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256' } : {}),
    ...over,
  });
  const form = (await sp.getAuthorizeFormAsync('relay'))
    .replace(/&#x2b;/gi, '+')
    .replace(/&#x2f;/gi, '/')
    .replace(/&#x3d;/gi, '=');
  const value = /name="SAMLRequest" value="([^"]+)"/.exec(form)![1];
  return decodePostSamlRequest(value);
}

describe('verifyRedirectSignature (node-saml signs the query)', () => {
  let sp: Keys;
  let attacker: Keys;
  beforeAll(async () => {
    sp = await generateSigningCredentials('sp.example.com');
    attacker = await generateSigningCredentials('attacker.example');
  });
  const signedQuery = async (keys: Keys, algorithm: 'sha256' | 'sha512' | 'sha1' = 'sha256', relay = 'a/b?c=d&é') => {
    const url = await nodeSamlSp('unused', {
      entryPoint: SSO,
      privateKey: keys.privateKeyPem,
      signatureAlgorithm: algorithm,
    }).getAuthorizeUrlAsync(relay, undefined, {});
    return new URL(url).search.slice(1);
  };

  // node-saml signs querystring.stringify() output but sends URLSearchParams encoding; the two
  // differ only for a space ('%20' against '+'), so the RelayState here avoids one.
  it('accepts a request signed with a registered certificate, RSA-SHA256 and RSA-SHA512, with a RelayState that needs encoding', async () => {
    assert.deepEqual(verifyRedirectSignature(await signedQuery(sp), [attacker.certificatePem, sp.certificatePem]), { signed: true });
    assert.deepEqual(verifyRedirectSignature(await signedQuery(sp, 'sha512'), [sp.certificatePem]), { signed: true });
  });

  it('reports an unsigned query as unsigned', async () => {
    const url = await nodeSamlSp('unused', { entryPoint: SSO }).getAuthorizeUrlAsync('r', undefined, {});
    assert.deepEqual(verifyRedirectSignature(new URL(url).search, [sp.certificatePem]), { signed: false });
  });

  it('refuses another key, a changed RelayState or SAMLRequest, a re-encoded query, SHA-1, and half a signature', async () => {
    const query = await signedQuery(sp);
    refuses(() => verifyRedirectSignature(query, [attacker.certificatePem]), 'bad_request_signature');
    const byAttacker = await signedQuery(attacker);
    refuses(() => verifyRedirectSignature(byAttacker, [sp.certificatePem]), 'bad_request_signature');
    refuses(
      () => verifyRedirectSignature(query.replace(/RelayState=[^&]+/, 'RelayState=evil'), [sp.certificatePem]),
      'bad_request_signature',
    );
    refuses(
      () => verifyRedirectSignature(query.replace(/SAMLRequest=(.)/, 'SAMLRequest=A$1'), [sp.certificatePem]),
      'bad_request_signature',
    );
    // Same decoded values, other octets: the signature is over what was sent.
    refuses(() => verifyRedirectSignature(query.replace('%2F', '%2f'), [sp.certificatePem]), 'bad_request_signature');
    const sha1 = await signedQuery(sp, 'sha1');
    refuses(() => verifyRedirectSignature(sha1, [sp.certificatePem]), 'bad_request_signature');
    refuses(() => verifyRedirectSignature(query.replace(/&Signature=[^&]+/, ''), [sp.certificatePem]), 'bad_request_signature');
    refuses(() => verifyRedirectSignature(`${query}&SigAlg=x`, [sp.certificatePem]), 'malformed_request');
    refuses(() => verifyRedirectSignature(query, []), 'bad_request_signature');
  });

  it('refuses a SigAlg that names a property every object has', async () => {
    const query = await signedQuery(sp);
    for (const name of ['constructor', 'toString', '__proto__']) {
      refuses(() => verifyRedirectSignature(query.replace(/SigAlg=[^&]+/, `SigAlg=${name}`), [sp.certificatePem]), 'bad_request_signature');
    }
  });
});

describe('verifyPostSignature (node-saml signs the AuthnRequest, enveloped)', () => {
  let sp: Keys;
  let attacker: Keys;
  beforeAll(async () => {
    sp = await generateSigningCredentials('sp.example.com');
    attacker = await generateSigningCredentials('attacker.example');
  });

  it('accepts it and hands back the signed XML, from which the fields are read', async () => {
    const xml = await postRequestXml(sp);
    const result = verifyPostSignature(xml, [sp.certificatePem]);
    assert.equal(result.signed, true);
    const parsed = parseAuthnRequest(result.signed ? result.signedXml : '');
    assert.equal(parsed.assertionConsumerServiceUrl, ACS_URL);
    assert.equal(parsed.destination, SSO);
  });

  it('reports an unsigned request as unsigned', async () => {
    assert.deepEqual(verifyPostSignature(await postRequestXml(null), [sp.certificatePem]), { signed: false });
  });

  it('refuses another signer even when its certificate sits in KeyInfo, and a field changed after signing', async () => {
    const forged = await postRequestXml(attacker, { signingCert: attacker.certificatePem });
    refuses(() => verifyPostSignature(forged, [sp.certificatePem]), 'bad_request_signature');
    const xml = await postRequestXml(sp);
    refuses(() => verifyPostSignature(xml.replace(ACS_URL, 'https://evil.example.com/acs'), [sp.certificatePem]), 'bad_request_signature');
    // node-saml's default digest is SHA-1: refused like a SHA-1 signature.
    const sha1Digest = await postRequestXml(sp, { digestAlgorithm: 'sha1' });
    refuses(() => verifyPostSignature(sha1Digest, [sp.certificatePem]), 'bad_request_signature');
  });

  it('refuses a wrapped signature: a signed request hidden inside another root', async () => {
    const signed = await postRequestXml(sp);
    const body = signed.replace(/^<\?xml[^>]*\?>/, '');
    const wrapper = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_evil" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="https://evil.example.com/acs"><saml:Issuer>https://sp.example.com/metadata</saml:Issuer><samlp:Extensions>${body}</samlp:Extensions></samlp:AuthnRequest>`;
    refuses(() => verifyPostSignature(wrapper, [sp.certificatePem]), 'bad_request_signature');
  });

  it('refuses a signature whose reference is not the root, and a DOCTYPE', async () => {
    const unsigned = await postRequestXml(null);
    const id = /ID="([^"]+)"/.exec(unsigned)![1];
    const withChild = unsigned.replace(
      '</samlp:AuthnRequest>',
      '<samlp:Extensions><x ID="_other" xmlns="urn:x">x</x></samlp:Extensions></samlp:AuthnRequest>',
    );
    const signer = new SignedXml({
      privateKey: sp.privateKeyPem,
      publicCert: sp.certificatePem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    signer.addReference({
      xpath: "//*[@ID='_other']",
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    });
    signer.computeSignature(withChild, { location: { reference: `//*[@ID='${id}']/*[local-name()='Issuer']`, action: 'after' } });
    refuses(() => verifyPostSignature(signer.getSignedXml(), [sp.certificatePem]), 'bad_request_signature');
    refuses(() => verifyPostSignature(`<!DOCTYPE x>${unsigned}`, [sp.certificatePem]), 'doctype_forbidden');
  });
});

const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';

describe('verifyPostSignature: the signature shape is checked before xml-crypto canonicalises or digests anything', () => {
  let sp: Keys;
  // Every way into xml-crypto's canonicalisation and digests goes through these two.
  const calls: string[] = [];
  const originals = new Map<string, unknown>();
  beforeAll(async () => {
    sp = await generateSigningCredentials('sp.example.com');
    for (const name of ['loadSignature', 'checkSignature']) {
      const original: unknown = Reflect.get(SignedXml.prototype, name);
      originals.set(name, original);
      Reflect.set(SignedXml.prototype, name, function (this: SignedXml, ...args: unknown[]) {
        calls.push(name);
        return Reflect.apply(original as (...args: unknown[]) => unknown, this, args);
      });
    }
  });
  afterAll(() => {
    for (const [name, original] of originals) Reflect.set(SignedXml.prototype, name, original);
  });
  beforeEach(() => {
    calls.length = 0;
  });

  /** An AuthnRequest with `body` after its Issuer, signed by the SP with these references. */
  const signed = async (references: Array<{ transforms: string[] }>, body = '') => {
    const unsigned = (await postRequestXml(null)).replace('</samlp:AuthnRequest>', `${body}</samlp:AuthnRequest>`);
    const id = /ID="([^"]+)"/.exec(unsigned)![1];
    const signer = new SignedXml({
      privateKey: sp.privateKeyPem,
      publicCert: sp.certificatePem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: EXC_C14N,
    });
    for (const { transforms } of references) {
      signer.addReference({ xpath: `//*[@ID='${id}']`, transforms, digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
    }
    signer.computeSignature(unsigned, { location: { reference: `//*[@ID='${id}']/*[local-name()='Issuer']`, action: 'after' } });
    return signer.getSignedXml();
  };
  const refusedUnread = (xml: string, reason: string, message?: RegExp) => {
    assert.throws(
      () => verifyPostSignature(xml, [sp.certificatePem]),
      (e: unknown) => e instanceof SamlRequestError && e.reason === reason && (message === undefined || message.test(e.message)),
    );
    assert.deepEqual(calls, [], 'xml-crypto was not called');
  };

  it('accepts the two expected transforms, exclusive c14n with or without comments', async () => {
    for (const transforms of [
      [ENVELOPED, EXC_C14N],
      [ENVELOPED, `${EXC_C14N}WithComments`],
    ]) {
      const result = verifyPostSignature(await signed([{ transforms }]), [sp.certificatePem]);
      assert.equal(result.signed, true, transforms.join(' '));
    }
    assert.deepEqual(calls, ['loadSignature', 'checkSignature', 'loadSignature', 'checkSignature']);
  });

  it('refuses a valid signature with a third transform, with transforms in another order or of another kind', async () => {
    for (const transforms of [[ENVELOPED, EXC_C14N, EXC_C14N], [EXC_C14N, ENVELOPED], [ENVELOPED, C14N], [EXC_C14N], [ENVELOPED]]) {
      refusedUnread(await signed([{ transforms }]), 'bad_request_signature', /exactly two transforms/);
    }
  });

  it('refuses a hundred transforms in a request of a few KB without running one, and a thousand as too large', async () => {
    const xml = await signed([{ transforms: [ENVELOPED, EXC_C14N] }]);
    const many = (n: number) =>
      xml.replace(
        /<Transforms>.*<\/Transforms>/,
        `<Transforms><Transform Algorithm="${ENVELOPED}"/>${`<Transform Algorithm="${EXC_C14N}"/>`.repeat(n)}</Transforms>`,
      );
    assert.notEqual(many(100), xml);
    refusedUnread(many(100), 'bad_request_signature', /exactly two transforms/);
    // A thousand is refused before it is parsed at all (it is past the size cap).
    refusedUnread(many(1000), 'request_too_large');
  });

  it('refuses two References, even both to the root', async () => {
    refusedUnread(
      await signed([{ transforms: [ENVELOPED, EXC_C14N] }, { transforms: [ENVELOPED, EXC_C14N] }]),
      'bad_request_signature',
      /exactly one Reference/,
    );
  });

  it('refuses an element of any namespace where the shape has none: xml-crypto reads children by local name', async () => {
    const xml = await signed([{ transforms: [ENVELOPED, EXC_C14N] }]);
    refusedUnread(xml.replace('<Reference ', '<x:Reference xmlns:x="urn:x" URI="#x"/><Reference '), 'bad_request_signature');
    refusedUnread(xml.replace('<DigestMethod ', `<x:Transforms xmlns:x="urn:x"/><DigestMethod `), 'bad_request_signature');
    refusedUnread(xml.replace(EXC_C14N, C14N), 'bad_request_signature', /exclusive c14n/);
  });

  it('refuses a signed request over MAX_SIGNED_REQUEST_BYTES before parsing it', async () => {
    // Signed requests of exactly `bytes`: the padding is adjusted until the signed XML has that size.
    const ofSize = async (bytes: number) => {
      let padding = 0;
      for (let attempt = 0; attempt < 5; attempt++) {
        const xml = await signed(
          [{ transforms: [ENVELOPED, EXC_C14N] }],
          `<samlp:Extensions><x xmlns="urn:x">${'p'.repeat(padding)}</x></samlp:Extensions>`,
        );
        if (Buffer.byteLength(xml) === bytes) return xml;
        padding += bytes - Buffer.byteLength(xml);
      }
      throw new Error(`no signed request of ${bytes} bytes`);
    };
    refusedUnread(await ofSize(MAX_SIGNED_REQUEST_BYTES + 1), 'request_too_large');
    assert.equal(verifyPostSignature(await ofSize(MAX_SIGNED_REQUEST_BYTES), [sp.certificatePem]).signed, true);
  });

  it('refuses a deeply nested request, and NUL in a field, before xmldom reads it', async () => {
    const unsigned = await postRequestXml(null);
    const deep = unsigned.replace(
      '</samlp:AuthnRequest>',
      `<samlp:Extensions>${'<a>'.repeat(1000)}${'</a>'.repeat(1000)}</samlp:Extensions></samlp:AuthnRequest>`,
    );
    refusedUnread(deep, 'request_too_complex');
    refusedUnread(unsigned.replace('</saml:Issuer>', '\u0000</saml:Issuer>'), 'malformed_request');
  });
});
