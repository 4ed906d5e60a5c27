import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually';
import { freePort } from './test-env';

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
    const child = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', [...configArgs, '-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, '-l', this.logFile], {
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
