import assert from 'node:assert/strict';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { ensureDatabase } from './ensure-database';
import { UPSERT_BATCH_ROWS, upsertIfNewer, upsertManyIfNewer } from './upsert-if-newer';

describe('upsertManyIfNewer (real PostgreSQL)', () => {
  // A database of this run's own (not @jit/testing's testEnv: that library builds on this one).
  const server = 'postgres://postgres@127.0.0.1:5432';
  const name = `jit_test_upsert_many_${randomBytes(4).toString('hex')}`;
  const db = new Client({ connectionString: `${server}/${name}` });
  const table = { schema: 'rm', name: 'users' };
  const row = (id: string, version: number, name: string) => ({
    keys: { id },
    values: { organization_id: 'o', version, profile: { name } },
  });
  const stored = async () =>
    (
      await db.query<{ id: string; version: number; profile: { name: string } }>('SELECT id, version, profile FROM rm.users ORDER BY id')
    ).rows.map((r) => [r.id, r.version, r.profile.name]);

  beforeAll(async () => {
    await ensureDatabase(`${server}/${name}`, 'rm');
    await db.connect();
    await db.query('CREATE TABLE rm.users (id text PRIMARY KEY, organization_id text NOT NULL, version int NOT NULL, profile jsonb)');
  });
  afterAll(async () => {
    await db.end();
    const admin = new Client({ connectionString: `${server}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.end();
  });
  beforeEach(() => db.query('TRUNCATE rm.users'));

  it('writes new rows and newer versions, keeps newer stored ones, as upsertIfNewer does one by one', async () => {
    await upsertIfNewer(db, table, { id: 'b' }, { organization_id: 'o', version: 5, profile: { name: 'b5' } });
    await upsertManyIfNewer(db, table, [row('a', 1, 'a1'), row('b', 3, 'b3'), row('c', 2, 'c2')]);
    assert.deepEqual(await stored(), [
      ['a', 1, 'a1'],
      ['b', 5, 'b5'],
      ['c', 2, 'c2'],
    ]);
    await upsertManyIfNewer(db, table, [row('a', 2, 'a2'), row('b', 6, 'b6')]);
    assert.deepEqual(await stored(), [
      ['a', 2, 'a2'],
      ['b', 6, 'b6'],
      ['c', 2, 'c2'],
    ]);
  });

  it('keeps the newest of a key given twice (one INSERT may not touch a row twice)', async () => {
    await upsertManyIfNewer(db, table, [row('a', 2, 'a2'), row('a', 4, 'a4'), row('a', 3, 'a3')]);
    assert.deepEqual(await stored(), [['a', 4, 'a4']]);
  });

  it('writes more rows than one statement takes, in batches', async () => {
    const many = Array.from({ length: UPSERT_BATCH_ROWS * 2 + 7 }, (_, i) => row(String(i).padStart(5, '0'), 1, `n${i}`));
    await upsertManyIfNewer(db, table, many);
    assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM rm.users')).rows[0]?.n, many.length);
  });

  it('refuses rows that differ in their columns instead of writing them wrongly', async () => {
    await assert.rejects(
      upsertManyIfNewer(db, table, [row('a', 1, 'a1'), { keys: { id: 'b' }, values: { organization_id: 'o', version: 1 } }]),
      /differ in their columns/,
    );
  });
});
