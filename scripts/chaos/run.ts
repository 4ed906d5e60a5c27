/**
 * The fault suite (docs/reliability.md): a private PostgreSQL and NATS, two instances of the
 * directory, the catalog and the IdP, a seeded workload of admin changes and sign-ins, a seeded
 * nemesis (kill -9, SIGSTOP, partitions from NATS, NATS and PostgreSQL crashes), and a checker
 * over the recorded history.
 *
 *   npm run chaos -- --seconds 120 --seed 7 [--nats cluster] [--catalog 1] [--idp 2] [--directory 2] [--env NAME=value ...]
 *   npm run chaos -- --check test-output/chaos/<run>/history.json   (checks a recorded history again)
 *
 * Exit status: 0 every goal met; 1 a safety property failed (stale, lost, phantom, or the final
 * state could not be read); 2 safe, but a goal of service was missed (availability, recovery,
 * unexpected answers). The history, the report and the services' logs are under test-output/chaos/.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkHistory, runChaos, summarise, type CheckReport, type History } from '@jit/chaos';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    nats: { type: 'string', default: 'single' },
    idp: { type: 'string', default: '2' },
    directory: { type: 'string', default: '2' },
    catalog: { type: 'string', default: '2' },
    check: { type: 'string' },
    // Extra environment for every service, e.g. --env IDP_FRESHNESS_WAIT_MS=200.
    env: { type: 'string', multiple: true, default: [] },
  },
});

function count(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number, at least ${min} (got ${value})`);
    process.exit(64);
  }
  return n;
}

function exit(report: CheckReport): never {
  const missed = report.goals.filter((g) => !g.met);
  if (!report.safe) {
    console.log(
      `\nFAILED (safety): ${missed
        .filter((g) => g.safety)
        .map((g) => g.name)
        .join('; ')}`,
    );
    process.exit(1);
  }
  if (missed.length) {
    console.log(`\nMISSED (goals of service): ${missed.map((g) => g.name).join('; ')}`);
    process.exit(2);
  }
  process.exit(0);
}

async function main(): Promise<void> {
  if (values.check !== undefined) {
    const history = JSON.parse(readFileSync(values.check, 'utf8')) as History;
    const report = checkHistory(history);
    console.log(summarise(history, report));
    exit(report);
  }
  const nats = values.nats;
  if (nats !== 'single' && nats !== 'cluster') {
    console.error(`--nats is single or cluster (got ${nats})`);
    process.exit(64);
  }
  const env: Record<string, string> = {};
  for (const pair of values.env) {
    const at = pair.indexOf('=');
    if (at < 1) {
      console.error(`--env takes NAME=value (got ${pair})`);
      process.exit(64);
    }
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const result = await runChaos({
    env,
    seconds: count('seconds', values.seconds, 1),
    seed: count('seed', values.seed, 0),
    nats,
    instances: {
      idp: count('idp', values.idp, 1),
      directory: count('directory', values.directory, 1),
      catalog: count('catalog', values.catalog, 1),
    },
  });
  console.log(`\n${result.summary}\nhistory, report and logs: ${result.dir}`);
  exit(result.report);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(3);
});
