/**
 * Credential check timing: does the answer's cost tell an unknown user from a wrong password?
 * Through the real RPC (NATS request/reply to a directory process), interleaved so that machine
 * noise hits every kind alike; the wrong password is the baseline of the same run.
 *
 *   npm run bench:credentials
 */
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { startInEnv, testEnv, type ServiceProcess } from '@jit/testing';

const ROUNDS = 60;
const BOOTSTRAP = 'bench-credentials-key-0123456789';
const PASSWORD = 'correct horse battery staple';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const env = testEnv('bench-credentials');
  let directory: ServiceProcess | undefined;
  let bus: NatsBus | undefined;
  try {
    directory = await startInEnv('directory', env, BOOTSTRAP, {
      LOG_LEVEL: 'error',
      // Neither brake may engage: this measures the check itself.
      DIRECTORY_LOCKOUT_THRESHOLD: '100',
      DIRECTORY_LOCKOUT_ACCOUNT_LIMIT_PER_HOUR: '100000',
      DIRECTORY_SOURCE_LIMIT_PER_MINUTE: '100000',
    });
    const create = async (body: object) => {
      const res = await fetch(`${directory?.url}/v1/users`, {
        method: 'POST',
        headers: { 'x-api-key': BOOTSTRAP, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`create user: ${res.status} ${await res.text()}`);
      return (await res.json()) as { organizationId: string };
    };
    const { organizationId } = await create({ username: 'ada', email: 'ada@bench.example', password: PASSWORD });
    await create({ username: 'nopass', email: 'nopass@bench.example' });
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'bench-credentials' });
    const kinds = {
      'wrong password': () => ({ username: 'ada', password: 'wrong guess' }),
      'unknown user': () => ({ username: `ghost-${Math.random()}`, password: 'wrong guess' }),
      'user without a password': () => ({ username: 'nopass', password: 'wrong guess' }),
      'right password': () => ({ username: 'ada', password: PASSWORD }),
    };
    const times = new Map<string, number[]>(Object.keys(kinds).map((k) => [k, []]));
    for (let round = -5; round < ROUNDS; round++) {
      for (const [kind, input] of Object.entries(kinds)) {
        const started = performance.now();
        await bus.request(DirectoryRpc.verifyCredentials, { organizationId, sourceIp: '127.0.0.1', ...input() }, 5000);
        if (round >= 0) times.get(kind)?.push(performance.now() - started);
      }
      // A success resets the failure count, so the account never locks.
    }
    const baseline = median(times.get('wrong password') ?? []);
    console.log(`\nCredential check over NATS, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${ROUNDS} rounds`);
    console.log('| answer | median ms | vs wrong password |\n| --- | --- | --- |');
    for (const [kind, values] of times) {
      console.log(
        `| ${kind} | ${median(values).toFixed(2)} | ${kind === 'wrong password' ? 'baseline' : `${(median(values) / baseline).toFixed(2)}x`} |`,
      );
    }
  } finally {
    await bus?.close();
    await directory?.stop();
    await env.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
