#!/usr/bin/env node
// Runs every benchmark in scripts/bench/ (each *.ts), one after the other: they share the
// machine's PostgreSQL and NATS, so running them side by side would skew each other's figures.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('.', import.meta.url).pathname;
const root = join(dir, '../..');
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .sort();
for (const bench of benches) {
  console.log(`\n== ${bench}`);
  const result = spawnSync(process.execPath, ['-r', '@swc-node/register', join('scripts/bench', bench)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
