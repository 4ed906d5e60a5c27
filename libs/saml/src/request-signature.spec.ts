import assert from 'node:assert/strict';
import { SignedXml } from 'xml-crypto';
import { SamlRequestError, decodePostSamlRequest, parseAuthnRequest } from './authn-request';
import { generateSigningCredentials } from './credentials';
import { verifyPostSignature, verifyRedirectSignature } from './request-signature';
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
