import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { CATALOG_STREAM, CatalogEvents } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM, DirectoryEvents, DirectoryRpc } from '@jit/directory-contracts';
import { consoleApplicationId, IDP_STREAM, IdpEvents } from '@jit/idp-contracts';
import { BusContext, decodeJson, encodeJson, NatsBus } from '@jit/messaging';
import { assertSuccessSchemas, eventually, fetchOpenApi, testEnv } from '@jit/testing';
import { startConsole, type RunningConsole } from './app.module';
import { ActivityHandler } from './activity/activity.handler';
import { ActivityNames } from './activity/activity-names';
import { ActivityRetention } from './activity/activity-retention';
import { loadConsoleConfig, type ConsoleConfig } from './config';
import { SESSION_COOKIE } from './session/console-session';

const env = testEnv('console');
const SECRET = 'console-integration-session-secret-0123456789';
let config: ConsoleConfig;
let running: RunningConsole;
let producer: NatsBus;
let upstream: Server;
/** What the fake service behind the proxy received. */
const received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
/** The status the fake service answers next (401 to play an expired token). */
let upstreamStatus = 200;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(upstreamStatus, {
        'content-type': 'application/json',
        'content-disposition': 'attachment; filename="x.json"',
        'set-cookie': 'leak=1',
      });
      res.end(JSON.stringify({ answered: req.url }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  producer = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'producer' });
  for (const stream of [IDP_STREAM, DIRECTORY_STREAM, CATALOG_STREAM]) await producer.ensureStream(stream);
  config = loadConsoleConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: env.databaseUrl,
    NATS_URL: env.natsUrl,
    NATS_PREFIX: env.natsPrefix,
    CONSOLE_PORT: '0',
    CONSOLE_SESSION_SECRET: SECRET,
    DIRECTORY_URL: upstreamUrl,
    CATALOG_URL: upstreamUrl,
    IDP_URL: upstreamUrl,
    ACTIVITY_RETENTION_DAYS: '30',
  });
  running = await startConsole(config);
});

afterAll(async () => {
  await running?.app.close();
  await producer?.close();
  await new Promise((resolve) => upstream?.close(resolve));
  await env.cleanup();
});

const url = (path: string) => `${running.url}${path}`;

/**
 * A signed-in browser without going through the IdP: the session is written to the console's
 * store as the ACS writes it, and the cookie signed as express-session signs it.
 */
async function signIn(organizationId = randomUUID(), token = `token-${randomUUID()}`) {
  const sid = randomUUID();
  const csrfToken = `csrf-${randomUUID()}`;
  const expires = new Date(Date.now() + 3600_000);
  const data = {
    cookie: { originalMaxAge: 3600_000, expires: expires.toISOString(), httpOnly: true, path: '/', sameSite: 'strict', secure: false },
    signedIn: {
      token,
      expiresAt: expires.toISOString(),
      role: 'help-desk',
      permissions: ['read', 'users:write'],
      user: { id: randomUUID(), username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' },
      organization: { id: organizationId, name: 'Example' },
      csrfToken,
      saml: { nameID: 'x', nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' },
    },
  };
  await running.app
    .get(DataSource)
    .query(`INSERT INTO "console"."sessions" ("sid", "data", "expires_at") VALUES ($1, $2, $3)`, [sid, JSON.stringify(data), expires]);
  const signature = createHmac('sha256', SECRET).update(sid).digest('base64').replace(/=+$/, '');
  return { cookie: `${SESSION_COOKIE}=${encodeURIComponent(`s:${sid}.${signature}`)}`, csrfToken, organizationId, token, sid };
}

describe('session', () => {
  it("documents the JSON answer of the console's own API", async () => {
    const routes = assertSuccessSchemas(await fetchOpenApi(url('').replace(/\/$/, '')));
    assert.deepEqual(routes.sort(), ['GET /api/activity', 'GET /api/me']);
  });

  it('answers /api/me 401 without a session, and the person with one', async () => {
    const anonymous = await fetch(url('/api/me'));
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), { statusCode: 401, error: 'Unauthorized', code: 'UNAUTHENTICATED', message: 'Sign in' });

    const browser = await signIn();
    const me = await fetch(url('/api/me'), { headers: { cookie: browser.cookie } });
    assert.equal(me.status, 200);
    const body = (await me.json()) as Record<string, unknown>;
    assert.equal((body.organization as { id: string }).id, browser.organizationId);
    assert.equal(body.role, 'help-desk');
    assert.equal(body.csrfToken, browser.csrfToken);
    assert.equal(body.consoleApplicationId, consoleApplicationId(browser.organizationId));
    assert.equal(JSON.stringify(body).includes(browser.token), false, 'the directory token never reaches the browser');
  });

  it('signs out: the directory ends the token (asked over the bus), the session ends, and the browser is told where to go', async () => {
    const closed: string[] = [];
    // Plays the directory's side of the contract.
    const directory = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'directory' });
    directory.connection.subscribe(directory.naming.subject(DirectoryRpc.closeAdminSession.subject), {
      callback: (_error, msg) => {
        const request = directory.receiveRequest(DirectoryRpc.closeAdminSession, msg);
        if (!request) return;
        closed.push((decodeJson(request.data) as { token: string }).token);
        request.respond({ ok: true, data: { closed: true } });
      },
    });
    await directory.connection.flush();
    try {
      const browser = await signIn();
      const refused = await fetch(url('/auth/logout'), { method: 'POST', headers: { cookie: browser.cookie } });
      assert.equal(refused.status, 403, 'no CSRF header');
      assert.deepEqual(closed, []);

      const out = await fetch(url('/auth/logout'), {
        method: 'POST',
        headers: { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken },
      });
      assert.equal(out.status, 200);
      // No signing key of the console's: the IdP's own sign-out page, whose public address comes
      // from the IdP's metadata; this fake IdP has none, so back to the console.
      assert.deepEqual(await out.json(), { redirect: '/' });
      assert.deepEqual(closed, [browser.token]);
      assert.equal((await fetch(url('/api/me'), { headers: { cookie: browser.cookie } })).status, 401);
    } finally {
      await directory.close();
    }
  });

  it('asks which organisation when none is given and there is no default', async () => {
    const page = await fetch(url('/auth/login'), { redirect: 'manual' });
    assert.equal(page.status, 400);
    assert.match(await page.text(), /CONSOLE_DEFAULT_ORGANIZATION_ID/);
  });

  it('serves the SAML SP metadata with the console’s ACS', async () => {
    const metadata = await (await fetch(url('/saml/metadata'))).text();
    assert.match(metadata, /entityID="http:\/\/localhost:4003\/saml\/metadata"/);
    assert.match(metadata, /Location="http:\/\/localhost:4003\/saml\/acs"/);
  });
});

describe('proxy', () => {
  it('forwards to the service with the bearer token and only content-type and accept of the browser’s headers', async () => {
    const browser = await signIn();
    received.length = 0;
    const answer = await fetch(url('/api/directory/v1/users?limit=5'), {
      method: 'POST',
      headers: {
        cookie: browser.cookie,
        'x-csrf-token': browser.csrfToken,
        'content-type': 'application/json',
        accept: 'application/json',
        'x-api-key': 'smuggled',
        'x-forwarded-for': '6.6.6.6',
      },
      body: JSON.stringify({ username: 'grace' }),
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { answered: '/v1/users?limit=5' });
    assert.equal(answer.headers.get('content-disposition'), 'attachment; filename="x.json"');
    assert.equal(answer.headers.get('set-cookie'), null, "the service's cookies stay with the console");
    const [sent] = received;
    assert.ok(sent);
    assert.equal(sent.method, 'POST');
    assert.equal(sent.headers.authorization, `Bearer ${browser.token}`);
    assert.equal(sent.headers['content-type'], 'application/json');
    assert.equal(sent.headers['x-api-key'], undefined);
    assert.equal(sent.headers.cookie, undefined);
    assert.equal(sent.headers['x-forwarded-for'], undefined);
    assert.equal(sent.headers['x-csrf-token'], undefined);
    assert.equal(sent.body, JSON.stringify({ username: 'grace' }));
  });

  it('refuses paths outside v1/ and saml2/, dot segments, and unknown services', async () => {
    const browser = await signIn();
    received.length = 0;
    for (const path of [
      '/api/directory/metrics',
      '/api/directory/v1/../metrics',
      '/api/directory/v1/%2e%2e/metrics',
      '/api/idp/health',
      '/api/vault/v1/x',
    ]) {
      const answer = await fetch(url(path), { headers: { cookie: browser.cookie } });
      assert.equal(answer.status, 404, path);
    }
    assert.equal((await fetch(url('/api/idp/saml2/abc/metadata'), { headers: { cookie: browser.cookie } })).status, 200);
    assert.deepEqual(
      received.map((r) => r.url),
      ['/saml2/abc/metadata'],
    );
  });

  it('refuses a changing request without the session’s CSRF token, and any request without a session', async () => {
    const browser = await signIn();
    received.length = 0;
    const noHeader = await fetch(url('/api/catalog/v1/applications'), { method: 'POST', headers: { cookie: browser.cookie } });
    assert.equal(noHeader.status, 403);
    const wrong = await fetch(url('/api/catalog/v1/applications'), {
      method: 'DELETE',
      headers: { cookie: browser.cookie, 'x-csrf-token': 'nope' },
    });
    assert.equal(wrong.status, 403);
    assert.equal((await fetch(url('/api/catalog/v1/applications'))).status, 401);
    assert.equal(received.length, 0, 'nothing reached the service');
  });

  it('refuses a body over 1 MB', async () => {
    const browser = await signIn();
    const answer = await fetch(url('/api/directory/v1/users/import'), {
      method: 'POST',
      headers: { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken, 'content-type': 'text/csv' },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    assert.equal(answer.status, 413);
  });

  it('ends the console session when the service answers 401 (token expired or revoked)', async () => {
    const browser = await signIn();
    upstreamStatus = 401;
    try {
      const answer = await fetch(url('/api/directory/v1/users'), { headers: { cookie: browser.cookie } });
      assert.equal(answer.status, 401);
    } finally {
      upstreamStatus = 200;
    }
    assert.equal((await fetch(url('/api/me'), { headers: { cookie: browser.cookie } })).status, 401);
  });
});

describe('activity', () => {
  const organizationId = randomUUID();
  const userId = randomUUID();
  const applicationId = randomUUID();
  const adminId = randomUUID();
  let seq = 0;
  const publish = (subject: string, payload: Record<string, unknown>) =>
    producer.publishEncoded(subject, encodeJson(payload), `msg-${++seq}-${randomUUID()}`);
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

  let browser: Awaited<ReturnType<typeof signIn>>;
  const page = async (query: string) => {
    const answer = await fetch(url(`/api/activity${query}`), { headers: { cookie: browser.cookie } });
    assert.equal(answer.status, 200, await answer.clone().text());
    return (await answer.json()) as { items: Record<string, unknown>[]; nextBefore: string | null };
  };

  beforeAll(async () => {
    browser = await signIn(organizationId);
    await publish(IdpEvents.ssoRefused.subject, {
      organizationId,
      applicationId,
      userId,
      reason: 'app_not_authorized',
      detail: 'not in a bound group',
      occurredAt: ago(1),
    });
    await publish(DirectoryEvents.userUpdated.subject, {
      organizationId,
      version: 2,
      occurredAt: ago(0.5),
      userId,
      user: {
        username: 'grace',
        email: 'grace@example.com',
        firstname: 'Grace',
        lastname: 'Hopper',
        ...Object.fromEntries(
          [
            'displayname',
            'employeeIdentifier',
            'jobTitle',
            'department',
            'costCenter',
            'company',
            'employeeType',
            'location',
            'phoneNumber',
            'manager',
          ].map((k) => [k, null]),
        ),
        state: 'ACTIVATED',
        customAttributes: {},
      },
      changedAttributes: ['email'],
      actor: { kind: 'person', userId: adminId, username: 'ada' },
    });
    for (let i = 0; i < 5; i++) {
      await publish(IdpEvents.assertionIssued.subject, {
        organizationId,
        applicationId,
        userId,
        attributeNames: ['email'],
        inResponseTo: null,
        occurredAt: ago(0.1 - i * 0.001),
      });
    }
    await publish(CatalogEvents.applicationDeactivated.subject, { organizationId, version: 3, applicationId, occurredAt: ago(0.2) });
    // Another organisation's: never shown here.
    await publish(IdpEvents.ssoRefused.subject, {
      organizationId: randomUUID(),
      applicationId,
      userId: null,
      reason: 'app_not_found',
      detail: '',
      occurredAt: ago(0.3),
    });
    // Older than the retention.
    await publish(IdpEvents.ssoRefused.subject, {
      organizationId,
      applicationId,
      userId,
      reason: 'stale_request',
      detail: '',
      occurredAt: ago(45),
    });
    await eventually(
      async () =>
        assert.equal(
          (await page('?limit=200')).items.length,
          9,
          JSON.stringify((await page('?limit=200')).items.map((i) => [i.subject, i.occurredAt])),
        ),
      { timeoutMs: 15_000 },
    );
  });

  it('stores an IdP refusal with its reason and detail', async () => {
    const { items } = await page('?kind=refusal&reason=app_not_authorized');
    assert.equal(items.length, 1);
    assert.equal(items[0].userId, userId);
    assert.equal(items[0].applicationId, applicationId);
    assert.equal(items[0].detail, 'not in a bound group');
    assert.equal(items[0].subject, IdpEvents.ssoRefused.subject);
    assert.equal(items[0].actor, null);
  });

  it('stores an admin change with the actor the producer wrote beside the contract’s fields', async () => {
    const { items } = await page('?kind=admin-change');
    const change = items.find((i) => i.subject === DirectoryEvents.userUpdated.subject);
    assert.ok(change);
    assert.deepEqual(change.actor, { kind: 'person', userId: adminId, username: 'ada' });
    assert.equal(change.summary, `ada updated grace (${userId}): email`);
    assert.ok(items.some((i) => i.subject === CatalogEvents.applicationDeactivated.subject && i.actor === null));
  });

  it('filters by user, application and time, newest first', async () => {
    const byUser = await page(`?userId=${userId}`);
    assert.ok(byUser.items.every((i) => i.userId === userId));
    const times = byUser.items.map((i) => Date.parse(i.occurredAt as string));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const recent = await page(`?kind=sign-in&applicationId=${applicationId}&from=${encodeURIComponent(ago(1))}`);
    assert.equal(recent.items.length, 5);
    assert.equal((await page(`?to=${encodeURIComponent(ago(40))}`)).items.length, 1);
  });

  it('pages with nextBefore until the last page', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const next: { items: Record<string, unknown>[]; nextBefore: string | null } = await page(
        `?limit=2${before ? `&before=${before}` : ''}`,
      );
      seen.push(...next.items.map((i) => i.id as string));
      before = next.nextBefore;
      pages++;
    } while (before);
    assert.equal(pages, 5);
    assert.equal(new Set(seen).size, 9);
  });

  it('refuses filters it cannot apply, naming them', async () => {
    const bad = await fetch(url('/api/activity?kind=everything&limit=5000&userId=ada'), { headers: { cookie: browser.cookie } });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { details: { field: string }[] };
    assert.deepEqual(body.details.map((d) => d.field).sort(), ['kind', 'limit', 'userId']);
    assert.equal((await fetch(url('/api/activity?before=garbage'), { headers: { cookie: browser.cookie } })).status, 400);
  });

  it('deletes rows older than ACTIVITY_RETENTION_DAYS', async () => {
    await running.app.get(ActivityRetention).run();
    const { items } = await page('?limit=200');
    assert.equal(items.length, 8);
    assert.ok(items.every((i) => i.reason !== 'stale_request'));
  });

  it('stores a redelivered event once', async () => {
    const before = (await page('?limit=200')).items.length;
    const handler = running.app.get(ActivityHandler);
    const event = { organizationId, applicationId, userId, reason: 'no_passive', detail: '', occurredAt: ago(0.01) };
    // What the transport does when an ack is lost: the same stream sequence, delivered again.
    await handler.onEvent(event, new BusContext([IdpEvents.ssoRefused.subject, 1_000_000, false]));
    await handler.onEvent(event, new BusContext([IdpEvents.ssoRefused.subject, 1_000_000, true]));
    assert.equal((await page('?limit=200')).items.length, before + 1);
  });

  it('names groups and API keys by the name their DIRECTORY events gave, after a rename and a deletion too', async () => {
    const [groupId, apiKeyId, memberId] = [randomUUID(), randomUUID(), randomUUID()];
    const by = { actor: { kind: 'person', userId: adminId, username: 'ada' } };
    const at = (minutes: number) => new Date(Date.now() - 3_600_000 + minutes * 60_000).toISOString();
    const entity = (minutes: number, version: number) => ({ organizationId, version, occurredAt: at(minutes), ...by });
    const created = { ...entity(1, 1), groupId, name: 'Finance' };
    const window = `from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(10))}`;
    const summaries = async () => (await page(`?kind=admin-change&${window}`)).items.map((i) => i.summary).reverse();
    await publish(DirectoryEvents.groupCreated.subject, created);
    await publish(DirectoryEvents.membershipAdded.subject, { ...entity(2, 1), groupId, userId: memberId });
    await publish(DirectoryEvents.groupRenamed.subject, { ...entity(3, 2), groupId, name: 'Finance EMEA', previousName: 'Finance' });
    // The binding is on the CATALOG stream, read beside the DIRECTORY one: given after the rename is read.
    await eventually(async () => assert.equal((await summaries()).length, 3), { timeoutMs: 15_000 });
    await publish(CatalogEvents.groupBound.subject, { ...entity(4, 1), applicationId, groupId });
    await publish(DirectoryEvents.apiKeyCreated.subject, { organizationId, occurredAt: at(5), ...by, apiKeyId, name: 'HR feed' });
    await publish(DirectoryEvents.apiKeyRevoked.subject, {
      organizationId,
      occurredAt: at(6),
      ...by,
      apiKeyId,
      apiKeyHash: '0'.repeat(64),
    });
    await eventually(async () => assert.equal((await summaries()).length, 6), { timeoutMs: 15_000 });
    // The group's creation read again at an older position (a redelivery): its older name does not come back.
    await running.app.get(ActivityNames).learn(DirectoryEvents.groupCreated.subject, created, 1);
    // Another organisation's event naming the same id, later in the stream: not this log's name.
    await running.app
      .get(ActivityNames)
      .learn(DirectoryEvents.groupRenamed.subject, { ...created, organizationId: randomUUID(), name: 'Not ours' }, 1_000_000_000);
    await publish(DirectoryEvents.groupDeleted.subject, { ...entity(7, 3), groupId });
    await eventually(async () => assert.equal((await summaries()).length, 7), { timeoutMs: 15_000 });
    assert.deepEqual(await summaries(), [
      'ada created group Finance',
      `ada added user ${memberId} to group Finance`,
      'ada renamed group Finance to Finance EMEA',
      `ada gave group Finance EMEA access to application ${applicationId}`,
      'ada created API key HR feed',
      'ada revoked API key HR feed',
      'ada deleted group Finance EMEA',
    ]);
  });

  it('names a binding read before the DIRECTORY event that named its group, once that event is read', async () => {
    const groupId = randomUUID();
    const by = { actor: { kind: 'person', userId: adminId, username: 'ada' } };
    const at = new Date(Date.now() - 7_200_000).toISOString();
    const window = `from=${encodeURIComponent(new Date(Date.now() - 7_300_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() - 7_100_000).toISOString())}`;
    const summaries = async () => (await page(`?kind=admin-change&${window}`)).items.map((i) => i.summary).reverse();
    // The CATALOG stream is read ahead of the DIRECTORY one (a DIRECTORY import running, say).
    await publish(CatalogEvents.groupBound.subject, { organizationId, version: 1, occurredAt: at, ...by, applicationId, groupId });
    await eventually(
      async () => assert.deepEqual(await summaries(), [`ada gave group ${groupId} access to application ${applicationId}`]),
      {
        timeoutMs: 15_000,
      },
    );
    const createdAt = new Date(Date.parse(at) - 60_000).toISOString();
    await publish(DirectoryEvents.groupCreated.subject, {
      organizationId,
      version: 1,
      occurredAt: createdAt,
      ...by,
      groupId,
      name: 'Payroll',
    });
    await eventually(
      async () =>
        assert.deepEqual(await summaries(), ['ada created group Payroll', `ada gave group Payroll access to application ${applicationId}`]),
      { timeoutMs: 15_000 },
    );
  });
});

describe('live events', () => {
  it('streams the subject and ids of the organisation’s events, and nobody else’s', async () => {
    const browser = await signIn();
    const controller = new AbortController();
    const answer = await fetch(url('/api/events'), { headers: { cookie: browser.cookie }, signal: controller.signal });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = answer.body!.getReader();
    let text = '';
    const groupId = randomUUID();
    try {
      await producer.publishEncoded(
        DirectoryEvents.groupCreated.subject,
        encodeJson({
          organizationId: randomUUID(),
          version: 1,
          occurredAt: new Date().toISOString(),
          groupId: randomUUID(),
          name: 'other',
        }),
        randomUUID(),
      );
      await producer.publishEncoded(
        DirectoryEvents.groupCreated.subject,
        encodeJson({ organizationId: browser.organizationId, version: 1, occurredAt: new Date().toISOString(), groupId, name: 'ours' }),
        randomUUID(),
      );
      const deadline = Date.now() + 5000;
      while (!text.includes('data:') && Date.now() < deadline) {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
    } finally {
      controller.abort();
    }
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as unknown);
    assert.deepEqual(data, [{ subject: DirectoryEvents.groupCreated.subject, ids: { groupId } }]);
    assert.equal(text.includes('ours'), false, 'names stay out of the stream');
  });
});

describe('OpenAPI', () => {
  it('documents the console’s own API (me, activity) and none of what it forwards', async () => {
    const document = (await (await fetch(url('/docs-json'))).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    const paths = Object.keys(document.paths).filter((p) => p.startsWith('/api'));
    assert.deepEqual(paths.sort(), ['/api/activity', '/api/me']);
    const filters = (document.paths['/api/activity']?.get?.parameters ?? []).map((p) => p.name).sort();
    assert.deepEqual(filters, ['applicationId', 'before', 'from', 'kind', 'limit', 'reason', 'to', 'userId']);
  });
});

describe('SPA', () => {
  it('answers a page saying how to build the screens when they are not built', async () => {
    const answer = await fetch(url('/users/123'));
    // The build may exist on a developer's machine: then it is index.html.
    const html = await answer.text();
    assert.ok(answer.status === 503 ? /npm run build/.test(html) : /<html/i.test(html));
    assert.equal((await fetch(url('/health'))).status, 200, 'the console’s own paths are not the SPA');
  });
});
