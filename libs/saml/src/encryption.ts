import { X509Certificate, constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import { certificateBody } from './credentials';
import { NS } from './namespaces';
import { element, type XmlElement } from './xml-writer';

export const XMLENC = 'http://www.w3.org/2001/04/xmlenc#';
export const AES256_GCM = 'http://www.w3.org/2009/xmlenc11#aes256-gcm';
export const RSA_OAEP_MGF1P = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';

/**
 * saml:EncryptedAssertion for an SP (XML Encryption 1.1): the assertion markup, already signed,
 * under a fresh AES-256-GCM key (CipherValue = IV | ciphertext | tag), and that key under the SP's
 * RSA public key with RSA-OAEP (MGF1 and digest SHA-1, as rsa-oaep-mgf1p defines it; every SP
 * library reads this form). `assertionXml` must declare every namespace it uses: the SP parses it
 * on its own once decrypted.
 */
export function encryptAssertion(assertionXml: string, spCertificatePem: string): XmlElement {
  const certificate = new X509Certificate(`-----BEGIN CERTIFICATE-----\n${certificateBody(spCertificatePem)}\n-----END CERTIFICATE-----\n`);
  if (certificate.publicKey.asymmetricKeyType !== 'rsa') throw new Error('the encryption certificate must hold an RSA key');
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([iv, cipher.update(assertionXml, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const wrappedKey = publicEncrypt({ key: certificate.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);
  return element('saml:EncryptedAssertion', {}, [
    element('xenc:EncryptedData', { 'xmlns:xenc': XMLENC, Type: `${XMLENC}Element` }, [
      element('xenc:EncryptionMethod', { Algorithm: AES256_GCM }),
      element('ds:KeyInfo', { 'xmlns:ds': NS.xmldsig }, [
        element('xenc:EncryptedKey', {}, [
          element('xenc:EncryptionMethod', { Algorithm: RSA_OAEP_MGF1P }, [element('ds:DigestMethod', { Algorithm: SHA1 })]),
          element('xenc:CipherData', {}, [element('xenc:CipherValue', {}, [wrappedKey.toString('base64')])]),
        ]),
      ]),
      element('xenc:CipherData', {}, [element('xenc:CipherValue', {}, [body.toString('base64')])]),
    ]),
  ]);
}
