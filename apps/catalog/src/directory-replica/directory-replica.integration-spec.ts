import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { startDirectoryAndCatalog, type DirectoryAndCatalog } from '../test-fixtures';

const BOOTSTRAP = 'catalog-replica-bootstrap-key-012345';

/** The catalog's copy of the directory, when the directory deletes a group and when the copy lags (real PostgreSQL and NATS). */
describe("the catalog's copy of the directory (real PostgreSQL and NATS)", () => {
  let system: DirectoryAndCatalog;
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

  before(async () => {
    system = await startDirectoryAndCatalog('catreplica', BOOTSTRAP);
  });

  after(() => system.stop());

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
});
