import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { eventually, freePort, readStream, startService, testEnv, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'credentials-test-bootstrap-key-0123';
const PASSWORD = 'correct horse battery staple';
const SOURCE_LIMIT = 30;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

describe('credential check: lockout and throttling (real PostgreSQL and NATS)', () => {
  const env = testEnv('credentials');
  // Two instances on one database: NATS spreads the requests over them (a queue group), so
  // every count below only adds up if the instances share it.
  const directories: ServiceProcess[] = [];
  let bus: NatsBus;
  let organizationId = '';
  const userIds = new Map<string, string>();

  const verify = async (username: string, password: string, sourceIp: string) => {
    const started = performance.now();
    const answer = await bus.request(DirectoryRpc.verifyCredentials, { organizationId, username, password, sourceIp }, 5000);
    return { answer, ms: performance.now() - started };
  };
  /**
   * A refused check that says when to try again: `reason`, and a retryAfter within `withinMs` from
   * now (never in the past). Answers the shape without the time, to compare answers by.
   */
  const refusedUntil = (answer: Awaited<ReturnType<typeof verify>>['answer'], reason: string, withinMs: number) => {
    assert.equal(answer.ok, false, JSON.stringify(answer));
    const { retryAfter, ...rest } = answer as { retryAfter?: string };
    assert.deepEqual(rest, { ok: false, reason });
    const wait = Date.parse(String(retryAfter)) - Date.now();
    assert.ok(wait > 0 && wait <= withinMs, `retryAfter ${retryAfter} is ${wait} ms away`);
    return Object.keys(answer);
  };
  const events = async (subject: string) =>
    (await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`)).filter((e) => e.subject === `${env.natsPrefix}.${subject}`);

  beforeAll(async () => {
    // One after the other: the first runs the migrations.
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      directories.push(
        await startService('directory', port, {
          DIRECTORY_PORT: String(port),
          DATABASE_URL: env.databaseUrl,
          NATS_PREFIX: env.natsPrefix,
          BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP,
          DIRECTORY_LOCKOUT_THRESHOLD: '5',
          DIRECTORY_LOCKOUT_SECONDS: '2',
          DIRECTORY_SOURCE_LIMIT_PER_MINUTE: String(SOURCE_LIMIT),
        }),
      );
    }
    for (const username of ['ada', 'grace', 'alan', 'barbara', 'edsger', 'timing']) {
      const res = await fetch(`${directories[0]?.url}/v1/users`, {
        method: 'POST',
        headers: { 'x-api-key': BOOTSTRAP, 'content-type': 'application/json' },
        body: JSON.stringify({ username, email: `${username}@example.com`, password: PASSWORD }),
      });
      assert.equal(res.status, 201);
      const user = (await res.json()) as { id: string; organizationId: string };
      userIds.set(username, user.id);
      organizationId = user.organizationId;
    }
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'credentials-test' });
  });

  afterAll(async () => {
    await bus?.close();
    await Promise.all(directories.map((d) => d.stop()));
    await env.cleanup();
  });

  it('backs a pair off after five wrong passwords: the right one is then refused from there only, and another user is unaffected', async () => {
    const source = '192.0.2.1';
    for (let i = 0; i < 5; i++) {
      assert.deepEqual((await verify('ada', `wrong-${i}`, source)).answer, { ok: false, reason: 'invalid_credentials' });
    }
    refusedUntil((await verify('ada', PASSWORD, source)).answer, 'locked_out', 2000);
    assert.deepEqual((await verify('grace', PASSWORD, source)).answer, { ok: true, userId: userIds.get('grace') });
    assert.deepEqual((await verify('ada', PASSWORD, '192.0.2.100')).answer, { ok: true, userId: userIds.get('ada') });

    const ada = userIds.get('ada');
    const rejected = (await events('directory.credentials.rejected.v1')).filter((e) => e.payload.userId === ada);
    // The refused check is not an event of its own: the backoff that refused it is.
    assert.deepEqual(
      rejected.map((e) => e.payload.reason),
      ['invalid_credentials', 'invalid_credentials', 'invalid_credentials', 'invalid_credentials', 'invalid_credentials'],
    );
    assert.deepEqual(rejected[0]?.payload, { ...rejected[0]?.payload, organizationId, username: 'ada', sourceIp: source });
    const lockedOut = (await events('directory.user.locked-out.v1')).filter((e) => e.payload.userId === ada);
    assert.equal(lockedOut.length, 1);
    assert.deepEqual([lockedOut[0]?.payload.failures, lockedOut[0]?.payload.scope, lockedOut[0]?.payload.sourceIp], [5, 'source', source]);
    const lockedFor = Date.parse(String(lockedOut[0]?.payload.lockedUntil)) - Date.parse(String(lockedOut[0]?.payload.occurredAt));
    assert.ok(lockedFor > 1000 && lockedFor <= 2500, `locked for ${lockedFor} ms`);
    // The lock comes after the fifth rejection in the stream: the audit trail reads in order.
    assert.ok((lockedOut[0]?.seq ?? 0) > (rejected[4]?.seq ?? Infinity));
    const all = JSON.stringify(await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`));
    assert.equal(all.includes('wrong-'), false, 'no password in any event');
    assert.equal(all.includes(PASSWORD), false, 'no password in any event');
  });

  it('locks a login name that matches no account exactly as it locks an account, whatever its case', async () => {
    const source = '192.0.2.5';
    for (let i = 0; i < 5; i++) {
      assert.deepEqual((await verify(i % 2 ? 'Nobody.Here' : 'nobody.here', `wrong-${i}`, source)).answer, {
        ok: false,
        reason: 'invalid_credentials',
      });
    }
    // The same answer as a locked account's, with its time to retry.
    assert.deepEqual(refusedUntil((await verify('NOBODY.HERE', 'anything', source)).answer, 'locked_out', 2000), [
      'ok',
      'reason',
      'retryAfter',
    ]);
    assert.deepEqual((await verify('nobody.else', 'anything', source)).answer, { ok: false, reason: 'invalid_credentials' });
    const rejected = (await events('directory.credentials.rejected.v1')).filter(
      (e) => String(e.payload.username).toLowerCase() === 'nobody.here',
    );
    assert.deepEqual(
      rejected.map((e) => [e.payload.reason, e.payload.userId]),
      Array.from({ length: 5 }, () => ['invalid_credentials', null]),
    );
    // No account, so no userLockedOut event: that one names a user.
    assert.equal((await events('directory.user.locked-out.v1')).filter((e) => !e.payload.userId).length, 0);
  });

  it('locks once when wrong passwords arrive all at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => verify('barbara', `wrong-${i}`, '192.0.2.4').then((r) => r.answer)),
    );
    const reasons = answers.map((a) => (a.ok ? 'ok' : a.reason));
    assert.ok(
      reasons.every((r) => r === 'invalid_credentials' || r === 'locked_out'),
      reasons.join(),
    );
    assert.ok(reasons.filter((r) => r === 'invalid_credentials').length >= 5, reasons.join());
    const lockedOut = (await events('directory.user.locked-out.v1')).filter((e) => e.payload.userId === userIds.get('barbara'));
    assert.equal(lockedOut.length, 1);
    refusedUntil((await verify('barbara', PASSWORD, '192.0.2.4')).answer, 'locked_out', 2000);
  });

  it('starts the count again after a success', async () => {
    const source = '192.0.2.2';
    for (const round of [1, 2]) {
      for (let i = 0; i < 4; i++) {
        assert.deepEqual((await verify('alan', `wrong-${round}-${i}`, source)).answer, { ok: false, reason: 'invalid_credentials' });
      }
      assert.deepEqual((await verify('alan', PASSWORD, source)).answer, { ok: true, userId: userIds.get('alan') });
    }
    const lockedOut = await events('directory.user.locked-out.v1');
    assert.equal(lockedOut.filter((e) => e.payload.userId === userIds.get('alan')).length, 0);
  });

  it('throttles a flood from one source across unknown usernames, while another source still works', async () => {
    const flood = '203.0.113.7';
    for (let i = 0; i < SOURCE_LIMIT; i++) {
      const { answer } = await verify(`nobody-${i}`, 'guess', flood);
      assert.deepEqual(answer, { ok: false, reason: 'invalid_credentials' }, `attempt ${i + 1}`);
    }
    for (let i = 0; i < 10; i++) {
      refusedUntil((await verify(`nobody-more-${i}`, 'guess', flood)).answer, 'throttled', 60_000);
    }
    // Even the right password is refused from there, and no real check runs for it.
    refusedUntil((await verify('grace', PASSWORD, flood)).answer, 'throttled', 60_000);
    assert.deepEqual((await verify('grace', PASSWORD, '203.0.113.8')).answer, { ok: true, userId: userIds.get('grace') });

    // Only the checks that ran are in the audit trail; the throttled ones wrote nothing
    // (credentials.service.integration-spec.ts proves it row by row).
    const fromFlood = (await events('directory.credentials.rejected.v1')).filter((e) => e.payload.sourceIp === flood);
    assert.equal(fromFlood.length, SOURCE_LIMIT);
    assert.equal(
      fromFlood.every((e) => e.payload.reason === 'invalid_credentials'),
      true,
    );
    assert.deepEqual(fromFlood[0]?.payload, {
      ...fromFlood[0]?.payload,
      userId: null,
      username: 'nobody-0',
      reason: 'invalid_credentials',
    });
  });

  it('answers an unknown user exactly as a wrong password (no user enumeration)', async () => {
    const source = '198.51.100.9';
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 10; i++) {
      const a = await verify('timing', `wrong-${i}`, source);
      const b = await verify(`ghost-${i}`, `wrong-${i}`, source);
      assert.deepEqual(a.answer, b.answer);
      wrong.push(a.ms);
      unknown.push(b.ms);
      // Keeps the account below its lockout threshold; not measured.
      assert.equal((await verify('timing', PASSWORD, source)).answer.ok, true);
    }
    console.info(`median: unknown user ${median(unknown).toFixed(1)} ms, wrong password ${median(wrong).toFixed(1)} ms`);
  });

  it('lets the right password in again once the lock has expired (2 s here), with a fresh count', async () => {
    const source = '192.0.2.3';
    const edsger = userIds.get('edsger');
    for (let i = 0; i < 5; i++) await verify('edsger', `wrong-${i}`, source);
    refusedUntil((await verify('edsger', PASSWORD, source)).answer, 'locked_out', 2000);
    const answer = await eventually(
      async () => {
        const { answer } = await verify('edsger', PASSWORD, source);
        assert.equal(answer.ok, true, JSON.stringify(answer));
        return answer;
      },
      { timeoutMs: 5000, intervalMs: 200 },
    );
    assert.deepEqual(answer, { ok: true, userId: edsger });
    assert.deepEqual((await verify('edsger', 'wrong-again', source)).answer, { ok: false, reason: 'invalid_credentials' });
    assert.deepEqual((await verify('edsger', PASSWORD, source)).answer, { ok: true, userId: edsger });
    const lockedOut = (await events('directory.user.locked-out.v1')).filter((e) => e.payload.userId === edsger);
    assert.equal(lockedOut.length, 1);
  });
});
