import assert from 'node:assert/strict';
import { ConsumerProgress, defineStream, type NatsBus } from '@jit/messaging';
import type { DataSource } from 'typeorm';
import { DEPENDENCY_TIMEOUT_MS, HealthController, type HealthOptions, type StreamFallback } from './health';

const STREAM = defineStream('S', ['s.>'], []);
const PRODUCED = defineStream('P', ['p.>'], []);

interface Answer {
  status: number;
  body: {
    status: string;
    checks: { database: string; nats?: string; streams?: Record<string, string>; consumers?: Record<string, unknown> };
    reasons?: string[];
    degraded?: string[];
  };
}

/** /ready against stand-ins: `last` is what JetStream answers for the stream (a promise to make it hang or fail). */
async function ready(
  progress: ConsumerProgress,
  last: () => Promise<number>,
  options: Partial<HealthOptions> = {},
  produced?: () => Promise<void>,
  fallback?: StreamFallback,
): Promise<Answer> {
  const dataSource = { query: () => Promise.resolve([{ '?column?': 1 }]) } as unknown as DataSource;
  const bus = {
    isConnected: () => true,
    lastSequence: last,
    produces: produced ? [PRODUCED] : [],
    assertWritable: produced,
  } as unknown as NatsBus;
  const health = new HealthController(
    { service: 'test', consumes: [STREAM], maxLag: 10, lagWaitMs: 50, ...options },
    dataSource,
    bus,
    progress,
    fallback,
  );
  const answer: Partial<Answer> = {};
  const reply = {
    status(code: number) {
      answer.status = code;
      return reply;
    },
    send(body: unknown) {
      answer.body = body as Answer['body'];
    },
  };
  await health.ready(reply);
  return answer as Answer;
}

const running = (applied: number) => {
  const progress = new ConsumerProgress();
  progress.start('S', applied, applied);
  return progress;
};

describe('GET /ready', () => {
  it("reports each consumed stream's applied floor, its last sequence read now, and the lag", async () => {
    const answer = await ready(running(7), () => Promise.resolve(9));
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.checks, {
      database: 'up',
      nats: 'up',
      consumers: { S: { ready: true, resyncing: false, applied: 7, last: 9, lag: 2 } },
    });
    assert.equal(answer.body.reasons, undefined);
  });

  it('is not ready while the lag stays above READY_MAX_LAG for the whole wait, and says so', async () => {
    const started = Date.now();
    const answer = await ready(running(5), () => Promise.resolve(40), { maxLag: 10, lagWaitMs: 60 });
    assert.ok(Date.now() - started >= 60, 'it gave the consumer the wait');
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body.checks.consumers, { S: { ready: true, resyncing: false, applied: 5, last: 40, lag: 35 } });
    assert.deepEqual(answer.body.reasons, ['consumer of S is 35 messages behind (more than 10 for 60 ms)']);
  });

  it('stays ready when a consumer catches up within the wait (a burst, not a stuck consumer)', async () => {
    const progress = running(5);
    setTimeout(() => progress.advanceTo('S', 38), 20);
    const answer = await ready(progress, () => Promise.resolve(40), { maxLag: 10, lagWaitMs: 500 });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.checks.consumers, { S: { ready: true, resyncing: false, applied: 38, last: 40, lag: 2 } });
  });

  it('is not ready, in bounded time and with the reason, when JetStream does not answer the lookup', async () => {
    const started = Date.now();
    const answer = await ready(running(3), () => new Promise<number>(() => undefined));
    assert.ok(Date.now() - started < DEPENDENCY_TIMEOUT_MS + 400, 'bounded by the lookup timeout');
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body.checks.consumers, { S: { ready: true, resyncing: false, applied: 3, last: null, lag: null } });
    assert.deepEqual(answer.body.reasons, [`cannot read stream S from NATS (no answer within ${DEPENDENCY_TIMEOUT_MS} ms)`]);
  });

  it('is not ready when the lookup fails outright', async () => {
    const answer = await ready(running(3), () => Promise.reject(new Error('connection closed')));
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body.reasons, ['cannot read stream S from NATS (connection closed)']);
  });

  it('is not ready while a consumer has not applied the backlog it started with', async () => {
    const progress = new ConsumerProgress();
    progress.start('S', 2, 4);
    const answer = await ready(progress, () => Promise.resolve(4));
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body.reasons, ['consumer of S is not running or still applying the backlog it started with']);
  });

  it('is not ready while its consumers are suspended (another instance holds them), with that one reason', async () => {
    const progress = running(4);
    progress.suspend('another instance of test holds the consumer lease');
    const answer = await ready(progress, () => Promise.resolve(4));
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body.checks.consumers, { S: { ready: false, resyncing: false, applied: 4, last: 4, lag: 0 } });
    assert.deepEqual(answer.body.reasons, ['another instance of test holds the consumer lease']);
    progress.resume();
    assert.equal((await ready(progress, () => Promise.resolve(4))).status, 200);
  });

  it('checks that each stream it produces can take writes, and is not ready while one cannot', async () => {
    const up = await ready(
      running(4),
      () => Promise.resolve(4),
      {},
      () => Promise.resolve(),
    );
    assert.equal(up.status, 200);
    assert.deepEqual(up.body.checks.streams, { P: 'up' });
    // What NatsBus.assertWritable throws for a cluster stream without a leader.
    const leaderless = await ready(
      running(4),
      () => Promise.resolve(4),
      {},
      () => Promise.reject(new Error('stream P has no leader in the NATS cluster (an election, or too few nodes up)')),
    );
    assert.equal(leaderless.status, 503);
    assert.deepEqual(leaderless.body.checks.streams, { P: 'down' });
    assert.deepEqual(leaderless.body.reasons, [
      'stream P cannot take writes: stream P has no leader in the NATS cluster (an election, or too few nodes up)',
    ]);
  });

  it('stays ready, degraded and saying why, for a stream the service can serve without (the IdP, proving from the outboxes)', async () => {
    const without = (names: string[]): StreamFallback => ({ canServeWithout: (stream) => names.includes(stream) });
    const leaderless = () => Promise.reject(new Error('stream has no leader'));
    const serving = await ready(running(3), leaderless, {}, leaderless, without(['S', 'P']));
    assert.equal(serving.status, 200, JSON.stringify(serving.body));
    assert.deepEqual(serving.body.degraded?.sort(), [
      "cannot read stream S from NATS (stream has no leader) (decisions are proven from the producers' outboxes meanwhile)",
      'stream P cannot take writes: stream has no leader (its events wait in the outbox)',
    ]);
    // A stream it cannot do without (the outboxes cannot prove it now) keeps it out, as before.
    const consumed = await ready(running(3), leaderless, {}, leaderless, without(['P']));
    assert.equal(consumed.status, 503);
    assert.deepEqual(consumed.body.reasons, ['cannot read stream S from NATS (stream has no leader)']);
    const produced = await ready(running(3), () => Promise.resolve(3), {}, leaderless, without(['S']));
    assert.equal(produced.status, 503);
    assert.equal(produced.body.degraded, undefined);
  });
});
