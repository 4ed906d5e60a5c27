// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { type KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface SigningCredentials {
  /** PKCS#8 PEM or an already loaded key. */
  privateKey: KeyObject | string;
  certificatePem: string;
}

type X509Crypto = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1];

/**
 * A new RSA-2048 key and a self-signed certificate for it. SAML SPs pin the certificate from the
 * IdP metadata and never check a chain, so self-signed is the usual and sufficient form.
 */
export async function generateSigningCredentials(
  commonName: string,
  validDays = 365,
): Promise<{ privateKeyPem: string; certificatePem: string }> {
  // Passed explicitly rather than through x509.cryptoProvider.set, which is process-wide state.
  const crypto = webcrypto as unknown as X509Crypto & typeof webcrypto;
  const keys = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      // Leading 0x01 keeps the DER integer positive and the serial at full length.
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      // JSON form: a common name containing ',' or '=' stays one value instead of becoming extra RDNs.
      name: [{ CN: [commonName] }],
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + validDays * 86_400_000),
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      keys: keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    certificatePem: certificate.toString('pem'),
  };
}

const certificateBodies = new Map<string, string>();

/** The base64 DER of a certificate, as ds:X509Certificate and metadata want it. Accepts PEM or bare base64. */
export function certificateBody(pem: string): string {
  const known = certificateBodies.get(pem);
  if (known !== undefined) return known;
  const block = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  const body = (block ? block[1] : pem).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
    throw new Error('certificate is not PEM or base64');
  }
  // Every signature carries the signer's certificate: its few PEMs are decoded once, not per response.
  if (certificateBodies.size >= 256) certificateBodies.clear();
  certificateBodies.set(pem, body);
  return body;
}
