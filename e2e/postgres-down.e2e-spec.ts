import assert from 'node:assert/strict';
import { consoleApplicationId } from '@jit/idp-contracts';
import { Browser, eventually, parseForm } from '@jit/testing';
import { BOOTSTRAP_KEY, System, signIn } from './harness';
import { PostgresProxy } from './postgres-proxy';

interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
}

/**
 * PostgreSQL going away (stopped, crashed, unreachable) is a dependency being down, not a bug:
 * every service answers 503 with a reason a person can act on, never 500, and everything works
 * again once it is back. The directory, the catalog, the IdP and the admin console reach
 * PostgreSQL through a relay this test closes and reopens (demo-sp, the SP, keeps its own direct
 * connection).
 */
describe('PostgreSQL down: 503 with a reason everywhere, and sign-in again once it is back', () => {
  const proxy = new PostgresProxy();
  const serviceEnv: Record<string, Record<string, string>> = {};
  const system = new System('pgdown', undefined, {}, serviceEnv);
  const browser = new Browser();
  const password = 'correct horse battery staple';
  let appId = '';
  const adminPassword = 'pgdown console administrator password';
  /** An administrator's console session, opened before the outage. */
  let consoleCookie = '';
  /** A SAML Response for the console, issued before the outage. */
  let heldResponse: { agent: Browser; action: string; fields: Record<string, string> };

  const call = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(url, {
      method,
      headers: { 'x-api-key': BOOTSTRAP_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as ErrorBody };
  };

  beforeAll(async () => {
    await proxy.open();
    const DATABASE_URL = proxy.through(system.env.databaseUrl);
    for (const service of ['directory', 'catalog', 'idp', 'console']) serviceEnv[service] = { DATABASE_URL };
    serviceEnv.directory = { ...serviceEnv.directory, BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: adminPassword };
    await system.start();
    await system.startOne('console');
    ({ appId } = await system.personWithDemoSpAccess(
      { username: 'noor', email: 'noor@example.com', firstname: 'Noor', lastname: 'Haddad', password },
      'Analysts',
    ));
    assert.equal((await signIn(system, browser, appId, 'noor', password)).outcome, 'signed-in');
    consoleCookie = await signInToConsole();
    assert.equal((await fetch(`${system.consoleUrl}/api/me`, { headers: { cookie: consoleCookie } })).status, 200);
    // Issued now, posted to the console's ACS during the outage.
    heldResponse = await consoleResponse();
  });

  /** The administrator through the IdP's login form, up to the SAML Response the browser would post to the console's ACS. */
  const consoleResponse = async (): Promise<{ agent: Browser; action: string; fields: Record<string, string> }> => {
    const agent = new Browser();
    const start = await agent.get(`${system.consoleUrl}/auth/login`);
    const location = start.headers.get('location') ?? '';
    assert.match(location, /\/saml2\/[^/]+\/sso\?SAMLRequest=/, `console /auth/login answered ${start.status}`);
    const landed = await agent.follow(await agent.get(location), location);
    const form = parseForm(await landed.response.text());
    const posted = await agent.postForm(`${system.idpUrl}/login`, {
      csrf: form.fields.csrf ?? '',
      username: 'admin',
      password: adminPassword,
    });
    const response = parseForm(await posted.text());
    assert.ok(location.includes(consoleApplicationId(response.fields.RelayState ?? '')), 'the console application of the organisation');
    return { agent, ...response };
  };

  /** The console's session cookie after a sign-in. */
  const signInToConsole = async (): Promise<string> => {
    const { agent, action, fields } = await consoleResponse();
    const acs = await agent.postForm(action, fields);
    assert.equal(acs.status, 303, await acs.text());
    return acs.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  };

  afterAll(async () => {
    await proxy.open();
    await system.stop();
    proxy.close();
  });

  const refusedForTheDatabase = async () => {
    const refused = await signIn(system, new Browser(), appId, 'noor', password);
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.outcome === 'refused' && refused.status, 503);
    assert.match(
      refused.outcome === 'refused' ? refused.page : '',
      /The sign-in service cannot reach its database; try again in a moment\./,
    );
  };

  it('answers 503 with the reason, not 500, when the replay cache cannot reach the database', async () => {
    // The IdP proves its read model current through NATS: the first thing to meet the outage is
    // the replay cache's INSERT.
    proxy.close();
    await refusedForTheDatabase();
  });

  it('answers an SP-initiated sign-in with a 503 page that says the database cannot be reached', async () => {
    // Every session stays cut: the reason it gives is still the database.
    proxy.close();
    await refusedForTheDatabase();
  });

  it('answers the admin APIs of the directory, the catalog and the IdP 503 DEPENDENCY_UNAVAILABLE', async () => {
    const created = await call('POST', `${system.directoryUrl}/v1/users`, {
      username: 'sam',
      email: 'sam@example.com',
      firstname: 'Sam',
      lastname: 'Okafor',
      password,
    });
    const expected = {
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'The database (PostgreSQL) is not answering, so nothing was changed; try again shortly',
    };
    assert.deepEqual(created, { status: 503, body: expected });
    assert.deepEqual(await call('GET', `${system.catalogUrl}/v1/applications`), { status: 503, body: expected });
    assert.deepEqual(await call('POST', `${system.idpUrl}/v1/signing-keys/rotation`, {}), { status: 503, body: expected });
  });

  it("answers the console's API 503 DEPENDENCY_UNAVAILABLE: a session it cannot read is not a 500, nor a sign-out", async () => {
    const expected = {
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'The database (PostgreSQL) is not answering, so nothing was changed; try again shortly',
    };
    for (const path of ['/api/me', '/api/activity', '/api/directory/v1/users?limit=5']) {
      const response = await fetch(`${system.consoleUrl}${path}`, { headers: { cookie: consoleCookie } });
      assert.deepEqual({ status: response.status, body: (await response.json()) as ErrorBody }, { status: 503, body: expected }, path);
    }
    // Starting a sign-in records its AuthnRequest ID in the database, for whichever console
    // instance the IdP's Response reaches: with the database away, a 503 with the reason.
    const start = await fetch(`${system.consoleUrl}/auth/login`, { redirect: 'manual' });
    const startPage = await start.text();
    assert.equal(start.status, 503, startPage);
    assert.match(startPage, /The database \(PostgreSQL\) is not answering/);
    // Finishing one needs a session: the ACS answers a 503 page with the reason.
    const acs = await heldResponse.agent.postForm(heldResponse.action, heldResponse.fields);
    const page = await acs.text();
    assert.equal(acs.status, 503, page);
    assert.match(page, /The database \(PostgreSQL\) is not answering/);
  });

  it("answers the IdP's pages for a signed-in person with a 503 page naming the database (no 500, no JSON), and its metadata from memory", async () => {
    // `browser` holds Noor's IdP session from before the outage. Signed-in sessions are shared
    // through PostgreSQL: with the database away, no instance can tell whether another ended this
    // one, so none trusts its copy (docs/operations.md, "Several instances of a service"); a
    // person's browser still gets a page that says why.
    for (const path of ['/', `/saml2/${appId}/init`, '/account']) {
      const page = await browser.get(`${system.idpUrl}${path}`);
      const html = await page.text();
      assert.equal(page.status, 503, path);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.match(html, /<title>Temporarily unavailable<\/title>/, path);
      assert.match(html, /The database \(PostgreSQL\) is not answering/, path);
    }
    const next = 'another long enough password 123';
    const changed = await browser.postForm(`${system.idpUrl}/account/password`, {
      csrf: 'any',
      currentPassword: password,
      newPassword: next,
      repeatPassword: next,
    });
    assert.equal(changed.status, 503, await changed.text());
    // The metadata needs no session: the IdP's memory holds the keys, proven current through NATS.
    const metadata = await browser.get(`${system.idpUrl}/saml2/${appId}/metadata`);
    assert.equal(metadata.status, 200);
  });

  it('is not ready, and says the database is why', async () => {
    for (const url of [system.directoryUrl, system.catalogUrl, system.idpUrl, system.consoleUrl]) {
      const ready = await fetch(`${url}/ready`);
      assert.equal(ready.status, 503, url);
      const body = (await ready.json()) as { checks: { database: string }; reasons: string[] };
      assert.equal(body.checks.database, 'down', url);
      assert.ok(
        body.reasons.some((r) => r.startsWith('database does not answer (')),
        `${url}: ${body.reasons.join('; ')}`,
      );
    }
  });

  it('signs in again, and takes admin changes again, once PostgreSQL is back', async () => {
    await proxy.open();
    await eventually(
      async () => {
        const result = await signIn(system, new Browser(), appId, 'noor', password);
        assert.equal(result.outcome, 'signed-in', result.outcome === 'refused' ? `${result.status}: ${result.page}` : '');
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await system.admin(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username: 'sam', email: 'sam@example.com', firstname: 'Sam', lastname: 'Okafor', password },
      201,
    );
    await eventually(async () => assert.equal((await fetch(`${system.idpUrl}/ready`)).status, 200), { timeoutMs: 10_000, intervalMs: 250 });
    // The administrator's console session outlived the outage.
    assert.equal((await fetch(`${system.consoleUrl}/api/me`, { headers: { cookie: consoleCookie } })).status, 200);
  });
});
