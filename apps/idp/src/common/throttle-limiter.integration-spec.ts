import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { Initial1764300000000 } from '../migrations/1764300000000-Initial';
import { SharedSignIns1767000000000 } from '../migrations/1767000000000-SharedSignIns';
import { LoginThrottle } from '../login/login-throttle';
import { MfaThrottle } from '../mfa/mfa-throttle';
import { databaseThrottleStore } from './throttle-limiter';

const databaseUrl = `postgres://postgres@127.0.0.1:5432/jit_test_throttles_${randomBytes(6).toString('hex')}`;
let dataSource: DataSource;

beforeAll(async () => {
  await ensureDatabase(databaseUrl, 'idp');
  dataSource = new DataSource(
    serviceDataSourceOptions({
      url: databaseUrl,
      schema: 'idp',
      entities: [],
      migrations: [Initial1764300000000, SharedSignIns1767000000000],
    }),
  );
  await dataSource.initialize();
});

afterAll(async () => {
  await dataSource?.destroy();
  await dropDatabase(databaseUrl);
});

/** Two IdP instances are two throttles on one database: what one counts, the other sees. */
describe('the IdP throttles on PostgreSQL, shared by every instance', () => {
  const login = () => new LoginThrottle({ perSource: 3, perSession: 100, windowSeconds: 60 }, databaseThrottleStore(dataSource));
  const mfa = () => new MfaThrottle({ perUser: 3, perSession: 100, windowSeconds: 60 }, databaseThrottleStore(dataSource));

  it('throttles a source after N-1 failures on one instance and one on the other, on both', async () => {
    const [one, two] = [login(), login()];
    await one.failed('198.51.100.7', 'session-a');
    await one.failed('198.51.100.7', 'session-b');
    assert.equal(await two.waitSeconds('198.51.100.7', 'session-c'), 0, 'two failures of three: not yet');
    await two.failed('198.51.100.7', 'session-c');
    for (const instance of [one, two]) {
      const wait = await instance.waitSeconds('198.51.100.7', 'session-d');
      assert.ok(wait > 55 && wait <= 60, `throttled for the window, ${wait} s left`);
    }
    assert.equal(await one.waitSeconds('198.51.100.8', 'session-d'), 0, 'another source is not');
  });

  it('throttles a session across instances, clears it on a success anywhere, and stores no session id', async () => {
    const limits = { perSource: 100, perSession: 2, windowSeconds: 60 };
    const [one, two] = [0, 1].map(() => new LoginThrottle(limits, databaseThrottleStore(dataSource)));
    const sessionId = randomBytes(32).toString('base64url');
    await one.failed('203.0.113.1', sessionId);
    await two.failed('203.0.113.2', sessionId);
    assert.ok((await one.waitSeconds('203.0.113.3', sessionId)) > 0);
    const keys = (await dataSource.query<{ key: string }[]>(`SELECT "key" FROM "idp"."throttles"`)).map((r) => r.key);
    assert.ok(!keys.some((k) => k.includes(sessionId)), 'the session id itself is not in the table');
    await two.succeeded(sessionId);
    assert.equal(await one.waitSeconds('203.0.113.3', sessionId), 0);
  });

  it("locks a person's second step after wrong codes on both instances, and an unlock on one lifts it on the other", async () => {
    const [one, two] = [mfa(), mfa()];
    await one.failed('user-1', 's1');
    await one.failed('user-1', 's1');
    assert.equal((await two.wait('user-1', 's2')).seconds, 0);
    await two.failed('user-1', 's2');
    for (const instance of [one, two]) {
      const wait = await instance.wait('user-1', 's3');
      assert.equal(wait.reason, 'locked_out');
      assert.ok(wait.seconds > 55, `${wait.seconds} s`);
    }
    await two.unlock('user-1');
    assert.deepEqual(await one.wait('user-1', 's3'), { seconds: 0, reason: 'throttled' });
  });

  it('starts counting again once the window has passed', async () => {
    const short = new LoginThrottle({ perSource: 1, perSession: 100, windowSeconds: 1 }, databaseThrottleStore(dataSource));
    await short.failed('192.0.2.9', 'x');
    assert.ok((await short.waitSeconds('192.0.2.9', 'x')) > 0);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await short.waitSeconds('192.0.2.9', 'x'), 0);
  });
});
