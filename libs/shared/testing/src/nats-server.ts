import { spawn, type ChildProcess } from 'node:child_process';
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
    const configArgs: string[] = [];
    if (this.config !== undefined) {
      const file = join(this.storeDir, 'nats.conf');
      writeFileSync(file, this.config);
      configArgs.push('-c', file);
    }
    const child = spawn(
      // The version docker-compose ships, built by scripts/nats-server.mjs (npm test passes its path);
      // without it, the machine's own nats-server.
      process.env.NATS_SERVER_BIN || 'nats-server',
      [...configArgs, '-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, '-l', this.logFile],
      {
        stdio: 'ignore',
      },
    );
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

function listening(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcp({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
