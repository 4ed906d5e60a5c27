import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes, webcrypto } from 'node:crypto';
import { SAML, ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml';
import * as x509 from '@peculiar/x509';
import * as samlify from 'samlify';
import type { z } from 'zod';
import { ApplicationSnapshot, CatalogEvents } from '@jit/catalog-contracts';
import { NatsBus } from '@jit/messaging';
import { type Browser, parseForm, samlifySchemaValidator } from '@jit/testing';
import type { System } from './harness';

/** The SP these tests play, registered in the catalog; nothing listens at its ACS. */
export const SP = {
  entityId: 'https://sp.example.com/metadata',
  acsUrl: 'https://sp.example.com/saml/acs',
};

/** The IdP's signing certificate, read from its metadata as an SP would. */
export async function idpCertificate(system: System, appId: string): Promise<string[]> {
  const xml = await (await fetch(`${system.idpUrl}/saml2/${appId}/metadata`)).text();
  return [...xml.matchAll(/<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/g)].map((m) => m[1]);
}

/** node-saml (what passport-saml runs) as an SP that trusts only the metadata's certificates. */
export function nodeSaml(system: System, appId: string, idpCerts: string[], overrides: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    entryPoint: `${system.idpUrl}/saml2/${appId}/sso`,
    idpCert: idpCerts,
    issuer: SP.entityId,
    audience: SP.entityId,
    callbackUrl: SP.acsUrl,
    idpIssuer: `${system.idpUrl}/saml2/${appId}`,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    ...overrides,
  });
}

let samlifyReady = false;
/** samlify as a second, independent SP, configured from the IdP's own metadata. */
export async function samlifySp(
  system: System,
  appId: string,
  options: { wantAssertionsSigned: boolean; wantMessageSigned: boolean; encPrivateKey?: string },
) {
  if (!samlifyReady) {
    // samlify validates each message against the SAML 2.0 schemas (xmllint) before its other checks.
    samlify.setSchemaValidator(samlifySchemaValidator);
    samlifyReady = true;
  }
  const metadata = await (await fetch(`${system.idpUrl}/saml2/${appId}/metadata`)).text();
  const idp = samlify.IdentityProvider({ metadata, isAssertionEncrypted: options.encPrivateKey !== undefined });
  const sp = samlify.ServiceProvider({
    entityID: SP.entityId,
    wantAssertionsSigned: options.wantAssertionsSigned,
    wantMessageSigned: options.wantMessageSigned,
    assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: SP.acsUrl }],
    ...(options.encPrivateKey ? { encPrivateKey: options.encPrivateKey } : {}),
  });
  return { idp, sp };
}

export { assertSchemaValid, xmlsecVerify } from '@jit/testing';

/**
 * Application options the catalog API cannot set yet are given to the IdP the way the catalog
 * will: a catalog.application.updated.v1 event on this run's CATALOG stream, with a version above
 * anything the catalog wrote. The IdP's freshness gate makes the next SSO see it.
 */
export class CatalogPublisher {
  private version = 1000;
  private constructor(
    private readonly bus: NatsBus,
    private readonly organizationId: string,
  ) {}

  static async connect(system: System, organizationId: string): Promise<CatalogPublisher> {
    const bus = await NatsBus.connect({
      servers: system.env.natsUrl,
      prefix: system.env.natsPrefix,
      service: 'e2e-catalog-publisher',
      keys: [system.busKey],
    });
    return new CatalogPublisher(bus, organizationId);
  }

  async configure(applicationId: string, snapshot: z.input<typeof ApplicationSnapshot>): Promise<void> {
    this.version += 1;
    await this.bus.publish(
      CatalogEvents.applicationUpdated,
      {
        organizationId: this.organizationId,
        applicationId,
        version: this.version,
        occurredAt: new Date().toISOString(),
        application: ApplicationSnapshot.parse(snapshot),
      },
      `e2e-${applicationId}-${this.version}`,
    );
  }

  async close(): Promise<void> {
    await this.bus.connection.drain();
  }
}

export type IdpAnswer =
  | { kind: 'post'; acs: string; samlResponse: string; xml: string; relayState: string | undefined }
  | { kind: 'login'; location: string }
  | { kind: 'page'; status: number; html: string };

/** What the IdP answers a browser: the auto-POST form, a redirect to its login, or a page. */
export async function answer(response: Response): Promise<IdpAnswer> {
  if (response.status === 302) return { kind: 'login', location: response.headers.get('location') ?? '' };
  const html = await response.text();
  if (response.status !== 200 || !html.includes('name="SAMLResponse"')) return { kind: 'page', status: response.status, html };
  const form = parseForm(html);
  const samlResponse = form.fields.SAMLResponse ?? '';
  return {
    kind: 'post',
    acs: form.action,
    samlResponse,
    xml: Buffer.from(samlResponse, 'base64').toString('utf8'),
    relayState: form.fields.RelayState,
  };
}

/** Signs `browser` in at the IdP through an SP-initiated request that node-saml makes. */
export async function signInBrowser(system: System, browser: Browser, appId: string, username: string, password: string): Promise<void> {
  const request = () => nodeSaml(system, appId, ['unused'], { identifierFormat: null }).getAuthorizeUrlAsync('', undefined, {});
  let first = await browser.get(await request());
  // The callers change the application through the CATALOG stream just before: on a loaded machine
  // the IdP may not have applied it within its bounded wait, and answers 503 rather than decide
  // from what it had (the freshness rule, tested on its own elsewhere). These tests are about what
  // the SAML looks like, so they ask again (a new AuthnRequest each time), a few times.
  for (let attempt = 1; first.status === 503 && attempt <= 10; attempt++) {
    await first.body?.cancel();
    await new Promise((retry) => setTimeout(retry, 200));
    first = await browser.get(await request());
  }
  assert.equal(first.status, 302, `expected a redirect to the login form, got ${first.status}`);
  const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
  const posted = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username, password });
  assert.equal(posted.status, 200, await posted.clone().text());
}

/** A key pair and self-signed certificate for the SP (its signing or encryption key). */
export async function spCredentials(commonName: string): Promise<{ privateKeyPem: string; certificatePem: string }> {
  const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1] & typeof webcrypto;
  const keys = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(8).toString('hex')}`,
      name: [{ CN: [commonName] }],
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      keys,
    },
    crypto,
  );
  return {
    privateKeyPem: x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
    certificatePem: certificate.toString('pem'),
  };
}
