import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { eventually, testEnv } from '@jit/testing';
import { CATALOG_MIGRATIONS } from '../migrations';
import { ApplicationAudience1766300000000 } from '../migrations/1766300000000-ApplicationAudience';
import { requiredSources } from './jit-readiness';

/**
 * catalog.application_audience (migration 1766300000000) is kept by PostgreSQL triggers in the
 * transaction of each write. These tests write the copy of the directory and the bindings with
 * plain SQL, as the catalog's code does, and compare the table with the same pairs worked out from
 * scratch; two of them hold one writer's transaction open to show the other waits for it.
 */
const env = testEnv('audience');
const ORG = randomUUID();
let dataSource: DataSource;
const clients: Client[] = [];
let versions = 0;

async function client(): Promise<Client> {
  const c = new Client({ connectionString: env.databaseUrl });
  await c.connect();
  clients.push(c);
  return c;
}

const sql = (text: string, values: unknown[] = []) => dataSource.query(text, values);

async function application(): Promise<string> {
  const id = randomUUID();
  await sql(
    `INSERT INTO catalog.applications (id, organization_id, connector_id, name, sp_entity_id, acs_urls, name_id_format,
                                       name_id_source, sign_assertion, sign_response, attributes, required_sources)
     VALUES ($1, $2, 'generic', $3, $3, '[]', 'email', 'email', true, true, '[]', '{email}')`,
    [id, ORG, `https://sp.example.com/${id}`],
  );
  return id;
}

const profile = (username: string, state = 'ACTIVATED', email: string | null = `${username}@example.com`) => ({
  username,
  state,
  ...(email === null ? {} : { email }),
});

async function user(username: string, state = 'ACTIVATED'): Promise<string> {
  const id = randomUUID();
  await sql(`INSERT INTO catalog.directory_users (id, organization_id, version, deleted, profile) VALUES ($1, $2, 1, false, $3)`, [
    id,
    ORG,
    JSON.stringify(profile(username, state)),
  ]);
  return id;
}

/** Runs on a client of its own (to hold a transaction open) or the shared data source. */
type Db = { query(text: string, values: unknown[]): Promise<unknown> };

const membership = (db: Db, group: string, userId: string, active: boolean, version = ++versions) =>
  db.query(
    `INSERT INTO catalog.directory_memberships (group_id, user_id, organization_id, version, active) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (group_id, user_id) DO UPDATE SET active = EXCLUDED.active, version = EXCLUDED.version
      WHERE directory_memberships.version < EXCLUDED.version`,
    [group, userId, ORG, version, active],
  );

const binding = (db: Db, app: string, group: string, active: boolean) =>
  db.query(
    `INSERT INTO catalog.application_groups (application_id, group_id, organization_id, active, version) VALUES ($1, $2, $3, $4, 1)
     ON CONFLICT (application_id, group_id) DO UPDATE SET active = EXCLUDED.active, version = application_groups.version + 1`,
    [app, group, ORG, active],
  );

type Pair = { application_id: string; user_id: string; grants: number; activated: boolean; present_sources: string[]; lacking: boolean };
const ORDER = 'ORDER BY application_id, user_id';

/** The table as the triggers kept it, and the same pairs worked out from the bindings, memberships and users. */
async function keptAndRecomputed(): Promise<[Pair[], Pair[]]> {
  const kept = (await sql(
    `SELECT application_id, user_id, grants, activated, present_sources, lacking FROM catalog.application_audience ${ORDER}`,
  )) as Pair[];
  const recomputed = (await sql(
    `SELECT b.application_id, m.user_id, count(*)::int AS grants, coalesce(u.activated, false) AS activated,
            coalesce(u.present_sources, '{}') AS present_sources, NOT coalesce(u.present_sources, '{}') @> p.required_sources AS lacking
       FROM catalog.application_groups b
       JOIN catalog.applications p ON p.id = b.application_id
       JOIN catalog.directory_memberships m ON m.group_id = b.group_id AND m.active
       LEFT JOIN catalog.directory_users u ON u.id = m.user_id
      WHERE b.active
      GROUP BY 1, 2, 4, 5, 6 ${ORDER}`,
  )) as Pair[];
  return [kept, recomputed];
}

async function assertConsistent(): Promise<Pair[]> {
  const [kept, recomputed] = await keptAndRecomputed();
  assert.deepEqual(kept, recomputed);
  return kept;
}

/** Resolves once `pid`'s backend is waiting for a lock (it started a statement that must wait). */
async function waitingForLock(pid: number): Promise<void> {
  await eventually(async () => {
    const [row] = (await sql(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid])) as { wait_event_type: string | null }[];
    assert.equal(row?.wait_event_type, 'Lock');
  });
}

const pidOf = async (c: Client) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

/**
 * Two writers at once: `first` runs in a transaction on one connection and is left open;
 * `second` starts on another and must wait for a lock the first holds; then the first commits
 * and the second ends.
 */
async function race(first: (c: Client) => Promise<unknown>, second: (c: Client) => Promise<unknown>): Promise<void> {
  const [holder, racer] = [await client(), await client()];
  const racerPid = await pidOf(racer);
  await holder.query('BEGIN');
  await first(holder);
  const raced = second(racer);
  await waitingForLock(racerPid);
  await holder.query('COMMIT');
  await raced;
}

beforeAll(async () => {
  await ensureDatabase(env.databaseUrl, 'catalog');
  dataSource = new DataSource(
    // Up to the audience's migration, which the last test undoes and runs again.
    serviceDataSourceOptions({
      url: env.databaseUrl,
      schema: 'catalog',
      entities: [],
      migrations: CATALOG_MIGRATIONS.slice(0, CATALOG_MIGRATIONS.indexOf(ApplicationAudience1766300000000) + 1),
    }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await dataSource?.destroy();
  await env.cleanup();
});

describe('application audience (real PostgreSQL)', () => {
  it('follows memberships, bindings, user changes and deletions, one grant per bound group', async () => {
    const app = await application();
    const [g1, g2] = [randomUUID(), randomUUID()];
    const ada = await user('ada');
    const bob = await user('bob', 'SUSPENDED');
    await membership(dataSource, g1, ada, true);
    await binding(dataSource, app, g1, true);
    await binding(dataSource, app, g2, true);
    await membership(dataSource, g2, ada, true);
    await membership(dataSource, g2, bob, true);
    let pairs = await assertConsistent();
    assert.deepEqual(
      pairs.map((p) => [p.user_id, p.grants, p.activated]),
      [
        [ada, 2, true],
        [bob, 1, false],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    // A user's facts: state and the sources with a value.
    await sql(`UPDATE catalog.directory_users SET profile = $2, version = 2 WHERE id = $1`, [
      bob,
      JSON.stringify(profile('bob', 'ACTIVATED', ' ')),
    ]);
    pairs = await assertConsistent();
    assert.deepEqual(pairs.find((p) => p.user_id === bob)?.present_sources, ['state', 'username']);
    assert.equal(pairs.find((p) => p.user_id === bob)?.lacking, true, 'a blank email is no email');
    // The application's requirements change: every pair is worked out again.
    await sql(`UPDATE catalog.applications SET required_sources = '{username}' WHERE id = $1`, [app]);
    assert.deepEqual(
      (await assertConsistent()).map((p) => p.lacking),
      [false, false],
    );
    await sql(`UPDATE catalog.applications SET required_sources = '{email}' WHERE id = $1`, [app]);
    // A membership removed takes one grant; the other group still grants ada the application.
    await membership(dataSource, g1, ada, false);
    assert.equal((await assertConsistent()).find((p) => p.user_id === ada)?.grants, 1);
    // Unbinding g2 leaves nobody; binding it again brings both back.
    await binding(dataSource, app, g2, false);
    assert.deepEqual(await assertConsistent(), []);
    await binding(dataSource, app, g2, true);
    assert.equal((await assertConsistent()).length, 2);
    // A user deleted (tombstone) stays a pair, not ACTIVATED, with no sources.
    await sql(`UPDATE catalog.directory_users SET deleted = true, profile = NULL, version = 3 WHERE id = $1`, [bob]);
    assert.deepEqual(
      (await assertConsistent()).find((p) => p.user_id === bob),
      { application_id: app, user_id: bob, grants: 1, activated: false, present_sources: [], lacking: true },
    );
    // Rows deleted outright, and the application itself.
    await sql(`DELETE FROM catalog.directory_memberships WHERE group_id = $1 AND user_id = $2`, [g2, bob]);
    assert.deepEqual(
      (await assertConsistent()).map((p) => p.user_id),
      [ada],
    );
    await sql(`DELETE FROM catalog.applications WHERE id = $1`, [app]);
    assert.deepEqual(await assertConsistent(), []);
  });

  it('is filled by its migration from the bindings, memberships and users already there, and the migration undoes', async () => {
    await dataSource.undoLastMigration();
    const [undone] = (await sql(`SELECT to_regclass('catalog.application_audience') AS "table"`)) as { table: string | null }[];
    assert.equal(undone?.table, null);
    const app = randomUUID();
    await sql(
      `INSERT INTO catalog.applications (id, organization_id, connector_id, name, sp_entity_id, acs_urls, name_id_format,
                                         name_id_source, sign_assertion, sign_response, attributes)
       VALUES ($1, $2, 'generic', $3, $3, '[]', 'email', 'employeeIdentifier', true, true, $4)`,
      [
        app,
        ORG,
        `https://sp.example.com/${app}`,
        JSON.stringify([{ spName: 'mail', source: 'email', constant: null, enabled: true, required: true, multiValued: false }]),
      ],
    );
    // The migration's SQL against jit-readiness.ts's rule, on every kind of mapping it tells apart.
    const mixed = randomUUID();
    const mappings = [
      { spName: 'uid', source: 'id', constant: null, enabled: true, required: true, multiValued: false },
      { spName: 'mail', source: 'email', constant: null, enabled: true, required: true, multiValued: false },
      { spName: 'email', source: 'email', constant: null, enabled: true, required: true, multiValued: false },
      { spName: 'dept', source: 'department', constant: null, enabled: true, required: false, multiValued: false },
      { spName: 'title', source: 'title', constant: null, enabled: false, required: true, multiValued: false },
      { spName: 'tenant', source: null, constant: 'acme', enabled: true, required: true, multiValued: false },
      { spName: 'empty', source: 'costCenter', constant: '', enabled: true, required: true, multiValued: false },
      { spName: 'sn', source: 'lastName', constant: null, enabled: true, required: true, multiValued: false },
    ];
    await sql(
      `INSERT INTO catalog.applications (id, organization_id, connector_id, name, sp_entity_id, acs_urls, name_id_format,
                                         name_id_source, sign_assertion, sign_response, attributes)
       VALUES ($1, $2, 'generic', $3, $3, '[]', 'persistent', 'id', true, true, $4)`,
      [mixed, ORG, `https://sp.example.com/${mixed}`, JSON.stringify(mappings)],
    );
    const group = randomUUID();
    const [ada, bob] = [await user('before-ada'), await user('before-bob', 'SUSPENDED')];
    for (const id of [ada, bob]) await membership(dataSource, group, id, true);
    await binding(dataSource, app, group, true);
    await dataSource.runMigrations();
    const [{ required_sources }] = (await sql(`SELECT required_sources FROM catalog.applications WHERE id = $1`, [app])) as {
      required_sources: string[];
    }[];
    assert.deepEqual(required_sources, ['email', 'employeeIdentifier']);
    const [filled] = (await sql(`SELECT required_sources FROM catalog.applications WHERE id = $1`, [mixed])) as {
      required_sources: string[];
    }[];
    assert.deepEqual(filled?.required_sources, requiredSources({ nameIdSource: 'id', attributes: mappings }));
    assert.deepEqual(filled?.required_sources, ['email', 'lastName']);
    const pairs = (await assertConsistent()).filter((p) => p.application_id === app);
    assert.deepEqual(
      pairs.map((p) => [p.user_id, p.activated, p.lacking]).sort(),
      [
        [ada, true, true],
        [bob, false, true],
      ].sort(),
      'neither has an employeeIdentifier',
    );
  });

  it('stays exact through statements of many rows (a resync batch, a group bound with its members)', async () => {
    const apps = [await application(), await application()];
    const groups = Array.from({ length: 6 }, () => randomUUID());
    const users = await Promise.all(Array.from({ length: 40 }, (_, i) => user(`batch${i}`, i % 7 === 0 ? 'STAGED' : 'ACTIVATED')));
    // One statement for all memberships, as upsertManyIfNewer writes a snapshot's batch.
    const rows = users.flatMap((u, i) => groups.filter((_, j) => (i + j) % 3 === 0).map((g) => [g, u]));
    await sql(
      `INSERT INTO catalog.directory_memberships (group_id, user_id, organization_id, version, active)
       SELECT g, u, $3, 1, true FROM unnest($1::uuid[], $2::uuid[]) AS x(g, u)`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), ORG],
    );
    await sql(
      `INSERT INTO catalog.application_groups (application_id, group_id, organization_id, active, version)
       SELECT a, g, $3, true, 1 FROM unnest($1::uuid[]) a, unnest($2::uuid[]) g`,
      [apps, groups.slice(0, 4), ORG],
    );
    await assertConsistent();
    // Half of the memberships switched off, half of the users changed, in one statement each.
    await sql(`UPDATE catalog.directory_memberships SET active = false, version = 2 WHERE user_id = ANY($1::uuid[])`, [users.slice(0, 20)]);
    await sql(`UPDATE catalog.directory_users SET profile = profile - 'email', version = 2 WHERE id = ANY($1::uuid[])`, [
      users.slice(10, 30),
    ]);
    await sql(`UPDATE catalog.application_groups SET active = NOT active, version = version + 1 WHERE application_id = $1`, [apps[0]]);
    const pairs = await assertConsistent();
    assert.ok(pairs.length > 0 && pairs.some((p) => p.application_id === apps[1]));
  });

  it('a membership written while its group is being bound waits for the binding, and is counted', async () => {
    const app = await application();
    const group = randomUUID();
    const ada = await user('racer-ada');
    // The binding has not committed: without the group's lock, the membership's trigger would not
    // see it, and the binding's trigger did not see the membership.
    await race(
      (binder) => binding(binder, app, group, true),
      (member) => membership(member, group, ada, true),
    );
    assert.deepEqual(
      (await assertConsistent()).filter((p) => p.application_id === app).map((p) => p.user_id),
      [ada],
    );
  });

  it("a membership written while the application's requirements change waits for them, and its pair is worked out from the new ones", async () => {
    const app = await application();
    const group = randomUUID();
    const ada = await user('needs-ada');
    await binding(dataSource, app, group, true);
    await race(
      (admin) => admin.query(`UPDATE catalog.applications SET required_sources = '{employeeIdentifier}' WHERE id = $1`, [app]),
      (member) => membership(member, group, ada, true),
    );
    const pair = (await assertConsistent()).find((p) => p.application_id === app);
    assert.equal(pair?.lacking, true, 'ada has no employeeIdentifier');
  });

  it('a user changed while a binding reads their facts waits for it, and the pair keeps the new facts', async () => {
    const app = await application();
    const group = randomUUID();
    const ada = await user('facts-ada');
    await membership(dataSource, group, ada, true);
    // The pair exists in the binder's transaction with ada's email; the user's change must not
    // slip past it and leave the pair with the email she no longer has.
    await race(
      (binder) => binding(binder, app, group, true),
      (directory) => directory.query(`UPDATE catalog.directory_users SET profile = profile - 'email', version = 2 WHERE id = $1`, [ada]),
    );
    const pair = (await assertConsistent()).find((p) => p.application_id === app);
    assert.deepEqual(pair?.present_sources, ['state', 'username']);
  });
});
