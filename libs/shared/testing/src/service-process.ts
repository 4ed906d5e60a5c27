import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { eventually } from './eventually';

const ROOT = resolve(__dirname, '../../../..');

export interface ServiceProcess {
  name: string;
  url: string;
  /** Everything the process printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a service the way `npm start` does, as its own process, and waits until /ready
 * answers 200. A service that exits first fails the call with its output.
 */
export async function startService(name: string, port: number, env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${name}/src/main.ts`], {
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
        const res = await fetch(`${url}/ready`);
        if (res.status !== 200) throw new Error(`${name} not ready: ${res.status} ${await res.text()}`);
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
