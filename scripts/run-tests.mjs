#!/usr/bin/env node
// Runs the test tiers with Node's own test runner. Usage: node scripts/run-tests.mjs [unit|integration|e2e|all]
//   unit         *.spec.ts beside the code: pure logic, no services
//   integration  *.integration-spec.ts: real PostgreSQL and NATS, one database and prefix per file
//   e2e          e2e/*.e2e-spec.ts: every service as its own process, demo-sp as the SP
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tier = process.argv[2] ?? 'all';
const patterns = {
  unit: /\.spec\.ts$/,
  integration: /\.integration-spec\.ts$/,
  e2e: /\.e2e-spec\.ts$/,
};

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(relative(root, path));
  }
  return out;
}

const tiers = tier === 'all' ? ['unit', 'integration', 'e2e'] : [tier];
if (!tiers.every((t) => t in patterns)) {
  console.error(`unknown tier "${tier}": use unit, integration, e2e or all`);
  process.exit(2);
}
const files = ['apps', 'libs', 'e2e']
  .flatMap((d) => walk(join(root, d)))
  .filter((f) => tiers.some((t) => patterns[t].test(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// One process per file; two at a time fits this 2-core machine next to the services under test.
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', '-r', '@swc-node/register', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
