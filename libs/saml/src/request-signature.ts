import { X509Certificate, verify, type KeyObject } from 'node:crypto';
import { childElements } from '@jit/xml';
import { SignedXml } from 'xml-crypto';
import { parseStrict, SamlRequestError } from './authn-request';
import { certificateBody } from './credentials';
import { NS } from './namespaces';
import { ENVELOPED, EXC_C14N } from './signing';

/** Signature algorithms accepted on incoming messages: RSA with SHA-256 or stronger, nothing weaker. */
const ACCEPTED: Record<string, 'sha256' | 'sha512'> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const DIGESTS = ['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512'];

export type RedirectSignature = { signed: false } | { signed: true };

/**
 * HTTP-Redirect binding signature (SAML bindings 3.4.4.1): the signature covers the octets
 * `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as they appear, still URL-encoded, in the raw
 * query string; re-encoding decoded values would verify something the SP did not sign. Verified
 * only with the certificates registered for the SP, never with one sent in the message.
 * Throws SamlRequestError('bad_request_signature') when a signature is there and wrong.
 */
export function verifyRedirectSignature(
  rawQuery: string,
  certificatePems: readonly string[],
  messageParam: 'SAMLRequest' | 'SAMLResponse' = 'SAMLRequest',
): RedirectSignature {
  const raw = new Map<string, string>();
  for (const pair of rawQuery.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    if (raw.has(name)) throw new SamlRequestError('malformed_request', `query parameter ${name} appears more than once`);
    raw.set(name, eq < 0 ? '' : pair.slice(eq + 1));
  }
  const signature = raw.get('Signature');
  const sigAlg = raw.get('SigAlg');
  if (signature === undefined && sigAlg === undefined) return { signed: false };
  const message = raw.get(messageParam);
  if (signature === undefined || sigAlg === undefined || message === undefined) {
    throw new SamlRequestError('bad_request_signature', 'a signed Redirect message needs SigAlg, Signature and the message');
  }
  const hash = ACCEPTED[safeDecode(sigAlg)];
  if (!hash) throw new SamlRequestError('bad_request_signature', `signature algorithm ${safeDecode(sigAlg)} is not accepted`);
  const relayState = raw.get('RelayState');
  const signedOctets = `${messageParam}=${message}${relayState === undefined ? '' : `&RelayState=${relayState}`}&SigAlg=${sigAlg}`;
  const signatureBytes = Buffer.from(safeDecode(signature), 'base64');
  const valid = publicKeys(certificatePems).some((key) => verify(hash, Buffer.from(signedOctets, 'utf8'), key, signatureBytes));
  if (!valid) throw new SamlRequestError('bad_request_signature', 'the request signature does not verify with the registered certificates');
  return { signed: true };
}

export type PostSignature = { signed: false } | { signed: true; signedXml: string };

/**
 * HTTP-POST binding: an enveloped ds:Signature, a direct child of the root, whose one Reference
 * points at the root's ID. On success `signedXml` is the canonical XML the signature covers, as
 * xml-crypto returns it: callers read every field from that, never from the document received
 * (signature wrapping). Verified with the registered certificates only; KeyInfo is ignored.
 */
export function verifyPostSignature(xml: string, certificatePems: readonly string[]): PostSignature {
  const root = parseStrict(xml);
  const all = Array.from(root.getElementsByTagNameNS(NS.xmldsig, 'Signature'));
  if (all.length === 0) return { signed: false };
  const direct = childElements(root, NS.xmldsig, 'Signature');
  if (all.length !== 1 || direct.length !== 1)
    throw new SamlRequestError('bad_request_signature', 'expected exactly one signature, on the root element');
  const id = root.getAttribute('ID');
  if (!id) throw new SamlRequestError('missing_field', 'ID is required');

  const certificates = certificatePems.map(pemOf);
  let lastError = 'no certificate registered';
  for (const certificate of certificates) {
    const verifier = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null });
    try {
      verifier.loadSignature(direct[0] as unknown as Parameters<SignedXml['loadSignature']>[0]);
      const references = verifier.getReferences();
      if (references.length !== 1 || references[0].uri !== `#${id}`) {
        throw new SamlRequestError('bad_request_signature', 'the signature must reference the root element and nothing else');
      }
      const transforms = references[0].transforms;
      if (!transforms.every((t) => t === ENVELOPED || t === EXC_C14N) || !DIGESTS.includes(references[0].digestAlgorithm)) {
        throw new SamlRequestError('bad_request_signature', 'unexpected transforms or digest algorithm');
      }
      if (!ACCEPTED[verifier.signatureAlgorithm ?? '']) {
        throw new SamlRequestError('bad_request_signature', `signature algorithm ${verifier.signatureAlgorithm ?? '?'} is not accepted`);
      }
      if (verifier.checkSignature(xml)) {
        const signed = verifier.getSignedReferences();
        if (signed.length !== 1) throw new SamlRequestError('bad_request_signature', 'expected one signed reference');
        return { signed: true, signedXml: signed[0] };
      }
    } catch (error) {
      if (error instanceof SamlRequestError) throw error;
      lastError = (error as Error).message.split('\n')[0] ?? 'invalid signature';
    }
  }
  throw new SamlRequestError(
    'bad_request_signature',
    `the request signature does not verify with the registered certificates (${lastError})`,
  );
}

function publicKeys(certificatePems: readonly string[]): KeyObject[] {
  return certificatePems.map((pem) => new X509Certificate(pemOf(pem)).publicKey);
}

/** The registered certificate as canonical PEM, written by Node's X.509 code whatever its line breaks were. */
function pemOf(pem: string): string {
  return new X509Certificate(Buffer.from(certificateBody(pem), 'base64')).toString();
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new SamlRequestError('malformed_request', 'query string is not valid percent-encoding');
  }
}
