import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { eventually, freePort } from '@jit/testing';

/** The newest PostgreSQL server binaries Debian installed (/usr/lib/postgresql/<major>/bin). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0]) throw new Error(`no PostgreSQL server binaries under ${root} (Debian's postgresql package installs them)`);
  return join(root, majors[0], 'bin');
}

/**
 * A PostgreSQL server of the run's own: a new cluster (initdb) in a temporary directory, on a
 * private port of 127.0.0.1, trust authentication, run as the `postgres` user through `runuser`
 * (PostgreSQL refuses to run as root), so that the run can kill it -9 and start it again
 * (crash recovery from its WAL) without touching the machine's shared server.
 */
export class PrivatePostgres {
  private readonly dir = mkdtempSync(join(tmpdir(), 'jit-chaos-pg-'));
  private readonly bin = postgresBin();
  port = 0;

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** A database URL on this server. */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async init(): Promise<void> {
    this.port = await freePort();
    chownSync(this.dir, uid('postgres'), gid('postgres'));
    const init = spawnSync(
      'runuser',
      [
        '-u',
        'postgres',
        '--',
        join(this.bin, 'initdb'),
        '-D',
        this.dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--no-instructions',
      ],
      { encoding: 'utf8' },
    );
    if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr || init.error?.message}`);
  }

  /** Starts the server (again: after a kill it recovers from its WAL) and waits until it answers a query. */
  async start(): Promise<void> {
    const child = spawn(
      'runuser',
      [
        '-u',
        'postgres',
        '--',
        join(this.bin, 'postgres'),
        '-D',
        this.dataDir,
        '-p',
        String(this.port),
        '-k',
        this.dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'max_connections=200',
        // Durable as in production: a kill -9 loses nothing committed.
        '-c',
        'fsync=on',
        '-c',
        'synchronous_commit=on',
      ],
      { stdio: 'ignore', detached: true },
    );
    child.unref();
    await eventually(
      async () => {
        const client = new Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1000 });
        try {
          await client.connect();
          await client.query('select 1');
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }

  /** The postmaster's pid, from its lock file (runuser stands between it and us). */
  private postmasterPid(): number | undefined {
    const file = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /**
   * kill -9 of the postmaster and every backend at once: a crash, nothing flushed beyond what
   * fsync already made durable. (Its children each lead a process group of their own, so they are
   * found by parent pid.)
   */
  async kill(): Promise<void> {
    const pid = this.postmasterPid();
    if (pid === undefined) return;
    const pids = [pid, ...childrenOf(pid)];
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await eventually(
      () => {
        if (pids.some(alive)) throw new Error('PostgreSQL processes still running');
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function uid(user: string): number {
  return idOf(user, '-u');
}
function gid(user: string): number {
  return idOf(user, '-g');
}
function idOf(user: string, flag: '-u' | '-g'): number {
  const out = spawnSync('id', [flag, user], { encoding: 'utf8' });
  const id = Number(out.stdout.trim());
  if (out.status !== 0 || !Number.isInteger(id)) throw new Error(`no ${user} user on this machine (id ${flag} ${user}: ${out.stderr})`);
  return id;
}
