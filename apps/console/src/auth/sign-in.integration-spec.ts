import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { CATALOG_STREAM } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM, DirectoryRpc } from '@jit/directory-contracts';
import { consoleApplicationId, IDP_STREAM } from '@jit/idp-contracts';
import { decodeJson, NatsBus } from '@jit/messaging';
import {
  buildIdpMetadata,
  buildLogoutRequest,
  buildLogoutResponse,
  buildResponse,
  generateSigningCredentials,
  redirectBindingUrl,
  type SigningCredentials,
} from '@jit/saml';
import { DataSource } from 'typeorm';
import { freePort, testEnv } from '@jit/testing';
import { startConsole, type RunningConsole } from '../app.module';
import { loadConsoleConfig } from '../config';

const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const env = testEnv('consolesaml');
const organizationId = randomUUID();
const appId = consoleApplicationId(organizationId);
const admin = { id: randomUUID(), username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' };
const nobody = randomUUID();

let idp: Server;
let idpUrl: string;
let idpKey: SigningCredentials;
let impostorKey: SigningCredentials;
/** The console's own SAML signing key pair: with it, Sign out is a signed Single Logout. */
let consoleKey: { privateKeyPem: string; certificatePem: string };
let running: RunningConsole;
let consoleUrl: string;
/** A second console instance, started by the test that needs it. */
let another: RunningConsole | undefined;
let directory: NatsBus;
const opened: { organizationId: string; userId: string }[] = [];
const closed: string[] = [];

const idpEntity = () => `${idpUrl}/saml2/${appId}`;

beforeAll(async () => {
  const [a, b, c] = await Promise.all([
    generateSigningCredentials('fake-idp'),
    generateSigningCredentials('impostor'),
    generateSigningCredentials('console'),
  ]);
  consoleKey = c;
  idpKey = { privateKey: a.privateKeyPem, certificatePem: a.certificatePem };
  impostorKey = { privateKey: b.privateKeyPem, certificatePem: b.certificatePem };
  // The IdP's side: the console's application of the organisation, and nothing else.
  idp = createServer((req, res) => {
    if (req.url !== `/saml2/${appId}/metadata`) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(
      buildIdpMetadata({
        entityId: idpEntity(),
        ssoRedirectUrl: `${idpUrl}/saml2/${appId}/sso`,
        ssoPostUrl: `${idpUrl}/saml2/${appId}/sso`,
        sloRedirectUrl: `${idpUrl}/saml2/${appId}/slo`,
        certificatePems: [idpKey.certificatePem],
        nameIdFormats: [UNSPECIFIED],
      }),
    );
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  idpUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;

  // The directory's side of the admin-session contract.
  directory = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'directory' });
  for (const stream of [IDP_STREAM, DIRECTORY_STREAM, CATALOG_STREAM]) await directory.ensureStream(stream);
  directory.connection.subscribe(directory.naming.subject(DirectoryRpc.openAdminSession.subject), {
    callback: (_error, msg) => {
      const request = directory.receiveRequest(DirectoryRpc.openAdminSession, msg);
      if (!request) return;
      const asked = decodeJson(request.data) as { organizationId: string; userId: string };
      opened.push(asked);
      request.respond({
        ok: true,
        data:
          asked.userId === admin.id
            ? {
                ok: true,
                token: `token-of-${asked.userId}`,
                expiresAt: new Date(Date.now() + 3600_000).toISOString(),
                role: 'read-only',
                permissions: ['read'],
                user: admin,
                organization: { id: organizationId, name: 'Analytical Engines' },
              }
            : { ok: false, reason: 'no_admin_role' },
      });
    },
  });
  directory.connection.subscribe(directory.naming.subject(DirectoryRpc.closeAdminSession.subject), {
    callback: (_error, msg) => {
      const request = directory.receiveRequest(DirectoryRpc.closeAdminSession, msg);
      if (!request) return;
      closed.push((decodeJson(request.data) as { token: string }).token);
      request.respond({ ok: true, data: { closed: true } });
    },
  });
  await directory.connection.flush();

  const port = await freePort();
  consoleUrl = `http://127.0.0.1:${port}`;
  running = await startConsole(consoleConfig(port));
});

/** A console instance on this test's database and NATS prefix; every instance has the one public address, consoleUrl. */
function consoleConfig(port: number) {
  return loadConsoleConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: env.databaseUrl,
    NATS_URL: env.natsUrl,
    NATS_PREFIX: env.natsPrefix,
    CONSOLE_PORT: String(port),
    CONSOLE_URL: consoleUrl,
    IDP_URL: idpUrl,
    CONSOLE_DEFAULT_ORGANIZATION_ID: organizationId,
    CONSOLE_SAML_SIGNING_KEY: consoleKey.privateKeyPem,
    CONSOLE_SAML_SIGNING_CERTIFICATE: consoleKey.certificatePem,
  });
}

afterAll(async () => {
  await another?.app.close();
  await running?.app.close();
  await directory?.close();
  await new Promise((resolve) => idp?.close(resolve));
  await env.cleanup();
});

/** GET /auth/login and read the AuthnRequest the console sent. */
async function startLogin(query = ''): Promise<{ requestId: string; relayState: string | null }> {
  const response = await fetch(`${consoleUrl}/auth/login${query}`, { redirect: 'manual' });
  assert.equal(response.status, 302, await response.text());
  const location = new URL(response.headers.get('location') ?? '');
  assert.equal(`${location.origin}${location.pathname}`, `${idpUrl}/saml2/${appId}/sso`);
  const xml = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  assert.match(xml, new RegExp(`AssertionConsumerServiceURL="${consoleUrl}/saml/acs"`));
  assert.match(xml, new RegExp(`<saml:Issuer[^>]*>${consoleUrl}/saml/metadata</saml:Issuer>`));
  return { requestId: /\bID="([^"]+)"/.exec(xml)?.[1] ?? '', relayState: location.searchParams.get('RelayState') };
}

async function postAcs(inResponseTo: string, userId: string, options: { key?: SigningCredentials; relayState?: string; to?: string } = {}) {
  const xml = await buildResponse({
    issuer: idpEntity(),
    destination: `${consoleUrl}/saml/acs`,
    inResponseTo,
    audience: `${consoleUrl}/saml/metadata`,
    nameId: userId,
    nameIdFormat: UNSPECIFIED,
    sessionIndex: '_s1',
    attributes: [
      { name: 'userId', values: [userId] },
      { name: 'username', values: [userId === admin.id ? 'ada' : 'grace'] },
      { name: 'organizationId', values: [organizationId] },
    ],
    signAssertion: true,
    signResponse: true,
    credentials: options.key ?? idpKey,
  });
  return fetch(`${options.to ?? consoleUrl}/saml/acs`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64'), RelayState: options.relayState ?? organizationId }),
  });
}

const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');

describe('signing in to the console', () => {
  it('sends an AuthnRequest for the default organisation’s console application, naming it in RelayState', async () => {
    const { relayState } = await startLogin();
    assert.equal(relayState, organizationId);
  });

  it('opens the directory’s admin session for the asserted person and answers /api/me from it', async () => {
    const { requestId } = await startLogin();
    const acs = await postAcs(requestId, admin.id);
    assert.equal(acs.status, 303, await acs.text());
    assert.equal(acs.headers.get('location'), '/');
    const setCookie = acs.headers.getSetCookie().join('\n');
    assert.match(setCookie, /console_session=/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    assert.deepEqual(opened.at(-1), { organizationId, userId: admin.id });

    const me = await fetch(`${consoleUrl}/api/me`, { headers: { cookie: cookieOf(acs) } });
    assert.equal(me.status, 200);
    const body = (await me.json()) as Record<string, unknown>;
    assert.deepEqual(body.user, admin);
    assert.deepEqual(body.organization, { id: organizationId, name: 'Analytical Engines' });
    assert.equal(body.role, 'read-only');
    assert.deepEqual(body.permissions, ['read']);
    assert.equal(typeof body.csrfToken, 'string');
  });

  it('tells a person without an admin role so, and makes no session', async () => {
    const { requestId } = await startLogin();
    const acs = await postAcs(requestId, nobody);
    assert.equal(acs.status, 403);
    assert.match(await acs.text(), /You are signed in as grace but hold no admin role in/);
    assert.equal(acs.headers.getSetCookie().length, 0);
  });

  it('refuses a Response signed with another key, one answering no request of its own, and a replay', async () => {
    const first = await startLogin();
    assert.equal((await postAcs(first.requestId, admin.id, { key: impostorKey })).status, 401);
    assert.equal((await postAcs('_never-sent', admin.id)).status, 401);
    const second = await startLogin();
    assert.equal((await postAcs(second.requestId, admin.id)).status, 303);
    assert.equal((await postAcs(second.requestId, admin.id)).status, 401, 'the same InResponseTo twice');
  });

  it('accepts the Response on another console instance than the one that sent the request, once', async () => {
    const port = await freePort();
    another = await startConsole(consoleConfig(port));
    const other = `http://127.0.0.1:${port}`;
    const { requestId } = await startLogin();
    const acs = await postAcs(requestId, admin.id, { to: other });
    assert.equal(acs.status, 303, await acs.text());
    const me = await fetch(`${consoleUrl}/api/me`, { headers: { cookie: cookieOf(acs) } });
    assert.equal(me.status, 200, 'the session made on the other instance is known here');
    assert.equal((await postAcs(requestId, admin.id)).status, 401, 'answered once: not again on the first instance');
    const [{ n }] = await running.app
      .get(DataSource)
      .query<{ n: number }[]>(`SELECT count(*)::int AS n FROM console.saml_request_ids WHERE id = $1`, [requestId]);
    assert.equal(n, 0, 'the answered ID is gone from the shared table');
  });

  it('refuses a Response for another organisation than the IdP application’s', async () => {
    const { requestId } = await startLogin();
    // RelayState names an organisation whose console application the IdP does not serve here.
    const acs = await postAcs(requestId, admin.id, { relayState: randomUUID() });
    assert.ok([401, 404].includes(acs.status), String(acs.status));
  });

  it('signs out: the token ends, the IdP is asked to end its session, and its answer brings the browser home', async () => {
    const { requestId } = await startLogin();
    const acs = await postAcs(requestId, admin.id);
    const cookie = cookieOf(acs);
    const { csrfToken } = (await (await fetch(`${consoleUrl}/api/me`, { headers: { cookie } })).json()) as { csrfToken: string };
    const out = await fetch(`${consoleUrl}/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    assert.equal(out.status, 200);
    const { redirect } = (await out.json()) as { redirect: string };
    const slo = new URL(redirect);
    assert.equal(`${slo.origin}${slo.pathname}`, `${idpUrl}/saml2/${appId}/slo`);
    assert.equal(slo.searchParams.get('RelayState'), organizationId);
    // Signed with the console's key (HTTP-Redirect binding: the signature is over the query).
    assert.equal(slo.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    assert.ok(slo.searchParams.get('Signature'), 'the LogoutRequest is signed');
    assert.equal(closed.at(-1), `token-of-${admin.id}`);
    assert.equal((await fetch(`${consoleUrl}/api/me`, { headers: { cookie } })).status, 401);

    const logoutRequest = inflateRawSync(Buffer.from(slo.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const inResponseTo = /\bID="([^"]+)"/.exec(logoutRequest)?.[1] ?? '';
    const back = redirectBindingUrl(
      `${consoleUrl}/saml/logout`,
      'SAMLResponse',
      buildLogoutResponse({ issuer: idpEntity(), destination: `${consoleUrl}/saml/logout`, inResponseTo }),
      organizationId,
      idpKey,
    );
    const home = await fetch(back, { redirect: 'manual' });
    assert.equal(home.status, 303, await home.text());
    assert.equal(home.headers.get('location'), '/');
    const forged = redirectBindingUrl(
      `${consoleUrl}/saml/logout`,
      'SAMLResponse',
      buildLogoutResponse({ issuer: idpEntity(), destination: `${consoleUrl}/saml/logout`, inResponseTo }),
      organizationId,
      impostorKey,
    );
    assert.equal((await fetch(forged, { redirect: 'manual' })).status, 401);
  });

  it('ends the person’s sessions when the IdP sends its own signed LogoutRequest, and answers it', async () => {
    const { requestId } = await startLogin();
    const cookie = cookieOf(await postAcs(requestId, admin.id));
    assert.equal((await fetch(`${consoleUrl}/api/me`, { headers: { cookie } })).status, 200);
    const request = (key: SigningCredentials) =>
      redirectBindingUrl(
        `${consoleUrl}/saml/logout`,
        'SAMLRequest',
        buildLogoutRequest({
          issuer: idpEntity(),
          destination: `${consoleUrl}/saml/logout`,
          nameId: admin.id,
          nameIdFormat: UNSPECIFIED,
          sessionIndex: '_s1',
        }).xml,
        'back-to-portal',
        key,
      );
    const forged = await fetch(request(impostorKey), { redirect: 'manual' });
    assert.equal(forged.status, 401);
    const unsigned = new URL(request(idpKey));
    unsigned.searchParams.delete('Signature');
    assert.equal((await fetch(unsigned, { redirect: 'manual' })).status, 401);
    assert.equal((await fetch(`${consoleUrl}/api/me`, { headers: { cookie } })).status, 200, 'still signed in');

    closed.length = 0;
    // No cookie: the IdP's redirect is cross-site, and SameSite=Strict keeps it home.
    const answer = await fetch(request(idpKey), { redirect: 'manual' });
    assert.equal(answer.status, 302, await answer.text());
    const location = new URL(answer.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, `${idpUrl}/saml2/${appId}/slo`);
    assert.ok(location.searchParams.get('SAMLResponse'));
    assert.equal(location.searchParams.get('RelayState'), 'back-to-portal');
    assert.equal((await fetch(`${consoleUrl}/api/me`, { headers: { cookie } })).status, 401);
    assert.ok(closed.includes(`token-of-${admin.id}`));
  });
});
