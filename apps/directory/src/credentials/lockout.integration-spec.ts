import assert from 'node:assert/strict';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { adminClient, answerSchema, eventually, fetchOpenApi, readStream, startInEnv, testEnv, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'lockout-test-bootstrap-key-0123456789';
const PASSWORD = 'correct horse battery staple';
const THRESHOLD = 3;
const ACCOUNT_LIMIT = 6;
const LOCKOUT_SECONDS = 600;

describe('an account lockout, seen and lifted by an administrator (real PostgreSQL and NATS)', () => {
  const env = testEnv('lockout');
  let directory: ServiceProcess;
  let bus: NatsBus;
  let base = '';
  let organizationId = '';
  let otherKey = '';
  const call = adminClient(() => base, BOOTSTRAP);
  const ids = new Map<string, string>();
  const id = (username: string) => String(ids.get(username));

  const verify = (username: string, password: string, sourceIp: string) =>
    bus.request(DirectoryRpc.verifyCredentials, { organizationId, username, password, sourceIp }, 5000);
  /** Wrong passwords from one address, until that pair backs off. */
  const lockFrom = async (username: string, sourceIp: string) => {
    for (let i = 0; i < THRESHOLD; i++) {
      assert.deepEqual(await verify(username, `wrong-${i}`, sourceIp), { ok: false, reason: 'invalid_credentials' });
    }
    const refused = await verify(username, PASSWORD, sourceIp);
    assert.equal(!refused.ok && refused.reason, 'locked_out');
  };
  const unlockedEvents = async (userId: string) =>
    (await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`))
      .filter((e) => e.subject === `${env.natsPrefix}.directory.user.unlocked.v1` && e.payload.userId === userId)
      .map((e) => e.payload);
  /** An ISO time between `fromNowMs` less a minute and `fromNowMs` ahead. */
  const around = (iso: unknown, fromNowMs: number) => {
    const ahead = Date.parse(String(iso)) - Date.now();
    assert.ok(ahead > fromNowMs - 60_000 && ahead <= fromNowMs, `${String(iso)} is ${ahead} ms ahead`);
  };

  beforeAll(async () => {
    directory = await startInEnv('directory', env, BOOTSTRAP, {
      DIRECTORY_LOCKOUT_THRESHOLD: String(THRESHOLD),
      DIRECTORY_LOCKOUT_SECONDS: String(LOCKOUT_SECONDS),
      DIRECTORY_LOCKOUT_ACCOUNT_LIMIT_PER_HOUR: String(ACCOUNT_LIMIT),
      // The admin change lines are info lines.
      LOG_LEVEL: 'info',
    });
    base = directory.url;
    for (const username of ['ada', 'bob', 'cy', 'dee']) {
      const res = await call('POST', '/v1/users', { username, email: `${username}@example.com`, password: PASSWORD });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids.set(username, String(res.body.id));
      organizationId = String(res.body.organizationId);
    }
    const other = await call('POST', '/v1/organizations', { name: 'Other Corp' });
    assert.equal(other.status, 201);
    otherKey = String(other.body.apiKey);
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'lockout-test' });
  });

  afterAll(async () => {
    await bus?.close();
    await directory?.stop();
    await env.cleanup();
  });

  it('shows no lockout for a user without failures', async () => {
    const res = await call('GET', `/v1/users/${id('dee')}/lockout`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { locked: false, sources: [], accountLimitedUntil: null });
  });

  it('shows the address that backs off; DELETE lifts it and the right password works at once from there, once logged and one event', async () => {
    const source = '192.0.2.1';
    await lockFrom('ada', source);

    const locked = await call('GET', `/v1/users/${id('ada')}/lockout`);
    assert.equal(locked.status, 200);
    const sources = locked.body.sources as { source: string; until: string; failures: number }[];
    assert.deepEqual(
      { ...locked.body, sources: sources.map((s) => ({ ...s, until: 'checked below' })) },
      { locked: true, sources: [{ source, until: 'checked below', failures: THRESHOLD }], accountLimitedUntil: null },
    );
    around(sources[0]?.until, LOCKOUT_SECONDS * 1000);

    const cleared = await call('DELETE', `/v1/users/${id('ada')}/lockout`);
    assert.deepEqual(cleared, { status: 204, body: {} });
    assert.deepEqual(await verify('ada', PASSWORD, source), { ok: true, userId: id('ada') });
    assert.deepEqual((await call('GET', `/v1/users/${id('ada')}/lockout`)).body, { locked: false, sources: [], accountLimitedUntil: null });

    const events = await unlockedEvents(id('ada'));
    assert.equal(events.length, 1);
    const expected = { organizationId, userId: id('ada'), cause: 'admin', sourceIps: [source], failures: THRESHOLD };
    assert.deepEqual(events[0], { ...events[0], ...expected });
    // The admin change line of the service kit: who, which route, which user.
    await eventually(() =>
      assert.match(directory.output(), new RegExp(`DELETE /v1/users/:id/lockout \\(id=${id('ada')}\\) by bootstrap key`)),
    );

    // Nothing left to lift: still 204, and no second event.
    assert.equal((await call('DELETE', `/v1/users/${id('ada')}/lockout`)).status, 204);
    assert.equal((await unlockedEvents(id('ada'))).length, 1);
  });

  it("shows the account's hourly ceiling, reached from many addresses, and lifts it", async () => {
    for (let i = 0; i < ACCOUNT_LIMIT; i++) {
      assert.deepEqual(await verify('bob', 'guess', `198.18.0.${i + 1}`), { ok: false, reason: 'invalid_credentials' });
    }
    const refused = await verify('bob', PASSWORD, '198.18.1.1');
    assert.equal(!refused.ok && refused.reason, 'locked_out');

    const locked = await call('GET', `/v1/users/${id('bob')}/lockout`);
    assert.deepEqual(
      { ...locked.body, accountLimitedUntil: 'checked below' },
      { locked: true, sources: [], accountLimitedUntil: 'checked below' },
    );
    around(locked.body.accountLimitedUntil, 3600 * 1000);
    // The answer the person got names the same time.
    assert.equal(!refused.ok && refused.retryAfter, locked.body.accountLimitedUntil);

    assert.equal((await call('DELETE', `/v1/users/${id('bob')}/lockout`)).status, 204);
    assert.deepEqual(await verify('bob', PASSWORD, '198.18.1.1'), { ok: true, userId: id('bob') });
    assert.deepEqual(
      (await unlockedEvents(id('bob'))).map((e) => [e.cause, e.sourceIps, e.failures]),
      [['admin', [], ACCOUNT_LIMIT]],
    );
  });

  it("an administrator's password reset lifts the lockout too: the new password works at once from the locked address", async () => {
    const source = '192.0.2.2';
    await lockFrom('cy', source);
    assert.equal((await call('PUT', `/v1/users/${id('cy')}/password`, { password: 'a brand new password' })).status, 204);
    assert.deepEqual(await verify('cy', 'a brand new password', source), { ok: true, userId: id('cy') });
    assert.deepEqual((await call('GET', `/v1/users/${id('cy')}/lockout`)).body, { locked: false, sources: [], accountLimitedUntil: null });
    assert.deepEqual(
      (await unlockedEvents(id('cy'))).map((e) => [e.cause, e.sourceIps, e.failures]),
      [['password_reset', [source], THRESHOLD]],
    );
  });

  it("answers 404 to another organisation's key, and to an unknown id, and lifts nothing", async () => {
    const source = '192.0.2.3';
    await lockFrom('dee', source);
    for (const method of ['GET', 'DELETE']) {
      const foreign = await call(method, `/v1/users/${id('dee')}/lockout`, undefined, otherKey);
      assert.equal(foreign.status, 404, `${method}: ${JSON.stringify(foreign.body)}`);
      assert.equal(foreign.body.message, `User ${id('dee')} was not found`);
      assert.equal((await call(method, '/v1/users/00000000-0000-4000-8000-000000000000/lockout')).status, 404);
      const bad = await call(method, '/v1/users/not-a-uuid/lockout');
      assert.deepEqual([bad.status, bad.body.details], [400, [{ field: 'id', message: 'must be a UUID' }]]);
    }
    assert.equal((await call('GET', `/v1/users/${id('dee')}/lockout`)).body.locked, true);
    const refused = await verify('dee', PASSWORD, source);
    assert.equal(!refused.ok && refused.reason, 'locked_out');
    assert.deepEqual(await unlockedEvents(id('dee')), []);
  });

  it('documents both routes with their answers in the OpenAPI document', async () => {
    const served = await fetchOpenApi(base);
    const doc = served as unknown as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: { properties?: object } }> }> }>
      >;
    };
    const route = doc.paths['/v1/users/{id}/lockout'];
    assert.ok(route?.get && route.delete, 'GET and DELETE are documented');
    assert.deepEqual(Object.keys(answerSchema(served, 'GET /v1/users/{id}/lockout', 200)?.properties ?? {}), [
      'locked',
      'sources',
      'accountLimitedUntil',
    ]);
    assert.ok(route.delete.responses['204'], 'DELETE answers 204');
    for (const op of [route.get, route.delete]) assert.ok(op.responses['404'] && op.responses['401']);
  });
});
