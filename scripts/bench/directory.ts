/**
 * Directory write benchmark: how fast access-changing writes are through the real API (commit
 * with the outbox row, publish, JetStream ack, then 2xx), against a bare single-row INSERT on the
 * same machine in the same run. Figures are machine-bound; compare the ratios, not the ms.
 *
 *   npm run bench:directory        (PostgreSQL and NATS JetStream on their usual local ports)
 */
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { Pool } from 'pg';
import { readStream, startInEnv, testEnv, type ServiceProcess } from '@jit/testing';

const OPS = 2_000;
/** Calls made one at a time, for the latency of a write without queueing behind others. */
const SINGLE_OPS = 400;
const CONCURRENCY = 16;
const WARMUP = 50;
const GOAL_P99_MS = 10;
const BOOTSTRAP = 'bench-bootstrap-key-0123456789';

interface Result {
  name: string;
  concurrency: number;
  ops: number;
  seconds: number;
  latencies: number[];
  /** The bare INSERT measured at the same concurrency (absent for a baseline itself). */
  baseline?: Result;
}

/** Runs `op(0..count-1)` with `concurrency` calls in flight and records each call's latency. */
async function measure(name: string, count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { name, concurrency, ops: count, seconds: (performance.now() - started) / 1000, latencies };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const env = testEnv('bench');
  let directory: ServiceProcess | undefined;
  const pool = new Pool({ connectionString: env.databaseUrl, max: CONCURRENCY });
  try {
    directory = await startInEnv('directory', env, BOOTSTRAP, { LOG_LEVEL: 'error' });
    const base = directory.url;
    const call = async (method: string, path: string, expected: number, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { 'x-api-key': BOOTSTRAP, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    };

    // Baseline: what one durable row costs here, with nothing of ours around it.
    await pool.query('CREATE TABLE public.bench_scratch (id bigserial PRIMARY KEY, payload text NOT NULL)');
    const insert = (i: number) => pool.query('INSERT INTO public.bench_scratch (payload) VALUES ($1)', [`row-${i}`]).then(() => undefined);
    await measure('warm-up', WARMUP, CONCURRENCY, insert);
    const baseline = await measure('bare INSERT (pg Pool)', OPS, CONCURRENCY, insert);

    // Users without a password: an argon2 hash per user would measure hashing, not the write path.
    const userIds: string[] = [];
    const createUser = (prefix: string) => async (i: number) => {
      const user = await call('POST', '/v1/users', 201, { username: `${prefix}${i}`, email: `${prefix}${i}@bench.example` });
      if (prefix === 'user' && i < OPS / 2) userIds[i] = String(user.id);
    };
    await measure('warm-up', WARMUP, CONCURRENCY, createUser('warm'));
    const users = { ...(await measure('user create (API)', OPS, CONCURRENCY, createUser('user'))), baseline };

    // Every call is a real change: half add a member, half remove one again.
    const group = await call('POST', '/v1/user-groups', 201, { name: 'bench' });
    const members = `/v1/user-groups/${String(group.id)}/members`;
    const setMember = async (userId = '', add: boolean) => {
      if (add) await call('POST', members, 201, { userId });
      else await call('DELETE', `${members}/${userId}`, 204);
    };
    const change = (i: number) => setMember(userIds[i % userIds.length], i < userIds.length);
    const memberships = { ...(await measure('membership add/remove (API)', userIds.length * 2, CONCURRENCY, change)), baseline };

    const single = await measure('bare INSERT (pg Pool)', SINGLE_OPS, 1, insert);
    const toggle = (i: number) => setMember(userIds[Math.floor(i / 2)], i % 2 === 0);
    const singleChanges = { ...(await measure('membership add/remove (API)', SINGLE_OPS, 1, toggle)), baseline: single };

    const stored = await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`);
    const membershipEvents = stored.filter((e) => e.subject.includes('.directory.membership.')).length;
    const expected = memberships.ops + singleChanges.ops;
    if (membershipEvents !== expected) throw new Error(`expected ${expected} membership events, found ${membershipEvents}`);

    report([baseline, users, memberships, single, singleChanges]);
  } finally {
    await pool.end();
    await directory?.stop();
    await env.cleanup();
  }
}

function report(results: Result[]): void {
  const rate = (r: Result) => r.ops / r.seconds;
  const p = (r: Result, q: number) => percentile(r.latencies, q);
  const rows = results.map((r) => {
    const base = r.baseline ?? r;
    return [
      r.name,
      String(r.concurrency),
      String(r.ops),
      rate(r).toFixed(0),
      p(r, 50).toFixed(2),
      p(r, 99).toFixed(2),
      r.baseline ? `${(rate(r) / rate(base)).toFixed(2)}x` : 'baseline',
      r.baseline ? `${(p(r, 99) / p(base, 99)).toFixed(1)}x` : 'baseline',
      r.baseline ? (p(r, 99) <= GOAL_P99_MS ? 'yes' : 'no') : '',
    ];
  });
  const header = [
    'operation',
    'in flight',
    'ops',
    'ops/s',
    'p50 ms',
    'p99 ms',
    'ops/s vs baseline',
    'p99 vs baseline',
    `p99 <= ${GOAL_P99_MS} ms`,
  ];
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  console.log(`\nDirectory writes, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores`);
  console.log(lines.join('\n'));
  const writes = results.filter((r) => r.baseline);
  const met = writes.every((r) => p(r, 99) <= GOAL_P99_MS);
  console.log(`\nGoal "access-changing write p99 <= ${GOAL_P99_MS} ms": ${met ? 'met' : 'NOT met'} (every API row above)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
