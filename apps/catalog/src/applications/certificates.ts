import { X509Certificate } from 'node:crypto';

export type CertificateCheck = { pem: string } | { problem: string };

/**
 * Reads one X.509 certificate given as PEM (or, from metadata, as base64 DER) and answers it in
 * a canonical PEM form, so that the same certificate is stored the same way whatever its
 * line breaks. `encryption`: the IdP encrypts with RSA-OAEP, so the key must be RSA, 2048 bits or more.
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
  if (use === 'encryption') {
    if (key.asymmetricKeyType !== 'rsa')
      return { problem: `must hold an RSA key for RSA-OAEP, not ${key.asymmetricKeyType ?? 'an unknown key type'}` };
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) return { problem: `holds a ${bits}-bit RSA key; at least 2048 bits are needed` };
  } else if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    return { problem: `must hold an RSA or EC key, not ${key.asymmetricKeyType ?? 'an unknown key type'}` };
  }
  return { pem: cert.toString() };
}
