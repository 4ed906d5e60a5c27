import { SignedXml } from 'xml-crypto';
import type { SigningCredentials } from './credentials';
import { NS } from './namespaces';

export type SignatureAlgorithmName = 'rsa-sha256' | 'rsa-sha512';

const ALGORITHMS: Record<SignatureAlgorithmName, { signature: string; digest: string }> = {
  'rsa-sha256': {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
  },
  'rsa-sha512': {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha512',
  },
};

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * Computes an enveloped signature over the element whose ID attribute is `id` inside `documentXml`
 * and returns the ds:Signature markup only. The caller inserts it right after that element's
 * saml:Issuer, exactly where xml-crypto placed it while signing, and keeps serialising the document
 * itself; xml-crypto's own re-serialisation would not keep our character references.
 */
export function signatureFor(
  documentXml: string,
  id: string,
  credentials: SigningCredentials,
  algorithm: SignatureAlgorithmName = 'rsa-sha256',
): string {
  const algorithms = ALGORITHMS[algorithm];
  if (!algorithms) throw new Error(`unsupported signature algorithm: ${String(algorithm)}`);
  // IDs come from newSamlId() (hex), so they are safe inside an XPath string literal.
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(id)) throw new Error('ID is not an NCName');
  const target = `//*[@ID='${id}']`;

  const signer = new SignedXml({
    privateKey: credentials.privateKey,
    publicCert: credentials.certificatePem, // published as KeyInfo/X509Data/X509Certificate
    signatureAlgorithm: algorithms.signature,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signer.addReference({ xpath: target, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: algorithms.digest });
  signer.computeSignature(documentXml, {
    prefix: 'ds',
    // Schema order puts ds:Signature directly after Issuer in both Response and Assertion.
    location: { reference: `${target}/*[local-name()='Issuer' and namespace-uri()='${NS.assertion}']`, action: 'after' },
  });
  return signer.getSignatureXml();
}
