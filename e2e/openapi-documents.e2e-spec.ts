import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { System } from './harness';

/**
 * The console's typed clients are generated from the services' OpenAPI documents committed in
 * apps/console-web/src/api. This fails when a committed document differs from what the running
 * service serves (a route or schema changed without regenerating), or a generated .ts from its
 * document. To update: `UPDATE_OPENAPI=1 npx jest e2e/openapi-documents.e2e-spec.ts`, then
 * `npm run console-api`.
 */
const API_DIR = join(__dirname, '../apps/console-web/src/api');
const update = process.env.UPDATE_OPENAPI === '1';

describe('committed OpenAPI documents', () => {
  const system = new System('openapi-documents');
  beforeAll(async () => {
    await system.start();
    await system.startOne('console');
  });
  afterAll(() => system.stop());

  const services = () =>
    [
      ['directory', system.directoryUrl],
      ['catalog', system.catalogUrl],
      ['idp', system.idpUrl],
      ['console', system.consoleUrl],
    ] as const;

  it('are what each service serves', async () => {
    for (const [service, url] of services()) {
      const served = (await (await fetch(`${url}/docs-json`)).json()) as object;
      const file = join(API_DIR, `${service}.openapi.json`);
      if (update) writeFileSync(file, `${JSON.stringify(served, null, 2)}\n`);
      const committed = JSON.parse(readFileSync(file, 'utf8')) as object;
      assert.deepEqual(committed, served, `${file} differs from ${service}'s /docs-json: regenerate it (see this spec's comment)`);
    }
  });

  it('gave the generated clients', () => {
    if (update) execFileSync(process.execPath, [join(__dirname, '../scripts/console-api.mjs')]);
    // Exits 1 naming each .ts that its document would not give.
    execFileSync(process.execPath, [join(__dirname, '../scripts/console-api.mjs'), '--check'], { stdio: 'pipe' });
  });
});
