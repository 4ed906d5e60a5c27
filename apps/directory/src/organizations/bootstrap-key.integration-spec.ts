import assert from 'node:assert/strict';
import { CachedApiKeyResolver } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { hashApiKey } from '@jit/service';
import { eventually, freePort, readStream, startService, testEnv, type ServiceProcess } from '@jit/testing';

const FIRST = 'dev-admin-key-change-me';
const SECOND = 'bootstrap-test-rotated-key-0123456';

describe('bootstrap API key rotation (real PostgreSQL and NATS)', () => {
  const env = testEnv('bootstrapkey');
  const running: ServiceProcess[] = [];
  let bus: NatsBus;
  /** Stands for another service's cache: it holds every key as valid until a revocation arrives. */
  let cache: CachedApiKeyResolver;

  const start = async (key: string | undefined) => {
    const port = await freePort();
    const service = await startService('directory', port, {
      DIRECTORY_PORT: String(port),
      DATABASE_URL: env.databaseUrl,
      NATS_PREFIX: env.natsPrefix,
      LOG_LEVEL: 'info',
      ...(key === undefined ? {} : { BOOTSTRAP_ADMIN_API_KEY: key }),
    });
    running.push(service);
    return service;
  };
  const status = async (url: string, key: string) => (await fetch(`${url}/v1/users`, { headers: { 'x-api-key': key } })).status;
  const revocations = async () =>
    (await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`))
      .filter((e) => e.subject === `${env.natsPrefix}.directory.api-key.revoked.v1`)
      .map((e) => e.payload.apiKeyHash);

  beforeAll(async () => {
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'bootstrap-test' });
    cache = new CachedApiKeyResolver(
      bus,
      () => Promise.resolve({ organizationId: '00000000-0000-4000-8000-000000000000', bootstrap: true }),
      3_600_000,
    );
  });

  afterAll(async () => {
    cache?.close();
    await bus?.close();
    await Promise.all(running.map((s) => s.stop()));
    await env.cleanup();
  });

  it('revokes the earlier key when BOOTSTRAP_ADMIN_API_KEY changes, in every cache, and keeps the default organisation', async () => {
    const first = await start(FIRST);
    const created = await fetch(`${first.url}/v1/users`, {
      method: 'POST',
      headers: { 'x-api-key': FIRST, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', email: 'ada@example.com' }),
    });
    assert.equal(created.status, 201);
    // The other service's cache holds the first key as valid (for an hour).
    assert.notEqual(await cache.resolve(hashApiKey(FIRST)), null);

    // A second instance with the new key, as in a rolling restart.
    const second = await start(SECOND);
    assert.equal(await status(second.url, FIRST), 401);
    assert.equal(await status(second.url, SECOND), 200);
    const users = (await (await fetch(`${second.url}/v1/users`, { headers: { 'x-api-key': SECOND } })).json()) as { total: number };
    assert.equal(users.total, 1, 'the new key reaches the same default organisation');
    // The revocation reaches the first instance and the other service's cache through its event.
    await eventually(async () => assert.equal(await status(first.url, FIRST), 401), { timeoutMs: 2000, intervalMs: 20 });
    await eventually(async () => assert.equal(await cache.resolve(hashApiKey(FIRST)), null), { timeoutMs: 2000, intervalMs: 20 });
    assert.deepEqual(await revocations(), [hashApiKey(FIRST)]);
    assert.match(second.output(), /Revoked the earlier bootstrap API key [0-9a-f-]{36} of organisation [0-9a-f-]{36}/);
    assert.equal(second.output().includes(FIRST), false, 'no key in the log');
    assert.equal(second.output().includes(SECOND), false, 'no key in the log');
  });

  it('revokes the earlier key when BOOTSTRAP_ADMIN_API_KEY is unset', async () => {
    const third = await start(undefined);
    assert.equal(await status(third.url, SECOND), 401);
    assert.deepEqual(await revocations(), [hashApiKey(FIRST), hashApiKey(SECOND)]);
    await eventually(async () => assert.equal(await cache.resolve(hashApiKey(SECOND)), null), { timeoutMs: 2000, intervalMs: 20 });
    assert.match(third.output(), /Revoked the earlier bootstrap API key .* BOOTSTRAP_ADMIN_API_KEY is not set/);
  });
});
