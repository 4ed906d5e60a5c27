import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { canonicalize, canonicalizeAround, scopeOf } from './c14n';
import { certificateBody, type SigningCredentials } from './credentials';
import { NS } from './namespaces';
import { element, keepCanonicalForm, type XmlElement } from './xml-writer';

export type SignatureAlgorithmName = 'rsa-sha256' | 'rsa-sha512';

export const SIGNATURE_ALGORITHMS: Record<SignatureAlgorithmName, { signature: string; digest: string; hash: 'sha256' | 'sha512' }> = {
  'rsa-sha256': {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
    hash: 'sha256',
  },
  'rsa-sha512': {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha512',
    hash: 'sha512',
  },
};

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * An enveloped signature over `target` (an element of our own tree, identified by its ID
 * attribute), inserted right after its saml:Issuer as the SAML schema wants. The digest input is
 * the exclusive-c14n form produced straight from the tree, and the SignedInfo is signed once with
 * node:crypto: no XML parse, no XPath, no re-serialisation, so character references in the
 * document survive as written. `inScope` are the namespaces declared by target's ancestors.
 * The signed element is then written in that exclusive-c14n form, signature included, without a
 * second walk (every namespace is declared on the element that uses it, as Okta and others send).
 *
 * The RSA operation itself runs on libuv's thread pool (crypto.sign with a callback), not on the
 * event loop: it is the largest single cost of a sign-in, and while it runs the loop goes on
 * serving other requests (on a second core when there is one).
 */
export async function signEnveloped(
  target: XmlElement,
  inScope: ReadonlyMap<string, string>,
  credentials: SigningCredentials,
  algorithm: SignatureAlgorithmName = 'rsa-sha256',
): Promise<void> {
  const algorithms = SIGNATURE_ALGORITHMS[algorithm];
  if (!algorithms) throw new Error(`unsupported signature algorithm: ${String(algorithm)}`);
  const id = target.attributes.find(([name]) => name === 'ID')?.[1];
  if (!id) throw new Error('the signed element needs an ID');
  const issuerAt = target.children.findIndex((c) => typeof c !== 'string' && c.kind === 'element' && c.name === 'saml:Issuer');
  if (issuerAt < 0) throw new Error('the signed element needs a saml:Issuer to place the signature after');

  // The enveloped-signature transform removes the Signature, so the digest is over the element as it is now.
  const c14n = canonicalizeAround(target, inScope, issuerAt);
  const digest = createHash(algorithms.hash).update(c14n.xml, 'utf8').digest('base64');
  const signedInfo = element('ds:SignedInfo', {}, [
    element('ds:CanonicalizationMethod', { Algorithm: EXC_C14N }),
    element('ds:SignatureMethod', { Algorithm: algorithms.signature }),
    element('ds:Reference', { URI: `#${id}` }, [
      element('ds:Transforms', {}, [element('ds:Transform', { Algorithm: ENVELOPED }), element('ds:Transform', { Algorithm: EXC_C14N })]),
      element('ds:DigestMethod', { Algorithm: algorithms.digest }),
      element('ds:DigestValue', {}, [digest]),
    ]),
  ]);
  const signatureValue: string[] = [];
  const signature = element('ds:Signature', { 'xmlns:ds': NS.xmldsig }, [
    signedInfo,
    element('ds:SignatureValue', {}, signatureValue),
    element('ds:KeyInfo', {}, [
      element('ds:X509Data', {}, [element('ds:X509Certificate', {}, [certificateBody(credentials.certificatePem)])]),
    ]),
  ]);
  const signedInfoC14n = canonicalize(signedInfo, scopeOf(signature, scopeOf(target, inScope)));
  const value = await signOffLoop(algorithms.hash, Buffer.from(signedInfoC14n, 'utf8'), keyObject(credentials.privateKey));
  signatureValue.push(value.toString('base64'));
  target.children.splice(issuerAt + 1, 0, signature);
  // The signed element goes out in the form its digest was computed from, signature inserted.
  keepCanonicalForm(target, c14n.insert(signature));
}

const signOffLoop = promisify(
  sign as (algorithm: string, data: Buffer, key: KeyObject, callback: (error: Error | null, signature: Buffer) => void) => void,
);

/** Callers on the hot path pass a KeyObject: parsing a PEM per signature triples its cost. */
function keyObject(key: KeyObject | string): KeyObject {
  return typeof key === 'string' ? createPrivateKey(key) : key;
}
