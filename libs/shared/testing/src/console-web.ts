import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '../../../..');

/**
 * Builds the console's SPA (Vite, a second or two) into a directory of this test's own, so that
 * test files running side by side never read each other's half-written build. The console is
 * started with CONSOLE_WEB_DIR set to the answer. Vite's process lock refuses a second build of
 * the project while one runs (it guards a shared output directory); each build here writes its
 * own, so two jest workers building at once bypass it.
 */
export async function buildConsoleWeb(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'console-web-'));
  await run(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'apps/console-web/vite.config.ts',
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--bypass-lock',
      '--logLevel',
      'error',
    ],
    { cwd: ROOT, env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } },
  );
  return outDir;
}
