import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { startDirectoryAndCatalog, type DirectoryAndCatalog } from '../test-fixtures';
import { ApplicationListItem, UserApplicationView } from './applications.dto';

const BOOTSTRAP = 'catalog-console-lists-bootstrap-key-01';

type Item = Record<string, unknown> & { id: string };

/**
 * What the console's screens read from the catalog: the applications list with its search,
 * status filter and readiness columns, and a user's applications. Every read follows the
 * directory within one event (the catalog confirms its copy is current before answering).
 */
describe('applications list and a user’s applications for the console (real PostgreSQL and NATS)', () => {
  let system: DirectoryAndCatalog;
  let directory = '';
  let catalog = '';
  let otherKey = '';
  const ids: Record<string, string> = {};
  const call = (method: string, url: string, body?: unknown, key?: string) => system.call(method, url, body, key);
  const ok = async (method: string, url: string, body?: unknown, key?: string) => {
    const res = await call(method, url, body, key);
    assert.ok(res.status >= 200 && res.status < 300, `${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const list = async (query = '', key?: string) => {
    const body = await ok('GET', `${catalog}/v1/applications${query}`, undefined, key);
    return { total: body.total, items: (body.items ?? []) as Item[] };
  };
  const names = async (query = '', key?: string) => (await list(query, key)).items.map((a) => a.name);
  const user = async (username: string, over: Record<string, unknown> = {}) => {
    ids[username] = String(
      (
        await ok('POST', `${directory}/v1/users`, {
          username,
          email: `${username}@example.com`,
          firstname: username,
          lastname: 'Smith',
          employeeIdentifier: `E-${username}`,
          ...over,
        })
      ).id,
    );
    return ids[username];
  };
  const application = async (name: string, over: Record<string, unknown> = {}) => {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    ids[name] = String(
      (
        await ok('POST', `${catalog}/v1/applications`, {
          connectorId: 'salesforce',
          name,
          spEntityId: `https://${slug}.my.salesforce.com`,
          acsUrls: [`https://${slug}.my.salesforce.com?so=00D000000000001`],
          ...over,
        })
      ).id,
    );
    return ids[name];
  };

  beforeAll(async () => {
    system = await startDirectoryAndCatalog('catconsolelists', BOOTSTRAP);
    ({ directory, catalog } = system);
    otherKey = String((await ok('POST', `${directory}/v1/organizations`, { name: 'Other Corp' })).apiKey);
    // Salesforce: User.LastName required, NameID from employeeIdentifier.
    await application('Salesforce Sales');
    await application('Salesforce Service', { active: false });
    await application('Wiki_50%', { connectorId: 'saml2', nameIdSource: 'email' });
    ids.sales = String((await ok('POST', `${directory}/v1/user-groups`, { name: 'Sales' })).id);
    ids.support = String((await ok('POST', `${directory}/v1/user-groups`, { name: 'Support' })).id);
    await user('ada');
    await user('bob', { lastname: null });
    await user('cy', { state: 'SUSPENDED', lastname: null });
    for (const name of ['ada', 'bob', 'cy']) await ok('POST', `${directory}/v1/user-groups/${ids.sales}/members`, { userId: ids[name] });
    await ok('POST', `${directory}/v1/user-groups/${ids.support}/members`, { userId: ids.ada });
    await ok('POST', `${catalog}/v1/applications/${ids['Salesforce Sales']}/user-groups`, { groupId: ids.sales });
    await ok('POST', `${catalog}/v1/applications/${ids['Salesforce Service']}/user-groups`, { groupId: ids.sales });
    await ok('POST', `${catalog}/v1/applications/${ids['Salesforce Service']}/user-groups`, { groupId: ids.support });
    await ok('POST', `${catalog}/v1/applications/${ids['Wiki_50%']}/user-groups`, { groupId: ids.support });
  });

  afterAll(() => system?.stop());

  describe('GET /v1/applications', () => {
    it('gives each item its authorised users (ACTIVATED members of bound groups) and how many of them would fail JIT', async () => {
      const { items, total } = await list();
      assert.equal(total, 3);
      // What the OpenAPI document says, exactly: no field missing, none undocumented.
      for (const item of items) ApplicationListItem.strict().parse(item);
      const sales = items.find((a) => a.id === ids['Salesforce Sales']);
      // ada, bob and the suspended cy are members; bob lacks a last name.
      assert.equal(sales?.authorisedUsers, 2);
      assert.equal(sales?.jitNotReady, 1);
      assert.equal(sales?.status, 'active');
      assert.deepEqual(sales?.jitReadiness, { usersLacking: 1, authorisedUsers: 2, fresh: true });
      const service = items.find((a) => a.id === ids['Salesforce Service']);
      assert.deepEqual([service?.authorisedUsers, service?.jitNotReady, service?.status], [2, 1, 'inactive'], 'ada counted once');
      const wiki = items.find((a) => a.id === ids['Wiki_50%']);
      assert.deepEqual([wiki?.authorisedUsers, wiki?.jitNotReady], [1, 0]);
    });

    it('agrees with the readiness report, white space being no value', async () => {
      // A custom attribute may be mapped once a user has it; ada's is white space only (no-break space included).
      await ok('PATCH', `${directory}/v1/users/${ids.ada}`, { customAttributes: { team: ' \u00a0\t' } });
      await ok('PATCH', `${catalog}/v1/applications/${ids['Wiki_50%']}`, {
        attributes: [{ spName: 'Team', source: 'custom:team', required: true }],
      });
      const wiki = (await list()).items.find((a) => a.id === ids['Wiki_50%']);
      assert.deepEqual([wiki?.authorisedUsers, wiki?.jitNotReady], [1, 1]);
      const report = await ok('GET', `${catalog}/v1/applications/${ids['Wiki_50%']}/jit-readiness`);
      assert.deepEqual(report.items, [
        {
          userId: ids.ada,
          username: 'ada',
          email: 'ada@example.com',
          missing: [{ spName: 'Team', kind: 'attribute', source: 'custom:team' }],
        },
      ]);
      await ok('PATCH', `${directory}/v1/users/${ids.ada}`, { customAttributes: { team: ' x ' } });
      const fixed = (await list()).items.find((a) => a.id === ids['Wiki_50%']);
      assert.deepEqual([fixed?.authorisedUsers, fixed?.jitNotReady], [1, 0]);
    });

    it('searches part of the name ignoring case, filters by status, and pages with the total of all matches', async () => {
      assert.deepEqual(await names('?search=SALESFORCE'), ['Salesforce Sales', 'Salesforce Service']);
      assert.deepEqual(await names('?search=force%20ser'), ['Salesforce Service']);
      assert.deepEqual(await names('?search=_50%25'), ['Wiki_50%'], 'LIKE wildcards are literal');
      assert.deepEqual(await names('?search=%25'), ['Wiki_50%']);
      assert.deepEqual(await names('?status=inactive'), ['Salesforce Service']);
      assert.deepEqual(await names('?status=active&search=sales'), ['Salesforce Sales']);
      const page = await list('?search=salesforce&limit=1&offset=1');
      assert.deepEqual([page.total, page.items.map((a) => a.name)], [2, ['Salesforce Service']]);
      assert.deepEqual(await list('', otherKey), { total: 0, items: [] }, "another organisation's applications never appear");
      assert.deepEqual(await names('?search=sales', otherKey), []);
    });

    it('refuses bad or unknown parameters with 400 naming each', async () => {
      const res = await call('GET', `${catalog}/v1/applications?status=on&search=&serach=x&limit=0`);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual([...new Set((res.body.details ?? []).map((d) => d.field))].sort(), ['limit', 'search', 'serach', 'status']);
    });
  });

  describe('GET /v1/users/:id/applications', () => {
    it('lists the applications a user reaches through bound groups, by name, with the groups and the status', async () => {
      const res = await ok('GET', `${catalog}/v1/users/${ids.ada}/applications`);
      assert.deepEqual(res, {
        total: 3,
        items: [
          {
            id: ids['Salesforce Sales'],
            name: 'Salesforce Sales',
            connectorId: 'salesforce',
            supportedFunctionality: ['SSO', 'JIT Provisioning'],
            status: 'active',
            viaGroups: [{ id: ids.sales, name: 'Sales' }],
          },
          {
            id: ids['Salesforce Service'],
            name: 'Salesforce Service',
            connectorId: 'salesforce',
            supportedFunctionality: ['SSO', 'JIT Provisioning'],
            status: 'inactive',
            viaGroups: [
              { id: ids.sales, name: 'Sales' },
              { id: ids.support, name: 'Support' },
            ],
          },
          {
            id: ids['Wiki_50%'],
            name: 'Wiki_50%',
            connectorId: 'saml2',
            supportedFunctionality: ['SSO', 'JIT Provisioning'],
            status: 'active',
            viaGroups: [{ id: ids.support, name: 'Support' }],
          },
        ],
      });
      for (const item of res.items ?? []) UserApplicationView.strict().parse(item);
      const active = await ok('GET', `${catalog}/v1/users/${ids.ada}/applications?status=active&limit=1&offset=1`);
      assert.deepEqual([active.total, active.items?.map((a) => a.name)], [2, ['Wiki_50%']]);
    });

    it('follows renames, removed memberships and unbound groups at once', async () => {
      await ok('PATCH', `${directory}/v1/user-groups/${ids.support}`, { name: 'Help desk' });
      await ok('DELETE', `${directory}/v1/user-groups/${ids.sales}/members/${ids.ada}`);
      const res = await ok('GET', `${catalog}/v1/users/${ids.ada}/applications`);
      assert.deepEqual(
        res.items?.map((a) => [a.name, (a.viaGroups as { name: string }[]).map((g) => g.name)]),
        [
          ['Salesforce Service', ['Help desk']],
          ['Wiki_50%', ['Help desk']],
        ],
      );
      await ok('DELETE', `${catalog}/v1/applications/${ids['Wiki_50%']}/user-groups/${ids.support}`);
      assert.deepEqual(
        (await ok('GET', `${catalog}/v1/users/${ids.ada}/applications`)).items?.map((a) => a.name),
        ['Salesforce Service'],
      );
      assert.deepEqual(await ok('GET', `${catalog}/v1/users/${ids.bob}/applications?offset=5`), { total: 2, items: [] });
    });

    it('names groups the copy of the directory kept without a name by asking the directory', async () => {
      const pool = new Pool({ connectionString: system.env.databaseUrl });
      try {
        await pool.query(`UPDATE "catalog"."directory_groups" SET "name" = NULL`);
      } finally {
        await pool.end();
      }
      const res = await ok('GET', `${catalog}/v1/users/${ids.bob}/applications`);
      assert.deepEqual(
        res.items?.map((a) => (a.viaGroups as { name: string }[]).map((g) => g.name)),
        [['Sales'], ['Sales']],
      );
    });

    it("answers 404 for another organisation's user or an unknown one, and 400 for a bad id", async () => {
      assert.equal((await call('GET', `${catalog}/v1/users/${ids.ada}/applications`, undefined, otherKey)).status, 404);
      assert.equal((await call('GET', `${catalog}/v1/users/00000000-0000-4000-8000-000000000000/applications`)).status, 404);
      assert.equal((await call('GET', `${catalog}/v1/users/nope/applications`)).status, 400);
      await ok('DELETE', `${directory}/v1/users/${ids.cy}`);
      assert.equal((await call('GET', `${catalog}/v1/users/${ids.cy}/applications`)).status, 404);
    });
  });
});
