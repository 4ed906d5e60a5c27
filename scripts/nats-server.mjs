#!/usr/bin/env node
// The nats-server the tests run for private servers and clusters: the version docker-compose ships
// (its image tag is the one place the version is written), built from source with Go and cached.
//   node scripts/nats-server.mjs           prints the binary's path (empty when it is not built yet)
//   node scripts/nats-server.mjs --build   builds it when missing (go install through the module proxy)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

export function natsServerVersion() {
  const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const match = /^\s*image:\s*nats:(\d+\.\d+\.\d+)(?:-alpine)?\s*$/m.exec(compose);
  if (!match) throw new Error('docker-compose.yml: the nats service needs an image pinned to a full version, e.g. nats:2.12.15-alpine');
  return match[1];
}

export function natsServerPath(version = natsServerVersion()) {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cache, 'jit-idp', `nats-server-v${version}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const version = natsServerVersion();
  const path = natsServerPath(version);
  if (process.argv.includes('--build') && !existsSync(path)) {
    const gobin = mkdtempSync(join(tmpdir(), 'nats-server-'));
    console.error(`building nats-server v${version} with Go (about a minute, once)`);
    execFileSync('go', ['install', `github.com/nats-io/nats-server/v2@v${version}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    });
    mkdirSync(join(path, '..'), { recursive: true });
    copyFileSync(join(gobin, 'nats-server'), path);
    chmodSync(path, 0o755);
    rmSync(gobin, { recursive: true, force: true });
  }
  if (process.argv.includes('--build')) console.error(`nats-server v${version}: ${path}`);
  console.log(existsSync(path) ? path : '');
}
