import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus, RpcRemoteError } from '@jit/messaging';
import { eventually, freePort, readStream, startService, testEnv, type ServiceProcess, type StoredEvent } from '@jit/testing';

const BOOTSTRAP = 'apikeys-test-bootstrap-key-01234';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
/** The events of the bootstrap key's calls name it by the start of its hash. */
const ACTOR = { kind: 'api-key', fingerprint: sha256(BOOTSTRAP).slice(0, 12) };

type Json = Record<string, unknown> & { items?: Record<string, unknown>[]; details?: { field: string; message: string }[] };

describe('organisation API keys (real PostgreSQL and NATS, directory and catalog)', () => {
  const env = testEnv('apikeys');
  const running: ServiceProcess[] = [];
  let directory = '';
  let catalog = '';
  /** A second directory instance on the same database and NATS. */
  let directory2 = '';
  let organizationId = '';
  let otherKey = '';

  const call = async (method: string, url: string, body?: unknown, key = BOOTSTRAP) => {
    const res = await fetch(url, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const events = () => readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`);
  const keyEvents = async (): Promise<StoredEvent[]> => (await events()).filter((e) => e.subject.includes('.api-key.'));
  const createKey = async (name: string, key = BOOTSTRAP) => {
    const res = await call('POST', `${directory}/v1/api-keys`, { name }, key);
    assert.equal(res.status, 201, res.text);
    return { id: String(res.body.id), apiKey: String(res.body.apiKey) };
  };

  beforeAll(async () => {
    const [dPort, cPort] = [await freePort(), await freePort()];
    const common = { DATABASE_URL: env.databaseUrl, NATS_PREFIX: env.natsPrefix, BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP };
    running.push(await startService('directory', dPort, { ...common, DIRECTORY_PORT: String(dPort) }));
    running.push(await startService('catalog', cPort, { ...common, CATALOG_PORT: String(cPort) }));
    directory = `http://127.0.0.1:${dPort}`;
    catalog = `http://127.0.0.1:${cPort}`;
    const d2Port = await freePort();
    running.push(await startService('directory', d2Port, { ...common, DIRECTORY_PORT: String(d2Port) }));
    directory2 = `http://127.0.0.1:${d2Port}`;
    const other = await call('POST', `${directory}/v1/organizations`, { name: 'Other Corp' });
    assert.equal(other.status, 201);
    otherKey = String(other.body.apiKey);
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await env.cleanup();
  });

  it('creates a key shown once, stored and announced without its secret', async () => {
    const before = Date.now();
    const res = await call('POST', `${directory}/v1/api-keys`, { name: '  CI deploys ' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['apiKey', 'createdAt', 'id', 'name']);
    assert.equal(res.body.name, 'CI deploys');
    const apiKey = String(res.body.apiKey);
    assert.match(apiKey, /^jit_[A-Za-z0-9_-]{43}$/);
    assert.match(String(res.body.createdAt), ISO);
    assert.ok(Math.abs(Date.parse(String(res.body.createdAt)) - before) < 5000);

    const stored = await keyEvents();
    organizationId = String(stored[0]?.payload.organizationId);
    assert.deepEqual(
      stored.map((e) => [e.subject, { ...e.payload, occurredAt: ISO.test(String(e.payload.occurredAt)) }]),
      [
        [
          `${env.natsPrefix}.directory.api-key.created.v1`,
          { organizationId, apiKeyId: res.body.id, name: 'CI deploys', occurredAt: true, actor: ACTOR },
        ],
      ],
    );
    const all = JSON.stringify(await events());
    assert.equal(all.includes(apiKey), false, 'the key is in no event');
    assert.equal(all.includes(sha256(apiKey)), false, 'nor its hash, until it is revoked');

    // It works at once, for its organisation only.
    assert.equal((await call('GET', `${directory}/v1/users`, undefined, apiKey)).status, 200);
    assert.equal(
      (await call('POST', `${directory}/v1/organizations`, { name: 'x' }, apiKey)).status,
      403,
      'a created key is never a bootstrap key',
    );
  });

  it("lists the organisation's keys with names and dates, never a secret or a hash", async () => {
    const res = await call('GET', `${directory}/v1/api-keys`);
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 2);
    assert.deepEqual(
      res.body.items?.map((k) => [Object.keys(k).sort().join(','), k.name, k.bootstrap, k.revokedAt]),
      [
        ['bootstrap,createdAt,id,name,revokedAt', 'bootstrap', true, null],
        ['bootstrap,createdAt,id,name,revokedAt', 'CI deploys', false, null],
      ],
    );
    assert.equal(res.text.includes(sha256(BOOTSTRAP)), false);
    assert.equal(res.text.includes(BOOTSTRAP), false);
    assert.equal(/jit_|hash/i.test(res.text), false);
    const page = await call('GET', `${directory}/v1/api-keys?limit=1&offset=1`);
    assert.deepEqual([page.body.total, page.body.items?.map((k) => k.name)], [2, ['CI deploys']]);
    const theirs = await call('GET', `${directory}/v1/api-keys`, undefined, otherKey);
    assert.deepEqual([theirs.body.total, theirs.body.items?.map((k) => [k.name, k.bootstrap])], [1, [['initial', false]]]);
  });

  it('answers each invalid body with 400 naming the field, writing nothing', async () => {
    const before = (await events()).length;
    const cases: [unknown, string[]][] = [
      [{}, ['name']],
      [{ name: '  ' }, ['name']],
      [{ name: 'x'.repeat(201) }, ['name']],
      [{ name: 'ok', bootstrap: true }, ['bootstrap']],
    ];
    for (const [body, fields] of cases) {
      const res = await call('POST', `${directory}/v1/api-keys`, body);
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(
        res.body.details?.map((d) => d.field),
        fields,
      );
    }
    assert.equal((await call('POST', `${directory}/v1/api-keys`, { name: 'x' }, 'jit_wrong')).status, 401);
    assert.equal((await call('GET', `${directory}/v1/api-keys`, undefined, 'jit_wrong')).status, 401);
    assert.equal((await call('DELETE', `${directory}/v1/api-keys/not-a-uuid`)).status, 400);
    assert.equal((await events()).length, before);
  });

  it('revokes: 401 at once in the directory, one event with the hash, idempotent, 404 for another organisation', async () => {
    const { id, apiKey } = await createKey('to revoke');
    const before = (await keyEvents()).length;
    assert.equal((await call('DELETE', `${directory}/v1/api-keys/${id}`, undefined, otherKey)).status, 404);
    assert.equal((await call('DELETE', `${directory}/v1/api-keys/00000000-0000-4000-8000-000000000000`)).status, 404);
    assert.equal(
      (await call('GET', `${directory}/v1/users`, undefined, apiKey)).status,
      200,
      "another organisation's attempt changed nothing",
    );

    const res = await call('DELETE', `${directory}/v1/api-keys/${id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    const refused = await call('GET', `${directory}/v1/users`, undefined, apiKey);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'UNAUTHENTICATED');
    assert.equal(
      (await call('POST', `${directory}/v1/api-keys`, { name: 'new' }, apiKey)).status,
      401,
      'a revoked key cannot mint another',
    );

    assert.equal((await call('DELETE', `${directory}/v1/api-keys/${id}`)).status, 204, 'revoking twice is fine');
    const added = (await keyEvents()).slice(before);
    assert.deepEqual(
      added.map((e) => [e.subject, { ...e.payload, occurredAt: ISO.test(String(e.payload.occurredAt)) }]),
      [
        [
          `${env.natsPrefix}.directory.api-key.revoked.v1`,
          { organizationId, apiKeyId: id, apiKeyHash: sha256(apiKey), occurredAt: true, actor: ACTOR },
        ],
      ],
    );
    const listed = (await call('GET', `${directory}/v1/api-keys`)).body.items?.find((k) => k.id === id);
    assert.match(String(listed?.revokedAt), ISO);
  });

  it('lets only the bootstrap key revoke the bootstrap key', async () => {
    const { apiKey } = await createKey('ordinary admin');
    const bootstrapId = String((await call('GET', `${directory}/v1/api-keys`)).body.items?.find((k) => k.bootstrap === true)?.id);
    const before = (await events()).length;
    const res = await call('DELETE', `${directory}/v1/api-keys/${bootstrapId}`, undefined, apiKey);
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'FORBIDDEN');
    assert.equal((await call('GET', `${directory}/v1/users`)).status, 200);
    assert.equal((await events()).length, before);
  });

  it('refuses a revoked key on the membership RPC as well', async () => {
    const bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'api-keys-rpc-test' });
    try {
      const { id, apiKey } = await createKey('hr feed');
      const groupId = String((await call('POST', `${directory}/v1/user-groups`, { name: 'HR fed' })).body.id);
      const userId = String((await call('POST', `${directory}/v1/users`, { username: 'pat', email: 'pat@example.com' })).body.id);
      assert.deepEqual(await bus.request(DirectoryRpc.addMember, { apiKey, groupId, userId }), { groupId, userId, changed: true });
      assert.equal((await call('DELETE', `${directory}/v1/api-keys/${id}`)).status, 204);
      await assert.rejects(bus.request(DirectoryRpc.removeMember, { apiKey, groupId, userId }), (error: unknown) => {
        assert.ok(error instanceof RpcRemoteError);
        assert.equal(error.code, 'UNAUTHENTICATED');
        return true;
      });
    } finally {
      await bus.close();
    }
  });

  it('a revoked key is refused by the catalog within a second, though the catalog caches lookups for 5 s', async () => {
    const { id, apiKey } = await createKey('catalog admin');
    const apps = `${catalog}/v1/applications`;
    // The catalog now holds this key as valid in its cache.
    assert.deepEqual((await call('GET', apps, undefined, apiKey)).body, { items: [], total: 0 });
    assert.equal((await call('GET', apps, undefined, apiKey)).status, 200);

    assert.equal((await call('DELETE', `${directory}/v1/api-keys/${id}`)).status, 204);
    const revokedAt = Date.now();
    const refused = await eventually(
      async () => {
        const res = await call('GET', apps, undefined, apiKey);
        assert.equal(res.status, 401, 'still accepted by the catalog');
        return res;
      },
      { timeoutMs: 1000, intervalMs: 10 },
    );
    const elapsed = Date.now() - revokedAt;
    assert.ok(elapsed <= 1000, `took ${elapsed} ms`);
    assert.equal(refused.body.code, 'UNAUTHENTICATED');
    // And it stays refused, while other keys keep working there.
    assert.equal((await call('GET', apps, undefined, apiKey)).status, 401);
    assert.equal((await call('GET', apps)).status, 200);
  });

  it('a key revoked on one directory instance is refused by another within a second, though that one cached it', async () => {
    const { id, apiKey } = await createKey('second instance');
    const users = `${directory2}/v1/users`;
    assert.equal((await call('GET', users, undefined, apiKey)).status, 200);
    assert.equal((await call('DELETE', `${directory}/v1/api-keys/${id}`)).status, 204);
    // Its revocation event reaches the other instance's cache; the 5 s TTL would be far longer.
    await eventually(
      async () => assert.equal((await call('GET', users, undefined, apiKey)).status, 401, 'still accepted by the other instance'),
      { timeoutMs: 1000, intervalMs: 10 },
    );
    // The instance that revoked it refuses it at once: no wait for its own event.
    const other = await createKey('revoked here');
    assert.equal((await call('GET', `${directory}/v1/users`, undefined, other.apiKey)).status, 200);
    assert.equal((await call('DELETE', `${directory}/v1/api-keys/${other.id}`)).status, 204);
    assert.equal((await call('GET', `${directory}/v1/users`, undefined, other.apiKey)).status, 401);
  });
});
