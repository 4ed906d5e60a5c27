import assert from 'node:assert/strict';
import { ensureDatabase, holdMigrationLock } from '@jit/persistence';
import { testEnv } from '@jit/testing';

/** Instances started together (a cluster's workers, replicas) run a schema's migrations one at a time. */
describe('holdMigrationLock (real PostgreSQL)', () => {
  const env = testEnv('migration-lock');

  beforeAll(async () => {
    await ensureDatabase(env.databaseUrl, 'locktest');
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('makes a second holder of the same schema wait until the first releases, and lets another schema through', async () => {
    const order: string[] = [];
    const releaseFirst = await holdMigrationLock(env.databaseUrl, 'locktest');
    const second = holdMigrationLock(env.databaseUrl, 'locktest').then((release) => {
      order.push('second took it');
      return release;
    });
    const other = await holdMigrationLock(env.databaseUrl, 'othertest');
    await other();
    // Long enough for the second to have taken it, were it free; the assertion holds however slow the machine.
    await new Promise((wait) => setTimeout(wait, 300));
    order.push('first releases');
    await releaseFirst();
    const releaseSecond = await second;
    await releaseSecond();
    assert.deepEqual(order, ['first releases', 'second took it']);
  });
});
