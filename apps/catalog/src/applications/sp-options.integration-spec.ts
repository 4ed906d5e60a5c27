import assert from 'node:assert/strict';
import { SAML } from '@node-saml/node-saml';
import { bodySchema, eventually, fetchOpenApi, readStream, startInEnv, type ServiceProcess } from '@jit/testing';
import { derBase64, spMetadataXml, spSigningCredentials, startDirectoryAndCatalog, type DirectoryAndCatalog } from '../test-fixtures';

const BOOTSTRAP = 'catalog-sp-certs-bootstrap-key-01234';
const SP_ENTITY_ID = 'https://signed.example.com/saml/metadata';
const ACS_URL = 'https://signed.example.com/saml/acs';

/**
 * SP options as the IdP receives them: every certificate the catalog accepts verifies the SP's
 * signatures at the IdP, over both bindings; ACS indexes travel as the metadata gave them
 * (directory, catalog and IdP as their own processes, real PostgreSQL and NATS).
 */
describe('SP options stored by the catalog, used by the IdP', () => {
  let system: DirectoryAndCatalog;
  let idp: ServiceProcess;

  beforeAll(async () => {
    system = await startDirectoryAndCatalog('catspcerts', BOOTSTRAP);
    idp = await startInEnv('idp', system.env, BOOTSTRAP);
  });
  afterAll(async () => {
    await idp.stop();
    await system.stop();
  });

  /** An application that requires signed requests with this certificate, once the IdP knows it. */
  const application = async (certificatePem: string): Promise<string> => {
    const created = await system.call('POST', `${system.catalog}/v1/applications`, {
      connectorId: 'saml2',
      name: 'Signed requests',
      spEntityId: SP_ENTITY_ID,
      acsUrls: [ACS_URL],
      spSigningCertificates: [certificatePem],
      requireSignedRequests: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = String(created.body.id);
    await eventually(async () => assert.equal((await fetch(`${idp.url}/saml2/${id}/metadata`)).status, 200));
    return id;
  };

  /** An SP that signs its requests, addressed (Destination) as the IdP's metadata says; sent to this run's IdP. */
  const sp = async (appId: string, privateKeyPem: string) => {
    const metadata = await (await fetch(`${idp.url}/saml2/${appId}/metadata`)).text();
    const location = /SingleSignOnService [^>]*Location="([^"]+)"/.exec(metadata)?.[1] ?? '';
    return new SAML({
      entryPoint: location,
      issuer: SP_ENTITY_ID,
      callbackUrl: ACS_URL,
      // Required by node-saml; no response is read here.
      idpCert: 'unused',
      privateKey: privateKeyPem,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
    });
  };
  const here = (url: string) => url.replace(/^https?:\/\/[^/]+/, idp.url);

  /** The IdP's answer to a signed request: a verified request from a browser without a session goes to the login page. */
  const answers = async (saml: SAML) => {
    const redirect = await fetch(here(await saml.getAuthorizeUrlAsync('', undefined, {})), { redirect: 'manual' });
    const form = await saml.getAuthorizeFormAsync('');
    const samlRequest = /name="SAMLRequest" value="([^"]+)"/.exec(form)?.[1] ?? '';
    const post = await fetch(here(saml.options.entryPoint ?? ''), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLRequest: samlRequest }).toString(),
    });
    return {
      redirect: [redirect.status, redirect.headers.get('location')],
      post: [post.status, post.headers.get('location')],
    };
  };

  it('a certificate whose base64 body is a multiple of 64 characters long verifies signed Redirect and POST requests', async () => {
    const credentials = await spSigningCredentials({ bodyLength: 'multiple-of-64' });
    assert.equal(derBase64(credentials.certificatePem).length % 64, 0);
    const appId = await application(credentials.certificatePem);
    assert.deepEqual(await answers(await sp(appId, credentials.privateKeyPem)), { redirect: [302, '/login'], post: [302, '/login'] });
  });

  it('refuses a signing certificate with an RSA key under 2048 bits: 400 naming the field, nothing stored', async () => {
    const weak = await spSigningCredentials({ rsaBits: 1024 });
    const refused = await system.call('POST', `${system.catalog}/v1/applications`, {
      connectorId: 'saml2',
      name: 'Weak key',
      spEntityId: 'https://weak.example.com/saml/metadata',
      acsUrls: ['https://weak.example.com/saml/acs'],
      spSigningCertificates: [weak.certificatePem],
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.details, [
      { field: 'spSigningCertificates.0', message: 'holds a 1024-bit RSA key; at least 2048 bits are needed' },
    ]);
    const listed = await system.call('GET', `${system.catalog}/v1/applications`);
    assert.equal(
      (listed.body.items as { name: string }[]).some((a) => a.name === 'Weak key'),
      false,
    );
  });

  it('another key is still refused with the same certificate registered', async () => {
    const [registered, other] = await Promise.all([spSigningCredentials({ bodyLength: 'multiple-of-64' }), spSigningCredentials()]);
    const appId = await application(registered.certificatePem);
    const refused = await answers(await sp(appId, other.privateKeyPem));
    assert.deepEqual(refused, { redirect: [400, null], post: [400, null] });
  });

  it("imported metadata keeps each ACS URL's index, in the API and in the snapshot the IdP receives", async () => {
    const created = await system.call('POST', `${system.catalog}/v1/applications/from-metadata`, {
      connectorId: 'saml2',
      name: 'Indexed',
      metadataXml: spMetadataXml({
        entityId: 'https://indexed.example.com/saml/metadata',
        acs: [
          { location: 'https://indexed.example.com/acs/nine', index: 9 },
          { location: 'https://indexed.example.com/acs/artifact', binding: 'Artifact', index: 0 },
          { location: 'https://indexed.example.com/acs/five', index: 5 },
        ],
      }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const indexes = [
      { index: 5, url: 'https://indexed.example.com/acs/five' },
      { index: 9, url: 'https://indexed.example.com/acs/nine' },
    ];
    assert.deepEqual(created.body.acsIndexes, indexes);
    assert.deepEqual(created.body.acsUrls, ['https://indexed.example.com/acs/five', 'https://indexed.example.com/acs/nine']);
    const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    const event = events.find((e) => e.subject.endsWith('catalog.application.created.v1') && e.payload.applicationId === created.body.id);
    assert.deepEqual((event?.payload.application as { acsIndexes?: unknown } | undefined)?.acsIndexes, indexes);
  });

  it('idpInitiatedRelayStateFromCaller: off by default, set on create and PATCH, in the snapshot the IdP receives and in the OpenAPI bodies', async () => {
    const body = {
      connectorId: 'saml2',
      name: 'Caller RelayState',
      spEntityId: 'https://relay.example.com/saml/metadata',
      acsUrls: ['https://relay.example.com/saml/acs'],
    };
    const plain = await system.call('POST', `${system.catalog}/v1/applications`, body);
    assert.equal(plain.status, 201, JSON.stringify(plain.body));
    assert.equal(plain.body.idpInitiatedRelayStateFromCaller, false);
    const optedIn = await system.call('POST', `${system.catalog}/v1/applications`, { ...body, idpInitiatedRelayStateFromCaller: true });
    assert.equal(optedIn.status, 201, JSON.stringify(optedIn.body));
    assert.equal(optedIn.body.idpInitiatedRelayStateFromCaller, true);
    const patched = await system.call('PATCH', `${system.catalog}/v1/applications/${String(plain.body.id)}`, {
      idpInitiatedRelayStateFromCaller: true,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.idpInitiatedRelayStateFromCaller, true);
    const refused = await system.call('PATCH', `${system.catalog}/v1/applications/${String(plain.body.id)}`, {
      idpInitiatedRelayStateFromCaller: 'yes',
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(
      (refused.body.details as { field: string }[]).map((d) => d.field),
      ['idpInitiatedRelayStateFromCaller'],
    );

    const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    const snapshots = events
      .filter((e) => e.payload.applicationId === plain.body.id && e.subject.includes('catalog.application.'))
      .map((e) => (e.payload.application as { idpInitiatedRelayStateFromCaller?: boolean } | undefined)?.idpInitiatedRelayStateFromCaller);
    assert.deepEqual(snapshots, [false, true]);

    const doc = await fetchOpenApi(system.catalog);
    for (const route of ['POST /v1/applications', 'POST /v1/applications/from-metadata', 'PATCH /v1/applications/{id}']) {
      assert.equal(bodySchema(doc, route)?.properties?.idpInitiatedRelayStateFromCaller?.type, 'boolean', route);
    }
  });

  it('portal options: defaults, set on create and PATCH, refused naming the field, in the events the IdP receives and in the OpenAPI bodies', async () => {
    const body = {
      connectorId: 'demo-sp',
      name: 'Portal app',
      spEntityId: 'http://localhost:4100/saml/metadata',
      acsUrls: ['http://localhost:4100/saml/acs'],
    };
    const plain = await system.call('POST', `${system.catalog}/v1/applications`, body);
    assert.equal(plain.status, 201, JSON.stringify(plain.body));
    const id = String(plain.body.id);
    const portal = (b: Record<string, unknown>) => [b.launchUrl, b.portalVisible, b.portalLabel, b.portalColor];
    // demo-sp refuses IdP-initiated sign-in: its connector opens it at its own /login instead.
    const derived = `http://localhost:4100/login?app=${id}`;
    assert.deepEqual(portal(plain.body), [derived, true, null, null]);
    assert.equal(plain.body.idpInitiatedAllowed, false);

    const launchUrl = 'http://127.0.0.1:4100/login?from=portal';
    const patched = await system.call('PATCH', `${system.catalog}/v1/applications/${id}`, {
      launchUrl,
      portalLabel: 'Demo',
      portalColor: '#0b7285',
      portalVisible: false,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(portal(patched.body), [launchUrl, false, 'Demo', '#0b7285']);
    const created = await system.call('POST', `${system.catalog}/v1/applications`, {
      ...body,
      name: 'Portal app 2',
      launchUrl: 'https://portal.example.com/start',
      portalColor: '#abc',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(portal(created.body), ['https://portal.example.com/start', true, null, '#abc']);

    const refusedCreate = await system.call('POST', `${system.catalog}/v1/applications`, {
      ...body,
      launchUrl: 'javascript:alert(1)',
      portalColor: 'red;}',
    });
    assert.equal(refusedCreate.status, 400);
    assert.deepEqual(refusedCreate.body.details, [
      { field: 'launchUrl', message: 'must use https, not javascript' },
      { field: 'portalColor', message: 'must be a hex colour such as #1a73e8 or #18e' },
    ]);
    const refusedPatch = await system.call('PATCH', `${system.catalog}/v1/applications/${id}`, {
      launchUrl: 'http://sp.example.com/login',
    });
    assert.equal(refusedPatch.status, 400);
    assert.deepEqual(refusedPatch.body.details, [
      { field: 'launchUrl', message: 'must use https (http is allowed only for localhost and 127.0.0.1)' },
    ]);
    const refusedType = await system.call('PATCH', `${system.catalog}/v1/applications/${id}`, { portalVisible: 'no', portalLabel: '' });
    assert.equal(refusedType.status, 400);
    assert.deepEqual(
      (refusedType.body.details as { field: string }[]).map((d) => d.field),
      ['portalVisible', 'portalLabel'],
    );
    // Nothing of the refused changes was stored.
    const stored = await system.call('GET', `${system.catalog}/v1/applications/${id}`);
    assert.deepEqual(portal(stored.body), [launchUrl, false, 'Demo', '#0b7285']);

    const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    const snapshots = events
      .filter((e) => e.payload.applicationId === id && /catalog\.application\.(created|updated)\.v1$/.test(e.subject))
      .map((e) => portal(e.payload.application as Record<string, unknown>));
    assert.deepEqual(snapshots, [
      [derived, true, null, null],
      [launchUrl, false, 'Demo', '#0b7285'],
    ]);

    const doc = await fetchOpenApi(system.catalog);
    for (const route of ['POST /v1/applications', 'POST /v1/applications/from-metadata', 'PATCH /v1/applications/{id}']) {
      const properties = bodySchema(doc, route)?.properties;
      assert.equal(properties?.portalVisible?.type, 'boolean', route);
      for (const name of ['launchUrl', 'portalLabel', 'portalColor']) assert.ok(properties?.[name], `${route} ${name}`);
    }
  });

  it('MFA options: off by default, set on PATCH, refused naming the field, in the events the IdP receives', async () => {
    const created = await system.call('POST', `${system.catalog}/v1/applications`, {
      connectorId: 'saml2',
      name: 'MFA app',
      spEntityId: 'https://mfa.example.com/sp',
      acsUrls: ['https://mfa.example.com/acs'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = String(created.body.id);
    const mfa = (b: Record<string, unknown>) => [b.mfaRequired, b.mfaAuthnContext, b.mfaPhishingResistant];
    assert.deepEqual(mfa(created.body), [false, 'refeds-mfa', false]);
    const patched = await system.call('PATCH', `${system.catalog}/v1/applications/${id}`, {
      mfaRequired: true,
      mfaAuthnContext: 'microsoft-multipleauthn',
      mfaPhishingResistant: true,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(mfa(patched.body), [true, 'microsoft-multipleauthn', true]);
    const read = await system.call('GET', `${system.catalog}/v1/applications/${id}`);
    assert.deepEqual(mfa(read.body), [true, 'microsoft-multipleauthn', true]);
    const refused = await system.call('PATCH', `${system.catalog}/v1/applications/${id}`, {
      mfaRequired: 'yes',
      mfaAuthnContext: 'sms',
      mfaPhishingResistant: 1,
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(
      (refused.body.details as { field: string }[]).map((d) => d.field),
      ['mfaRequired', 'mfaAuthnContext', 'mfaPhishingResistant'],
    );
    const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    const snapshots = events
      .filter((e) => e.payload.applicationId === id && /catalog\.application\.(created|updated)\.v1$/.test(e.subject))
      .map((e) => mfa(e.payload.application as Record<string, unknown>));
    assert.deepEqual(snapshots, [
      [false, 'refeds-mfa', false],
      [true, 'microsoft-multipleauthn', true],
    ]);
  });
});
