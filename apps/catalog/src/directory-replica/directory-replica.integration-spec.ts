import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { eventually, readStream, startInEnv, type ServiceProcess } from '@jit/testing';
import { startDirectoryAndCatalog, type DirectoryAndCatalog } from '../test-fixtures';

const BOOTSTRAP = 'catalog-replica-bootstrap-key-012345';

/** The catalog's copy of the directory, when the directory deletes a group and when the copy lags (real PostgreSQL and NATS). */
describe("the catalog's copy of the directory (real PostgreSQL and NATS)", () => {
  let system: DirectoryAndCatalog;
  /** The IdP too: its read model must drop a deleted group's bindings from the catalog's events. */
  let idp: ServiceProcess;
  const directory = (method: string, path: string, body?: unknown, key?: string) =>
    system.call(method, `${system.directory}${path}`, body, key);
  const catalog = (method: string, path: string, body?: unknown, key?: string) =>
    system.call(method, `${system.catalog}${path}`, body, key);
  const created = async (res: Promise<{ status: number; body: Record<string, unknown> }>) => {
    const { status, body } = await res;
    assert.equal(status, 201, JSON.stringify(body));
    return String(body.id);
  };
  const application = (name: string, over: Record<string, unknown> = {}) => ({
    connectorId: 'saml2',
    name,
    spEntityId: `https://${name.toLowerCase()}.example.com/saml/metadata`,
    acsUrls: [`https://${name.toLowerCase()}.example.com/saml/acs`],
    ...over,
  });
  /** A connection of the test's own to the run's database, to stall the catalog's consumer for real. */
  const database = async () => {
    const db = new Client({ connectionString: system.env.databaseUrl });
    await db.connect();
    return db;
  };

  /** The CATALOG events about one application: subject (without prefix and version) and payload. */
  const catalogEvents = async (applicationId?: string) =>
    (await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`))
      .filter((e) => applicationId === undefined || e.payload.applicationId === applicationId)
      .map((e) => ({ subject: e.subject.slice(system.env.natsPrefix.length + 1).replace(/\.v1$/, ''), payload: e.payload }));
  const groupsOf = async (applicationId: string) =>
    (await catalog('GET', `/v1/applications/${applicationId}/user-groups`)).body.items?.map((i) => i.groupId);
  const bind = (applicationId: string, groupId: string, key?: string) =>
    catalog('POST', `/v1/applications/${applicationId}/user-groups`, { groupId }, key);
  const refusal = (res: { status: number; body: Record<string, unknown> }) => {
    assert.equal(res.status, 404, JSON.stringify(res.body));
    return { message: String(res.body.message), details: res.body.details };
  };

  beforeAll(async () => {
    system = await startDirectoryAndCatalog('catreplica', BOOTSTRAP);
    idp = await startInEnv('idp', system.env, BOOTSTRAP);
  });

  afterAll(async () => {
    await idp.stop();
    await system.stop();
  });

  describe('a custom source the copy lacks while the copy lags', () => {
    it('answers 503 with the reason when the copy cannot be confirmed current, and accepts the source once it has caught up', async () => {
      const body = application('Badges', { attributes: [{ spName: 'Badge', source: 'custom:badge' }] });
      const db = await database();
      try {
        // The consumer's next write to the copy of users waits for this lock; reads do not.
        await db.query('BEGIN');
        await db.query('LOCK TABLE "catalog"."directory_users" IN EXCLUSIVE MODE');
        await created(directory('POST', '/v1/users', { username: 'ada', email: 'ada@example.com', customAttributes: { badge: 'B-7' } }));
        const refused = await catalog('POST', '/v1/applications', body);
        assert.equal(refused.status, 503, JSON.stringify(refused.body));
        assert.equal(refused.body.code, 'NOT_FRESH');
        assert.equal(
          refused.body.message,
          'Cannot tell whether the directory knows custom attribute "badge": ' +
            "the catalog's copy of the directory is not confirmed current (read model is behind its streams after 250 ms); try again shortly",
        );
        assert.deepEqual((await catalog('GET', '/v1/applications')).body, { items: [], total: 0 }, 'nothing was written');
      } finally {
        await db.query('ROLLBACK');
        await db.end();
      }
      // The consumer goes on; the same body now waits for it, finds the name and is accepted.
      const id = await created(catalog('POST', '/v1/applications', body));
      const app = await catalog('GET', `/v1/applications/${id}`);
      assert.equal((app.body.attributes as { spName: string; source: string }[]).find((a) => a.spName === 'Badge')?.source, 'custom:badge');
    });

    it('still refuses, with the valid names, a custom source nobody has once the copy is confirmed current', async () => {
      const res = await catalog(
        'POST',
        '/v1/applications',
        application('Nobody', { attributes: [{ spName: 'X', source: 'custom:nobody' }] }),
      );
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.details?.map((d) => d.field),
        ['attributes.0.source'],
      );
      assert.match(res.body.details?.[0]?.message ?? '', /custom:badge/);
    });
  });

  describe('a group the directory deletes', () => {
    const ids = { sales: '', support: '', ada: '', bob: '', crm: '', wiki: '', organizationId: '' };

    beforeAll(async () => {
      ids.sales = await created(directory('POST', '/v1/user-groups', { name: 'Sales' }));
      ids.support = await created(directory('POST', '/v1/user-groups', { name: 'Support' }));
      ids.ada = await created(directory('POST', '/v1/users', { username: 'ada.sales', email: 'ada.sales@example.com' }));
      ids.bob = await created(directory('POST', '/v1/users', { username: 'bob', email: 'bob@example.com' }));
      for (const [group, userId] of [
        [ids.sales, ids.ada],
        [ids.support, ids.bob],
      ] as const) {
        assert.equal((await directory('POST', `/v1/user-groups/${group}/members`, { userId })).status, 201);
      }
      ids.crm = await created(catalog('POST', '/v1/applications', application('Crm')));
      ids.wiki = await created(catalog('POST', '/v1/applications', application('Wiki')));
      for (const [app, group] of [
        [ids.crm, ids.sales],
        [ids.crm, ids.support],
        [ids.wiki, ids.sales],
      ] as const) {
        assert.equal((await bind(app, group)).status, 201);
      }
      ids.organizationId = String((await catalogEvents(ids.crm))[0]?.payload.organizationId);
    });

    it('unbinds it from every application right after the directory answers, with a versioned group-unbound event each', async () => {
      assert.equal((await catalog('GET', `/v1/applications/${ids.crm}/jit-readiness`)).body.authorisedUsers, 2);
      const before = (await catalogEvents()).length;
      assert.equal((await directory('DELETE', `/v1/user-groups/${ids.sales}`)).status, 204);

      // No retry loop: the catalog confirms its copy has applied the DIRECTORY stream before it answers.
      const gone = refusal(await catalog('GET', `/v1/user-groups/${ids.sales}/applications`));
      assert.match(gone.message, /^User group [0-9a-f-]+ was deleted in the directory, and its application bindings with it/);
      assert.deepEqual(gone.details, [{ field: 'id', message: 'deleted in the directory' }]);
      assert.deepEqual(await groupsOf(ids.crm), [ids.support]);
      assert.deepEqual(await groupsOf(ids.wiki), []);
      const survivor = await catalog('GET', `/v1/user-groups/${ids.support}/applications`);
      assert.deepEqual(
        survivor.body.items?.map((a) => [a.id, a.jitReadiness]),
        [[ids.crm, { usersLacking: 0, authorisedUsers: 1, fresh: true }]],
      );
      // JIT readiness counts only the members of the groups still bound.
      assert.equal((await catalog('GET', `/v1/applications/${ids.crm}/jit-readiness`)).body.authorisedUsers, 1);
      assert.equal((await catalog('GET', `/v1/applications/${ids.wiki}/jit-readiness`)).body.authorisedUsers, 0);

      const unbound = (await catalogEvents()).slice(before);
      assert.deepEqual(
        unbound.map((e) => [e.subject, e.payload.applicationId, e.payload.groupId, e.payload.version, e.payload.organizationId]),
        [ids.crm, ids.wiki].sort().map((app) => ['catalog.application.group-unbound', app, ids.sales, 2, ids.organizationId]),
      );
    });

    it("drops them from the IdP's read model through those events", async () => {
      const db = await database();
      try {
        await eventually(async () => {
          const rows = await db.query<{ application_id: string; active: boolean; version: number }>(
            'SELECT "application_id", "active", "version" FROM "idp"."rm_bindings" WHERE "group_id" = $1 ORDER BY "application_id"',
            [ids.sales],
          );
          assert.deepEqual(
            rows.rows,
            [ids.crm, ids.wiki].sort().map((app) => ({ application_id: app, active: false, version: 2 })),
          );
        });
      } finally {
        await db.end();
      }
    });

    it('refuses to bind the deleted group again, or a group that does not exist, with the reason', async () => {
      const before = (await catalogEvents()).length;
      const again = refusal(await bind(ids.crm, ids.sales));
      assert.match(
        again.message,
        /was deleted in the directory.*choose a group that exists \(the directory lists them at GET \/v1\/user-groups\)$/,
      );
      assert.deepEqual(again.details, [{ field: 'groupId', message: 'deleted in the directory' }]);
      const unknown = refusal(await bind(ids.crm, randomUUID()));
      assert.match(unknown.message, /was not found in this organisation; the directory lists its groups at GET \/v1\/user-groups$/);
      assert.deepEqual(unknown.details, [{ field: 'groupId', message: 'no such user group in this organisation' }]);
      assert.equal((await catalogEvents()).length, before, 'no event for a refused binding');
    });

    it("says of another organisation's group only that it is not found, deleted or not", async () => {
      const other = String((await directory('POST', '/v1/organizations', { name: 'Other' })).body.apiKey);
      const theirs = await created(directory('POST', '/v1/user-groups', { name: 'Theirs' }, other));
      const unknown = { field: 'groupId', message: 'no such user group in this organisation' };
      assert.deepEqual(refusal(await bind(ids.crm, theirs)).details, [unknown]);
      assert.equal((await directory('DELETE', `/v1/user-groups/${theirs}`, undefined, other)).status, 204);
      assert.deepEqual(refusal(await bind(ids.crm, theirs)).details, [unknown]);
      assert.deepEqual(refusal(await catalog('GET', `/v1/user-groups/${theirs}/applications`)).details, [{ ...unknown, field: 'id' }]);
    });

    it('ignores the deletion event delivered again', async () => {
      const deletion = (await readStream(system.env.natsUrl, `${system.env.natsPrefix}_DIRECTORY`)).find(
        (e) => e.subject.endsWith('directory.group.deleted.v1') && e.payload.groupId === ids.sales,
      );
      assert.ok(deletion);
      const before = (await catalogEvents()).length;
      const nc = await connect({ servers: system.env.natsUrl });
      try {
        await jetstream(nc).publish(deletion.subject, JSON.stringify(deletion.payload), { msgID: randomUUID() });
      } finally {
        await nc.close();
      }
      // Read after the catalog has applied it (the list waits for its copy).
      assert.deepEqual(await groupsOf(ids.crm), [ids.support]);
      assert.equal((await catalogEvents()).length, before);
    });

    it('unbinds a group the copy had never seen (created before the catalog kept groups), once the directory vouched for it at binding', async () => {
      const legacy = await created(directory('POST', '/v1/user-groups', { name: 'Legacy' }));
      const db = await database();
      try {
        // As if the group were older than the copy's groups table: the catalog has no row for it.
        await eventually(async () => {
          const removed = await db.query('DELETE FROM "catalog"."directory_groups" WHERE "id" = $1', [legacy]);
          assert.equal(removed.rowCount, 1);
        });
        assert.equal((await bind(ids.wiki, legacy)).status, 201);
        const row = await db.query('SELECT "version", "deleted" FROM "catalog"."directory_groups" WHERE "id" = $1', [legacy]);
        assert.deepEqual(row.rows, [{ version: 0, deleted: false }]);
      } finally {
        await db.end();
      }
      assert.equal((await directory('DELETE', `/v1/user-groups/${legacy}`)).status, 204);
      assert.deepEqual(await groupsOf(ids.wiki), []);
    });

    it('removes a binding that was being written while the group was deleted, never leaving it behind', async () => {
      const racing = await created(directory('POST', '/v1/user-groups', { name: 'Racing' }));
      const app = await created(catalog('POST', '/v1/applications', application('Racer')));
      const [locker, observer] = [await database(), await database()];
      const waitingOnLocks = async () =>
        (
          await observer.query<{ n: number }>(
            `SELECT count(*)::int AS "n" FROM pg_stat_activity WHERE "datname" = current_database() AND "wait_event_type" = 'Lock'`,
          )
        ).rows[0]?.n;
      const tombstoned = async () =>
        (await observer.query<{ deleted: boolean }>('SELECT "deleted" FROM "catalog"."directory_groups" WHERE "id" = $1', [racing])).rows[0]
          ?.deleted === true;
      let binding: ReturnType<typeof bind> | undefined;
      try {
        // The binding checks the group, then waits here to write its row.
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE "catalog"."application_groups" IN SHARE MODE');
        binding = bind(app, racing);
        await eventually(async () => assert.equal(await waitingOnLocks(), 1));
        assert.equal((await directory('DELETE', `/v1/user-groups/${racing}`)).status, 204);
        // The deletion must wait for the binding in flight; had nothing made it wait, it would have committed already.
        await eventually(async () => assert.ok((await waitingOnLocks()) === 2 || (await tombstoned())));
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      assert.equal((await binding).status, 201);
      await eventually(async () => assert.deepEqual(await groupsOf(app), [], 'no binding of a deleted group is left'));
      assert.equal(await tombstoned(), true);
      await observer.end();
      assert.deepEqual(
        (await catalogEvents(app)).filter((e) => e.subject.includes('group-')).map((e) => [e.subject, e.payload.version]),
        [
          ['catalog.application.group-bound', 1],
          ['catalog.application.group-unbound', 2],
        ],
      );
    });
  });
});
