import { X509Certificate, verify, type KeyObject } from 'node:crypto';
import type { Element, Node } from '@xmldom/xmldom';
import { childElements } from '@jit/xml';
import { SignedXml } from 'xml-crypto';
import { parseStrict, SamlRequestError } from './authn-request';
import { certificateBody } from './credentials';
import { NS } from './namespaces';
import { ENVELOPED, EXC_C14N } from './signing';

/** Signature algorithms accepted on incoming messages: RSA with SHA-256 or stronger, nothing weaker. */
// A Map, not an object literal: a SigAlg of "constructor" must find nothing.
const ACCEPTED = new Map<string, 'sha256' | 'sha512'>([
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'sha256'],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', 'sha512'],
]);
const DIGESTS = ['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512'];
/** Exclusive c14n (SAML core 5.4.3), with or without comments: the SignedInfo's and the Reference's. */
const EXCLUSIVE_C14N = [EXC_C14N, `${EXC_C14N}WithComments`];

/**
 * The largest XML whose signature is checked. A signed AuthnRequest is about 5 KB; xml-crypto's
 * work grows with the document (it parses it again and canonicalises the signed element).
 */
export const MAX_SIGNED_REQUEST_BYTES = 32 * 1024;

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
  const hash = ACCEPTED.get(safeDecode(sigAlg));
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
  if (Buffer.byteLength(xml, 'utf8') > MAX_SIGNED_REQUEST_BYTES) {
    throw new SamlRequestError('request_too_large', `a signed request is limited to ${MAX_SIGNED_REQUEST_BYTES} bytes`);
  }
  const root = parseStrict(xml);
  const all = Array.from(root.getElementsByTagNameNS(NS.xmldsig, 'Signature'));
  if (all.length === 0) return { signed: false };
  const direct = childElements(root, NS.xmldsig, 'Signature');
  if (all.length !== 1 || direct.length !== 1)
    throw new SamlRequestError('bad_request_signature', 'expected exactly one signature, on the root element');
  const id = root.getAttribute('ID');
  if (!id) throw new SamlRequestError('missing_field', 'ID is required');
  checkSignedInfo(direct[0], id);

  const certificates = certificatePems.map(pemOf);
  let lastError = 'no certificate registered';
  for (const certificate of certificates) {
    const verifier = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null });
    try {
      verifier.loadSignature(direct[0] as unknown as Parameters<SignedXml['loadSignature']>[0]);
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

/**
 * The one signature shape SAML core 5.4 describes, checked on the DOM before xml-crypto runs: a
 * SignedInfo of exclusive c14n, an accepted SignatureMethod and exactly one Reference to the root,
 * whose transforms are enveloped-signature then exclusive c14n, and an accepted digest.
 * xml-crypto digests every Reference (each transform canonicalises, then parses, the whole
 * element again) before it checks the SignatureValue, so without this a stranger with no key
 * chooses how much work a request costs (passport-saml CVE-2021-39171; Santuario's secure
 * validation). Any other element where this shape has none is refused too: xml-crypto finds
 * children by local name in any namespace.
 */
function checkSignedInfo(signature: Element, id: string): void {
  const refuse = (why: string) => new SamlRequestError('bad_request_signature', why);
  const [signedInfo, ...rest] = elements(signature);
  if (!isDsig(signedInfo, 'SignedInfo') || rest.some((e) => e.localName === 'SignedInfo')) {
    throw refuse('the signature must begin with its one SignedInfo');
  }
  const [c14n, method, reference, ...more] = elements(signedInfo);
  if (!isDsig(c14n, 'CanonicalizationMethod') || !isDsig(method, 'SignatureMethod') || !isDsig(reference, 'Reference') || more.length > 0) {
    throw refuse('SignedInfo must hold a CanonicalizationMethod, a SignatureMethod and exactly one Reference');
  }
  if (!EXCLUSIVE_C14N.includes(c14n.getAttribute('Algorithm') ?? '')) throw refuse('SignedInfo must be canonicalised with exclusive c14n');
  const algorithm = method.getAttribute('Algorithm') ?? '';
  if (!ACCEPTED.has(algorithm)) throw refuse(`signature algorithm ${algorithm} is not accepted`);
  if (reference.getAttribute('URI') !== `#${id}`) throw refuse('the signature must reference the root element and nothing else');

  const [transforms, digest, digestValue, ...extra] = elements(reference);
  if (!isDsig(transforms, 'Transforms') || !isDsig(digest, 'DigestMethod') || !isDsig(digestValue, 'DigestValue') || extra.length > 0) {
    throw refuse('the Reference must hold Transforms, a DigestMethod and a DigestValue');
  }
  const algorithms = elements(transforms).map((t) => (isDsig(t, 'Transform') ? (t.getAttribute('Algorithm') ?? '') : ''));
  // Without the second, xml-crypto would digest with inclusive c14n, which SAML does not use.
  if (algorithms.length !== 2 || algorithms[0] !== ENVELOPED || !EXCLUSIVE_C14N.includes(algorithms[1])) {
    throw refuse('the Reference must have exactly two transforms: enveloped-signature, then exclusive c14n');
  }
  if (!DIGESTS.includes(digest.getAttribute('Algorithm') ?? '')) throw refuse('digest algorithm is not accepted');
}

function elements(parent: Element): Element[] {
  return Array.from(parent.childNodes).filter((n: Node): n is Element => n.nodeType === n.ELEMENT_NODE);
}

function isDsig(element: Element | undefined, localName: string): element is Element {
  return element?.namespaceURI === NS.xmldsig && element.localName === localName;
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
