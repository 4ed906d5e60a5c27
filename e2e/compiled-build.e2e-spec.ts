import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser } from '@jit/testing';
import { System, signIn } from './harness';

const ROOT = resolve(__dirname, '..');

/** Every project with a build target, libs first: what `npm run build` (Nx) compiles. */
function buildableProjects(): string[] {
  const roots: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name === 'src') continue;
      const path = join(dir, entry.name);
      try {
        const project = JSON.parse(readFileSync(join(ROOT, path, 'project.json'), 'utf8')) as { targets?: Record<string, unknown> };
        if (project.targets && 'build' in project.targets) roots.push(path);
      } catch {
        walk(path);
      }
    }
  };
  walk('libs');
  walk('apps');
  return roots;
}

describe('the production build (dist/, as the Docker image runs it)', () => {
  const system = new System('compiled');
  system.compiled = true;

  beforeAll(async () => {
    for (const project of buildableProjects()) {
      execFileSync(process.execPath, ['scripts/build.mjs', project], { cwd: ROOT, stdio: 'pipe' });
    }
    await system.start();
  });

  afterAll(async () => {
    await system.stop();
  });

  it('runs every service from compiled JavaScript and signs a person in to demo-sp, JIT-creating the account', async () => {
    const password = 'correct horse battery staple';
    const person = { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password };
    const { appId } = await system.personWithDemoSpAccess(person, 'Engineering');
    const result = await signIn(system, new Browser(), appId, 'ada', password);
    assert.equal(result.outcome, 'signed-in');
    const accounts = (await (await fetch(`${system.demoSpUrl}/accounts`)).json()) as { total: number };
    assert.equal(accounts.total, 1);
  });
});
