import { X509Certificate } from 'node:crypto';

/** NIST SP 800-131A: RSA below 2048 bits is disallowed for signatures and key transport. */
export const MIN_RSA_BITS = 2048;

export type CertificateCheck = { pem: string } | { problem: string };

/**
 * Reads one X.509 certificate given as PEM (or, from metadata, as base64 DER) and answers it in
 * a canonical PEM form, so that the same certificate is stored the same way whatever its
 * line breaks. An RSA key must have 2048 bits or more, for signing and for encryption; `encryption`:
 * the IdP encrypts with RSA-OAEP, so the key must be RSA.
 */
export function checkCertificate(value: string, use: 'signing' | 'encryption', form: 'pem' | 'der-base64' = 'pem'): CertificateCheck {
  let cert: X509Certificate;
  try {
    if (form === 'pem') {
      const blocks = value.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
      if (blocks !== 1) return { problem: 'must be exactly one PEM certificate (-----BEGIN CERTIFICATE----- ...)' };
      cert = new X509Certificate(value);
    } else {
      const compact = value.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return { problem: 'X509Certificate is not base64' };
      cert = new X509Certificate(Buffer.from(compact, 'base64'));
    }
  } catch {
    return { problem: 'is not a readable X.509 certificate' };
  }
  const key = cert.publicKey;
  if (use === 'encryption' && key.asymmetricKeyType !== 'rsa') {
    return { problem: `must hold an RSA key for RSA-OAEP, not ${key.asymmetricKeyType ?? 'an unknown key type'}` };
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    return { problem: `must hold an RSA or EC key, not ${key.asymmetricKeyType ?? 'an unknown key type'}` };
  }
  // Shorter RSA keys can be factored with public means; a signature they make proves nothing.
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType === 'rsa' && bits < MIN_RSA_BITS) {
    return { problem: `holds a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are needed` };
  }
  return { pem: cert.toString() };
}
