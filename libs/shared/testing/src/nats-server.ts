import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from './eventually';
import { freePort } from './test-env';

/** The passwords docs/nats-permissions.md's users get in tests, and a test-admin's (every right). */
export const DOCUMENTED_NATS_PASSWORDS = {
  DIRECTORY_NATS_PASSWORD: 'directory-pw-for-test',
  CATALOG_NATS_PASSWORD: 'catalog-pw-for-test',
  IDP_NATS_PASSWORD: 'idp-pw-for-test',
  CONSOLE_NATS_PASSWORD: 'console-pw-for-test',
  HR_FEED_PASSWORD: 'hr-feed-pw-for-test',
  TEST_ADMIN_PASSWORD: 'admin-pw-for-test',
};

/**
 * The server configuration of docs/nats-permissions.md, as the tests that prove it run it: the
 * passwords written in (the doc has nats-server read them from its environment), and a
 * test-admin user added, to read and purge streams with.
 */
export function documentedNatsConfig(): string {
  const doc = readFileSync(resolve(__dirname, '../../../../docs/nats-permissions.md'), 'utf8');
  const block = /```conf\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/nats-permissions.md has no ```conf block');
  return block
    .replace('users = [', 'users = [\n    { user: test-admin, password: $TEST_ADMIN_PASSWORD }')
    .replace(/\$([A-Z_]+_PASSWORD)/g, (_, name: string) => {
      const password = DOCUMENTED_NATS_PASSWORDS[name as keyof typeof DOCUMENTED_NATS_PASSWORDS];
      if (password === undefined) throw new Error(`docs/nats-permissions.md names $${name}, which the tests have no password for`);
      return password;
    });
}

/**
 * The nats-server the tests run: the version docker-compose ships, built by scripts/nats-server.mjs
 * (npm test passes its path as NATS_SERVER_BIN); without it, the machine's own nats-server.
 */
export function natsServerBin(): string {
  return process.env.NATS_SERVER_BIN || 'nats-server';
}

const versions = new Map<string, [number, number, number]>();

/** The version of `bin` (`nats-server --version`), asked once per binary. */
export function natsServerVersion(bin = natsServerBin()): [number, number, number] {
  let version = versions.get(bin);
  if (!version) {
    const printed = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    const match = /v(\d+)\.(\d+)\.(\d+)/.exec(printed);
    if (!match) throw new Error(`${bin} --version printed no version: ${printed}`);
    version = [Number(match[1]), Number(match[2]), Number(match[3])];
    versions.set(bin, version);
  }
  return version;
}

/**
 * The JetStream block of a test server: its own store directory, and every write fsynced before
 * it is acknowledged, as deploy/nats.conf ships it. `sync_interval` came with nats-server 2.11;
 * an older server (the machine's 2.9.10) refuses the field, and runs with its default instead.
 */
export function jetStreamBlock(storeDir: string, bin = natsServerBin()): string {
  const [major, minor] = natsServerVersion(bin);
  const syncAlways = major > 2 || (major === 2 && minor >= 11);
  return `jetstream {\n  store_dir: ${JSON.stringify(storeDir)}\n${syncAlways ? '  sync_interval: always\n' : ''}}\n`;
}

/**
 * A NATS server of the test's own (JetStream on, its own store directory on 127.0.0.1), for
 * fault tests that stop and restart NATS without touching the machine's shared server.
 */
export class PrivateNatsServer {
  private child?: ChildProcess;
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'jit-nats-'));
  port = 0;

  /** `config`: the text of a nats-server configuration file (users, permissions), if any. */
  constructor(private readonly config?: string) {}

  private get logFile(): string {
    return join(this.storeDir, 'nats-server.log');
  }

  /** What the server has logged so far (errors, permission violations). */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port ||= await freePort();
    const file = join(this.storeDir, 'nats.conf');
    const bin = natsServerBin();
    writeFileSync(file, `${jetStreamBlock(this.storeDir, bin)}${this.config ?? ''}\n`);
    const child = spawn(bin, ['-c', file, '-a', '127.0.0.1', '-p', String(this.port), '-l', this.logFile], {
      stdio: 'ignore',
    });
    this.child = child;
    await eventually(() => listening(this.port), { timeoutMs: 10_000, intervalMs: 50 });
  }

  /** SIGKILL: a crash, not a clean shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

export function listening(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcp({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
