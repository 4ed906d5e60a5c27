import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { buildIdpMetadata, buildResponse, generateSigningCredentials, type SamlAttribute, type SigningCredentials } from '@jit/saml';
import { dropDatabase } from '@jit/persistence';
import { startDemoSp, type RunningDemoSp } from '../app.module';
import { loadDemoSpConfig } from '../config';

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const APP = 'x';
/** Another organisation's application at the same IdP: its own entity, the same signing key. */
const OTHER_APP = 'y';
/** An application whose IdP entity is `<idp>/saml2/<id>`, as the real IdP names them: what IdP-initiated sign-in resolves from the Issuer. */
const INIT_APP = 'z';
const databaseUrl = `postgres://postgres@127.0.0.1:5432/jit_test_demosp_${randomBytes(6).toString('hex')}`;

let idp: Server;
let idpUrl: string;
let idpEntityId: string;
let idpKey: SigningCredentials;
let otherKey: SigningCredentials;
let sp: RunningDemoSp;
/** Like the real IdP: an entity per application. */
const entityOf = (app: string) => `${idpUrl}/saml2/${app}/metadata`;
let spUrl: string;

/** A port that was free a moment ago: the SP must know its base URL (entity ID, ACS) before it listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function get(path: string, jar?: CookieJar): Promise<Response> {
  const response = await fetch(spUrl + path, { redirect: 'manual', headers: jar ? { cookie: jar.header() } : {} });
  jar?.take(response);
  return response;
}

/** GET /login and read what the SP sent to the IdP. */
async function startLogin(jar: CookieJar, app = APP): Promise<{ requestId: string; acsUrl: string; relayState: string | null }> {
  const response = await get(`/login?app=${app}`, jar);
  assert.equal(response.status, 302);
  const location = new URL(response.headers.get('location') ?? '');
  assert.equal(`${location.origin}${location.pathname}`, `${idpUrl}/saml2/${app}/sso`);
  const xml = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  assert.match(xml, /<samlp:AuthnRequest\b/);
  return {
    requestId: /\bID="([^"]+)"/.exec(xml)?.[1] ?? '',
    acsUrl: /\bAssertionConsumerServiceURL="([^"]+)"/.exec(xml)?.[1] ?? '',
    relayState: location.searchParams.get('RelayState'),
  };
}

async function samlResponse(opts: {
  inResponseTo: string;
  nameId: string;
  attributes: SamlAttribute[];
  credentials?: SigningCredentials;
  issuer?: string;
}): Promise<string> {
  const xml = await buildResponse({
    issuer: opts.issuer ?? idpEntityId,
    destination: `${spUrl}/saml/acs`,
    inResponseTo: opts.inResponseTo,
    audience: `${spUrl}/saml/metadata`,
    nameId: opts.nameId,
    nameIdFormat: EMAIL_FORMAT,
    sessionIndex: '_session1',
    attributes: opts.attributes,
    signAssertion: true,
    signResponse: true,
    credentials: opts.credentials ?? idpKey,
  });
  return Buffer.from(xml, 'utf8').toString('base64');
}

async function postAcs(fields: Record<string, string>, jar?: CookieJar): Promise<Response> {
  const response = await fetch(`${spUrl}/saml/acs`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(jar ? { cookie: jar.header() } : {}) },
    body: new URLSearchParams(fields),
  });
  jar?.take(response);
  return response;
}

const ADA: SamlAttribute[] = [
  { name: 'email', values: ['Ada@Example.com'] },
  { name: 'firstname', values: ['Ada'] },
  { name: 'lastname', values: ['Lovelace'] },
  { name: 'groups', values: ['engines', 'poetry'] },
  { name: 'department', values: ['<b>R&D</b>'] },
];

beforeAll(async () => {
  const [a, b] = await Promise.all([generateSigningCredentials('fake-idp'), generateSigningCredentials('impostor')]);
  idpKey = { privateKey: a.privateKeyPem, certificatePem: a.certificatePem };
  otherKey = { privateKey: b.privateKeyPem, certificatePem: b.certificatePem };

  idp = createServer((req, res) => {
    const match = /^\/saml2\/([^/]+)\/metadata$/.exec(req.url ?? '');
    const app = match?.[1];
    if (app !== APP && app !== OTHER_APP && app !== INIT_APP) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(
      buildIdpMetadata({
        entityId: app === INIT_APP ? `${idpUrl}/saml2/${app}` : entityOf(app),
        ssoRedirectUrl: `${idpUrl}/saml2/${app}/sso`,
        ssoPostUrl: `${idpUrl}/saml2/${app}/sso`,
        certificatePems: [idpKey.certificatePem],
        nameIdFormats: [EMAIL_FORMAT],
      }),
    );
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  idpUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  idpEntityId = entityOf(APP);

  const port = await freePort();
  spUrl = `http://127.0.0.1:${port}`;
  sp = await startDemoSp(
    loadDemoSpConfig({
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DEMO_SP_PORT: String(port),
      DEMO_SP_BASE_URL: spUrl,
      DEMO_SP_IDP_URL: idpUrl,
    }),
  );
});

afterAll(async () => {
  await sp?.app.close();
  await new Promise<void>((resolve) => (idp ? idp.close(() => resolve()) : resolve()));
  await dropDatabase(databaseUrl);
});

describe('demo-sp sign-in through the ACS', () => {
  it('answers 400 with a readable page when no application is named', async () => {
    const response = await get('/login');
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await response.text(), /No application was given/);
  });

  it('answers 404 when the IdP has no such application', async () => {
    const response = await get('/login?app=missing');
    assert.equal(response.status, 404);
    assert.match(await response.text(), /The IdP has no application &quot;missing&quot;/);
  });

  let signedInJar: CookieJar;
  let firstResponse: string;
  let accountId: string;

  it('signs in SP-initiated and JIT-creates the account', async () => {
    const jar = new CookieJar();
    const request = await startLogin(jar);
    assert.equal(request.acsUrl, `${spUrl}/saml/acs`);
    assert.equal(request.relayState, APP);
    const loginCookie = jar.header();
    assert.match(loginCookie, /^demo_sp\.sid=/);

    firstResponse = await samlResponse({ inResponseTo: request.requestId, nameId: 'ada@example.com', attributes: ADA });
    const acs = await postAcs({ SAMLResponse: firstResponse, RelayState: APP }, jar);
    assert.equal(acs.status, 303);
    assert.equal(acs.headers.get('location'), '/');
    const setCookie = acs.headers.getSetCookie().join('\n');
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    assert.notEqual(jar.header(), loginCookie, 'the session id is regenerated on sign-in');
    signedInJar = jar;

    const home = await get('/', jar);
    assert.equal(home.status, 200);
    const html = await home.text();
    assert.match(html, /<strong class="action">created<\/strong>/);
    assert.match(html, /Ada@Example\.com/);
    assert.match(html, /Lovelace/);
    assert.match(html, /<li>engines<\/li><li>poetry<\/li>/);
    assert.ok(html.includes('&lt;b&gt;R&amp;D&lt;/b&gt;'));
    assert.equal(html.includes('<b>R&D</b>'), false);

    const list = (await (await get('/accounts')).json()) as { items: Record<string, unknown>[]; total: number };
    assert.equal(list.total, 1);
    const [account] = list.items;
    accountId = account.id as string;
    assert.equal(account.nameId, 'ada@example.com');
    assert.equal(account.nameIdFormat, EMAIL_FORMAT);
    assert.equal(account.email, 'Ada@Example.com');
    assert.equal(account.firstname, 'Ada');
    assert.equal(account.lastname, 'Lovelace');
    assert.equal(account.lastJitAction, 'created');
    assert.equal(account.loginCount, 1);
    assert.deepEqual(account.attributes, {
      email: 'Ada@Example.com',
      firstname: 'Ada',
      lastname: 'Lovelace',
      groups: ['engines', 'poetry'],
      department: '<b>R&D</b>',
    });
    const one = await get(`/accounts/${accountId}`);
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as { id: string }).id, accountId);
  });

  it('refuses the same response a second time (replay)', async () => {
    const response = await postAcs({ SAMLResponse: firstResponse, RelayState: APP });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /rejected: .*InResponseTo is not valid/);
  });

  it('refuses a response signed with another key, with the reason and no stack trace', async () => {
    const jar = new CookieJar();
    const request = await startLogin(jar);
    const forged = await samlResponse({
      inResponseTo: request.requestId,
      nameId: 'mallory@example.com',
      attributes: ADA,
      credentials: otherKey,
    });
    const response = await postAcs({ SAMLResponse: forged, RelayState: APP }, jar);
    assert.equal(response.status, 401);
    const html = await response.text();
    assert.match(html, /The IdP&#39;s response was rejected: Invalid (document )?signature/i);
    assert.doesNotMatch(html, /\bat .*\.js:\d+/);
    assert.equal(((await (await get('/accounts')).json()) as { total: number }).total, 1);
  });

  it('signs in again without the session cookie (the cross-site POST case) and updates the account', async () => {
    const request = await startLogin(new CookieJar());
    const attributes = ADA.map((a) => (a.name === 'lastname' ? { ...a, values: ['King'] } : a));
    const jar = new CookieJar();
    const acs = await postAcs(
      { SAMLResponse: await samlResponse({ inResponseTo: request.requestId, nameId: 'ada@example.com', attributes }), RelayState: APP },
      jar,
    );
    assert.equal(acs.status, 303);
    const html = await (await get('/', jar)).text();
    assert.match(html, /<strong class="action">updated<\/strong>/);
    assert.match(html, /King/);
    const account = (await (await get(`/accounts/${accountId}`)).json()) as Record<string, unknown>;
    assert.equal(account.lastname, 'King');
    assert.equal(account.loginCount, 2);
  });

  it("an assertion from another organisation's application with the victim's NameID and email neither signs in to nor modifies the victim's account", async () => {
    const victimBefore = (await (await get(`/accounts/${accountId}`)).json()) as Record<string, unknown>;
    assert.equal(victimBefore.issuer, idpEntityId);
    // The attacker's own organisation has an application for this SP and a user with the victim's email.
    const jar = new CookieJar();
    const request = await startLogin(jar, OTHER_APP);
    assert.equal(request.relayState, OTHER_APP);
    const mallory = [
      { name: 'email', values: ['Ada@Example.com'] },
      { name: 'firstname', values: ['Mallory'] },
      { name: 'lastname', values: ['Attacker'] },
    ];
    const acs = await postAcs(
      {
        SAMLResponse: await samlResponse({
          inResponseTo: request.requestId,
          nameId: 'ada@example.com',
          attributes: mallory,
          issuer: entityOf(OTHER_APP),
        }),
        RelayState: OTHER_APP,
      },
      jar,
    );
    assert.equal(acs.status, 303);
    // Signed in to an account of the other issuer, made just now: not the victim's.
    const home = await (await get('/', jar)).text();
    assert.match(home, /<strong class="action">created<\/strong>/);
    assert.match(home, /Mallory/);
    assert.equal(home.includes(accountId), false);
    const list = (await (await get('/accounts')).json()) as { items: Record<string, unknown>[] };
    const theirs = list.items.filter((a) => a.issuer === entityOf(OTHER_APP));
    assert.deepEqual(
      theirs.map((a) => [a.nameId, a.firstname]),
      [['ada@example.com', 'Mallory']],
    );
    assert.notEqual(theirs[0]?.id, accountId);
    assert.deepEqual(await (await get(`/accounts/${accountId}`)).json(), victimBefore, "the victim's account is untouched");
  });

  it("refuses a Response issued by another application's IdP entity for this application, though its signature is the IdP's", async () => {
    const victimBefore = (await (await get(`/accounts/${accountId}`)).json()) as Record<string, unknown>;
    const jar = new CookieJar();
    const request = await startLogin(jar, APP);
    const response = await postAcs(
      {
        SAMLResponse: await samlResponse({
          inResponseTo: request.requestId,
          nameId: 'ada@example.com',
          attributes: ADA,
          issuer: entityOf(OTHER_APP),
        }),
        RelayState: APP,
      },
      jar,
    );
    assert.equal(response.status, 401);
    const html = await response.text();
    assert.ok(html.includes(`is not ${idpEntityId}, the IdP entity trusted for application ${APP}`), html);
    assert.match(await (await get('/', jar)).text(), /You are not signed in/);
    assert.deepEqual(await (await get(`/accounts/${accountId}`)).json(), victimBefore);
  });

  it('signs out', async () => {
    const response = await get('/logout', signedInJar);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), '/');
    const html = await (await get('/', signedInJar)).text();
    assert.match(html, /You are not signed in/);
  });

  it('serves its SP metadata with the ACS', async () => {
    const response = await get('/saml/metadata');
    assert.equal(response.status, 200);
    const xml = await response.text();
    assert.ok(xml.includes(`entityID="${spUrl}/saml/metadata"`));
    assert.ok(xml.includes(`Location="${spUrl}/saml/acs"`));
  });
});

describe('demo-sp with IdP-initiated sign-in and a signing key (DEMO_SP_IDP_INITIATED, DEMO_SP_SIGNING_KEY)', () => {
  let initSp: RunningDemoSp;
  let initUrl = '';
  let spKey: { privateKeyPem: string; certificatePem: string };
  const unsolicited = async (acsBase: string, inResponseTo?: string) => {
    const xml = await buildResponse({
      issuer: `${idpUrl}/saml2/${INIT_APP}`,
      destination: `${acsBase}/saml/acs`,
      ...(inResponseTo ? { inResponseTo } : {}),
      audience: `${acsBase}/saml/metadata`,
      nameId: 'grace@example.com',
      nameIdFormat: EMAIL_FORMAT,
      sessionIndex: '_session2',
      attributes: [{ name: 'email', values: ['grace@example.com'] }],
      signAssertion: true,
      signResponse: true,
      credentials: idpKey,
    });
    return Buffer.from(xml, 'utf8').toString('base64');
  };
  const post = (base: string, fields: Record<string, string>) =>
    fetch(`${base}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });

  beforeAll(async () => {
    spKey = await generateSigningCredentials('demo-sp');
    const port = await freePort();
    initUrl = `http://127.0.0.1:${port}`;
    initSp = await startDemoSp(
      loadDemoSpConfig({
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        DEMO_SP_PORT: String(port),
        DEMO_SP_BASE_URL: initUrl,
        DEMO_SP_IDP_URL: idpUrl,
        DEMO_SP_IDP_INITIATED: 'true',
        DEMO_SP_SIGNING_KEY: spKey.privateKeyPem,
        DEMO_SP_SIGNING_CERTIFICATE: spKey.certificatePem,
      }),
    );
  });

  afterAll(() => initSp?.app.close());

  it('by default a Response that answers no request is refused', async () => {
    const response = await post(spUrl, { SAMLResponse: await unsolicited(spUrl), RelayState: INIT_APP });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /InResponseTo/);
  });

  it('accepts it when allowed, for the application whose IdP entity issued it, without RelayState', async () => {
    const response = await post(initUrl, { SAMLResponse: await unsolicited(initUrl) });
    assert.equal(response.status, 303, await response.clone().text());
    const accounts = (await (await fetch(`${initUrl}/accounts`)).json()) as { items: { email: string; issuer: string }[] };
    const grace = accounts.items.find((a) => a.email === 'grace@example.com');
    assert.equal(grace?.issuer, `${idpUrl}/saml2/${INIT_APP}`);
  });

  it('still refuses a Response that answers a request it never sent', async () => {
    const answering = await unsolicited(initUrl, '_not-ours');
    // Not unsolicited, so its Issuer names no application: only RelayState may.
    const unnamed = await post(initUrl, { SAMLResponse: answering });
    assert.equal(unnamed.status, 400);
    assert.match(await unnamed.text(), /carries no RelayState naming the IdP application/);
    const response = await post(initUrl, { SAMLResponse: answering, RelayState: INIT_APP });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /InResponseTo is not valid/);
  });

  it('signs its AuthnRequests and publishes the certificate in its metadata', async () => {
    const login = await fetch(`${initUrl}/login?app=${APP}`, { redirect: 'manual' });
    const location = new URL(login.headers.get('location') ?? '');
    assert.equal(location.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    assert.ok(location.searchParams.get('Signature'));
    const metadata = await (await fetch(`${initUrl}/saml/metadata`)).text();
    assert.match(metadata, /AuthnRequestsSigned="true"/);
    const body = spKey.certificatePem.replace(/-----[A-Z ]+-----|\s/g, '');
    assert.ok(metadata.replace(/\s/g, '').includes(body), 'the signing certificate is in the metadata');
  });
});
