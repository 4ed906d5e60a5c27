import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { eventually } from './eventually';
import { freePort, type TestEnv } from './test-env';

const ROOT = resolve(__dirname, '../../../..');

export interface ServiceProcess {
  name: string;
  url: string;
  /** The operating system's process id (benchmarks read its CPU time). */
  pid: number | undefined;
  /** Everything the process printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  timeoutMs?: number;
  /** `live`: started once /health answers, for a process that is not meant to become ready. */
  until?: 'ready' | 'live';
  /** Run the production build (dist/, from `npm run build`) instead of the TypeScript source. */
  compiled?: boolean;
}

/**
 * Starts a service the way `npm start` does (or the Docker image, with `compiled`), as its own
 * process, and waits until /ready answers 200. A service that exits first fails the call with its output.
 */
export async function startService(
  name: string,
  port: number,
  env: Record<string, string>,
  { timeoutMs = 30_000, until = 'ready', compiled = false }: StartOptions = {},
): Promise<ServiceProcess> {
  const entry = compiled ? [`dist/apps/${name}/src/main.js`] : ['-r', '@swc-node/register', `apps/${name}/src/main.ts`];
  const child: ChildProcess = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited: number | null = null;
  const exit = new Promise<void>((done) =>
    child.once('exit', (code) => {
      exited = code ?? -1;
      done();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(
      async () => {
        if (exited !== null) throw Object.assign(new Error(`${name} exited with ${exited}:\n${output}`), { fatal: true });
        const res = await fetch(`${url}/${until === 'ready' ? 'ready' : 'health'}`);
        if (res.status !== 200) throw new Error(`${name} not ${until}: ${res.status} ${await res.text()}`);
        // The answer must come from the process started here, not another that holds the port. Not
        // fatal: a process stopped on this port just before (a restart) may still answer for a moment.
        const health = (await (await fetch(`${url}/health`)).json()) as { pid?: number };
        if (health.pid !== child.pid) throw new Error(`port ${port} answers for process ${health.pid}, not ${name} (${child.pid})`);
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not become ready: ${(error as Error).message}\n--- output ---\n${output}`);
  }
  return {
    name,
    url,
    pid: child.pid,
    output: () => output,
    async stop() {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

const PORT_VARIABLES = { directory: 'DIRECTORY_PORT', catalog: 'CATALOG_PORT', idp: 'IDP_PORT', 'demo-sp': 'DEMO_SP_PORT' } as const;

/** Starts a service on a free port against this test run's database and NATS prefix. */
export async function startInEnv(
  name: keyof typeof PORT_VARIABLES,
  env: TestEnv,
  bootstrapKey: string,
  extra: Record<string, string> = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  return startService(name, port, {
    [PORT_VARIABLES[name]]: String(port),
    DATABASE_URL: env.databaseUrl,
    NATS_PREFIX: env.natsPrefix,
    BOOTSTRAP_ADMIN_API_KEY: bootstrapKey,
    ...extra,
  });
}
