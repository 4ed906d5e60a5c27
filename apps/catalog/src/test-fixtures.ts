// Test helpers only (specs and integration specs): certificates and SP metadata to feed the catalog.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { adminClient, startInEnv, testEnv, type Json, type TestEnv } from '@jit/testing';

type X509Crypto = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1];

/** A self-signed certificate (PEM) with a fresh key: RSA of the given size, or EC P-256. */
export async function testCertificate(key: 'rsa' | 'ec' = 'rsa', rsaBits = 2048): Promise<string> {
  const crypto = webcrypto as unknown as X509Crypto & typeof webcrypto;
  const algorithm =
    key === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: rsaBits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(8).toString('hex')}`,
      name: [{ CN: ['sp.example.com'] }],
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      signingAlgorithm: algorithm,
      keys,
    },
    crypto,
  );
  return cert.toString('pem');
}

/**
 * An SP's signing key and its self-signed certificate (PEM). `bodyLength: 'multiple-of-64'`: the
 * certificate's base64 body fills its last 64-character PEM line exactly (the subject's length
 * is adjusted until it does), the shape that once broke PEMs rebuilt line by line.
 */
export async function spSigningCredentials(
  o: { rsaBits?: number; bodyLength?: 'any' | 'multiple-of-64' } = {},
): Promise<{ privateKeyPem: string; certificatePem: string }> {
  const crypto = webcrypto as unknown as X509Crypto & typeof webcrypto;
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: o.rsaBits ?? 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const now = Date.now();
  for (let padding = 0; padding < 64; padding++) {
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: `01${randomBytes(8).toString('hex')}`,
        name: [{ CN: [`sp${'x'.repeat(padding)}.example.com`] }],
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 86_400_000),
        signingAlgorithm: algorithm,
        keys,
      },
      crypto,
    );
    if (o.bodyLength === 'multiple-of-64' && Buffer.from(cert.rawData).toString('base64').length % 64 !== 0) continue;
    return {
      privateKeyPem: x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
      certificatePem: cert.toString('pem'),
    };
  }
  throw new Error('no subject length gave a base64 body that is a multiple of 64 characters');
}

/** The base64 DER of a PEM certificate, as metadata carries it in ds:X509Certificate. */
export const derBase64 = (pem: string): string => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

export interface MetadataOptions {
  entityId?: string;
  acs?: { location: string; binding?: 'POST' | 'Redirect' | 'Artifact'; index?: number }[];
  signing?: string;
  encryption?: string;
  authnRequestsSigned?: boolean;
  nameIdFormats?: string[];
  slo?: { location: string; binding: 'POST' | 'Redirect' }[];
  requested?: { name: string; friendlyName?: string; required?: boolean }[];
}

const binding = (b: string) => `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-${b}`;
const keyDescriptor = (use: string, pem: string) =>
  `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${derBase64(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;

/** An SP's SAML 2.0 metadata document. */
export function spMetadataXml(o: MetadataOptions = {}): string {
  const acs = o.acs ?? [{ location: 'https://sp.example.com/saml/acs' }];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${o.entityId ?? 'https://sp.example.com/saml/metadata'}">`,
    `<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"${o.authnRequestsSigned ? ' AuthnRequestsSigned="true"' : ''}>`,
    o.signing ? keyDescriptor('signing', o.signing) : '',
    o.encryption ? keyDescriptor('encryption', o.encryption) : '',
    ...(o.slo ?? []).map((s) => `<md:SingleLogoutService Binding="${binding(s.binding)}" Location="${s.location}"/>`),
    ...(o.nameIdFormats ?? []).map((f) => `<md:NameIDFormat>${f}</md:NameIDFormat>`),
    ...acs.map(
      (a, i) => `<md:AssertionConsumerService Binding="${binding(a.binding ?? 'POST')}" Location="${a.location}" index="${a.index ?? i}"/>`,
    ),
    o.requested
      ? `<md:AttributeConsumingService index="0"><md:ServiceName xml:lang="en">SP</md:ServiceName>${o.requested
          .map(
            (r) =>
              `<md:RequestedAttribute Name="${r.name}"${r.friendlyName ? ` FriendlyName="${r.friendlyName}"` : ''}${r.required ? ' isRequired="true"' : ''}/>`,
          )
          .join('')}</md:AttributeConsumingService>`
      : '',
    '</md:SPSSODescriptor>',
    '</md:EntityDescriptor>',
  ].join('\n');
}

export type { Json };

export interface DirectoryAndCatalog {
  env: TestEnv;
  directory: string;
  catalog: string;
  /** An admin call (bootstrap key unless another is given), the body parsed. */
  call(method: string, url: string, body?: unknown, key?: string): Promise<{ status: number; body: Json }>;
  stop(): Promise<void>;
}

/** The directory and the catalog as their own processes, on this run's own database and NATS prefix. */
export async function startDirectoryAndCatalog(label: string, bootstrapKey: string): Promise<DirectoryAndCatalog> {
  const env = testEnv(label);
  // The directory first: it runs its migrations and creates the default organisation.
  const running = [await startInEnv('directory', env, bootstrapKey)];
  running.push(await startInEnv('catalog', env, bootstrapKey));
  return {
    env,
    directory: running[0].url,
    catalog: running[1].url,
    // Full URLs: the base is empty.
    call: adminClient(() => '', bootstrapKey),
    async stop() {
      await Promise.all(running.map((s) => s.stop()));
      await env.cleanup();
    },
  };
}
