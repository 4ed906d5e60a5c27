import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { dropDatabase, ensureDatabase } from './ensure-database';

/** Instances started together on a database that does not exist yet (a first deployment of several replicas). */
describe('ensureDatabase (real PostgreSQL)', () => {
  // A database of this run's own (not @jit/testing's testEnv: that library builds on this one).
  const url = `postgres://postgres@127.0.0.1:5432/jit_test_ensure_${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    await dropDatabase(url);
  });

  it('creates a missing database once when several instances start at the same moment, and none of them fails', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => ensureDatabase(url, `schema${i % 2}`)));
    assert.deepEqual(
      results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason)),
      [],
    );
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const schemas = await client.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'schema_' ORDER BY 1");
      assert.deepEqual(
        schemas.rows.map((r) => r.nspname),
        ['schema0', 'schema1'],
      );
    } finally {
      await client.end();
    }
  });
});
