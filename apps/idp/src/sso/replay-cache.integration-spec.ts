import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { Initial1764300000000 } from '../migrations/1764300000000-Initial';
import { ReplayCache } from './replay-cache';

const databaseUrl = `postgres://postgres@127.0.0.1:5432/jit_test_replay_${randomBytes(6).toString('hex')}`;
let dataSource: DataSource;

beforeAll(async () => {
  await ensureDatabase(databaseUrl, 'idp');
  dataSource = new DataSource(
    serviceDataSourceOptions({ url: databaseUrl, schema: 'idp', entities: [], migrations: [Initial1764300000000] }),
  );
  await dataSource.initialize();
});

afterAll(async () => {
  await dataSource?.destroy();
  await dropDatabase(databaseUrl);
});

describe('ReplayCache on PostgreSQL', () => {
  it('accepts an ID once, then refuses it, also from another instance sharing the database', async () => {
    const one = new ReplayCache(dataSource);
    const other = new ReplayCache(dataSource);
    assert.equal(await one.firstSeen('https://sp.example', '_a1', 600), true);
    assert.equal(await one.firstSeen('https://sp.example', '_a1', 600), false);
    assert.equal(await other.firstSeen('https://sp.example', '_a1', 600), false);
    assert.equal(await other.firstSeen('https://other-sp.example', '_a1', 600), true, 'IDs are per issuer');
  });

  it('decides each ID on its own when many arrive together, the same ID twice counting once', async () => {
    const cache = new ReplayCache(dataSource);
    const ids = Array.from({ length: 200 }, (_, i) => `_b${i % 150}`);
    const answers = await Promise.all(ids.map((id) => cache.firstSeen('https://sp.example', id, 600)));
    assert.equal(answers.filter(Boolean).length, 150, 'each distinct ID accepted exactly once');
    assert.deepEqual(
      answers.slice(150),
      Array.from({ length: 50 }, () => false),
      'the second of each pair is a replay',
    );
    const [{ count }] = await dataSource.query<Array<{ count: string }>>(
      `SELECT count(*) FROM "idp"."seen_requests" WHERE "request_id" LIKE '\\_b%'`,
    );
    assert.equal(Number(count), 150);
  });

  it('remembers an ID for as long as asked', async () => {
    const cache = new ReplayCache(dataSource);
    await cache.firstSeen('https://sp.example', '_c1', 90);
    const [row] = await dataSource.query<Array<{ seconds: number }>>(
      `SELECT extract(epoch FROM "expires_at" - now())::float AS seconds FROM "idp"."seen_requests" WHERE "request_id" = '_c1'`,
    );
    assert.ok(row.seconds > 80 && row.seconds <= 90, `expires in ${row.seconds} s`);
  });
});
