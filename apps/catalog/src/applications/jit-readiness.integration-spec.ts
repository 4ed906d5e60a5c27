import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { readStream } from '@jit/testing';
import { startDirectoryAndCatalog, type DirectoryAndCatalog } from '../test-fixtures';

const BOOTSTRAP = 'catalog-readiness-bootstrap-key-0123';
interface Lacking {
  userId: string;
  username: string;
  missing: { spName: string | null; kind: string; source: string }[];
}

/**
 * JIT readiness follows the directory within one event: every check below reads readiness
 * right after the directory's 2xx, with no retry loop, because the catalog confirms its copy
 * has applied the DIRECTORY stream before it answers.
 */
describe('JIT readiness (real PostgreSQL and NATS)', () => {
  let system: DirectoryAndCatalog;
  let directory = '';
  let catalog = '';
  let appId = '';
  let groupId = '';
  const users: Record<string, string> = {};
  const env = () => system.env;
  const call = (method: string, url: string, body?: unknown, key?: string) => system.call(method, url, body, key);
  const readiness = async (id = appId) => {
    const res = await call('GET', `${catalog}/v1/applications/${id}/jit-readiness`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as unknown as { authorisedUsers: number; total: number; items: Lacking[] };
  };
  /** The report lists users by id. */
  const inIdOrder = (rows: [string, string[]][]) => [...rows].sort((a, b) => ((users[a[0]] ?? '') < (users[b[0]] ?? '') ? -1 : 1));
  const lacking = async (id = appId) =>
    (await readiness(id)).items.map((u) => [u.username, u.missing.map((m) => m.spName ?? `NameID:${m.source}`)]);
  const user = async (username: string, over: Record<string, unknown> = {}) => {
    const res = await call('POST', `${directory}/v1/users`, {
      username,
      email: `${username}@example.com`,
      firstname: username,
      lastname: 'Smith',
      employeeIdentifier: `E-${username}`,
      ...over,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    users[username] = String(res.body.id);
    return users[username];
  };

  beforeAll(async () => {
    system = await startDirectoryAndCatalog('catreadiness', BOOTSTRAP);
    ({ directory, catalog } = system);
    groupId = String((await call('POST', `${directory}/v1/user-groups`, { name: 'Sales' })).body.id);
    // Salesforce: User.Username, User.Email, User.LastName required; NameID from employeeIdentifier.
    const created = await call('POST', `${catalog}/v1/applications`, {
      connectorId: 'salesforce',
      name: 'Salesforce',
      spEntityId: 'https://acme.my.salesforce.com',
      acsUrls: ['https://acme.my.salesforce.com?so=00D000000000001'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    appId = String(created.body.id);
  });

  afterAll(() => system.stop());

  it('counts nobody while no group is bound, then the members of a group right after it is bound', async () => {
    await user('ada');
    await user('bob', { lastname: null });
    for (const name of ['ada', 'bob']) {
      assert.equal((await call('POST', `${directory}/v1/user-groups/${groupId}/members`, { userId: users[name] })).status, 201);
    }
    assert.deepEqual(await readiness(), { applicationId: appId, authorisedUsers: 0, items: [], total: 0 });
    assert.equal((await call('POST', `${catalog}/v1/applications/${appId}/user-groups`, { groupId })).status, 201);
    const report = await readiness();
    assert.equal(report.authorisedUsers, 2);
    assert.deepEqual(report.items, [
      {
        userId: users.bob,
        username: 'bob',
        email: 'bob@example.com',
        missing: [{ spName: 'User.LastName', kind: 'attribute', source: 'lastname' }],
      },
    ]);
  });

  it('shows a user right after the directory clears their lastname, and drops them once it is set again', async () => {
    assert.equal((await call('PATCH', `${directory}/v1/users/${users.ada}`, { lastname: null })).status, 200);
    assert.deepEqual(
      await lacking(),
      inIdOrder([
        ['ada', ['User.LastName']],
        ['bob', ['User.LastName']],
      ]),
    );
    assert.equal((await call('PATCH', `${directory}/v1/users/${users.ada}`, { lastname: 'Lovelace' })).status, 200);
    assert.deepEqual(await lacking(), [['bob', ['User.LastName']]]);
  });

  it('names the NameID source and follows a mapping change, a switched-off attribute and a constant', async () => {
    assert.equal((await call('PATCH', `${directory}/v1/users/${users.ada}`, { employeeIdentifier: null })).status, 200);
    assert.deepEqual(
      await lacking(),
      inIdOrder([
        ['ada', ['NameID:employeeIdentifier']],
        ['bob', ['User.LastName']],
      ]),
    );
    const patched = await call('PATCH', `${catalog}/v1/applications/${appId}`, {
      nameIdSource: 'email',
      attributes: [{ spName: 'User.LastName', enabled: false }],
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(await lacking(), []);
    await call('PATCH', `${catalog}/v1/applications/${appId}`, {
      attributes: [{ spName: 'User.LastName', enabled: true, constant: 'Unknown' }],
    });
    assert.deepEqual(await lacking(), []);
    await call('PATCH', `${catalog}/v1/applications/${appId}`, { attributes: [{ spName: 'User.LastName', source: 'lastname' }] });
    assert.deepEqual(await lacking(), [['bob', ['User.LastName']]]);
  });

  it('counts only ACTIVATED members: suspending, removing from the group or deleting a user takes them out at once', async () => {
    await call('PATCH', `${directory}/v1/users/${users.bob}`, { state: 'SUSPENDED' });
    assert.equal((await readiness()).authorisedUsers, 1);
    assert.deepEqual(await lacking(), []);
    await call('PATCH', `${directory}/v1/users/${users.bob}`, { state: 'ACTIVATED' });
    assert.deepEqual(await lacking(), [['bob', ['User.LastName']]]);
    assert.equal((await call('DELETE', `${directory}/v1/user-groups/${groupId}/members/${users.bob}`)).status, 204);
    assert.deepEqual(await lacking(), []);
    await call('POST', `${directory}/v1/user-groups/${groupId}/members`, { userId: users.bob });
    assert.deepEqual(await lacking(), [['bob', ['User.LastName']]]);
    assert.equal((await call('DELETE', `${directory}/v1/users/${users.bob}`)).status, 204);
    assert.deepEqual(await readiness(), { applicationId: appId, authorisedUsers: 1, items: [], total: 0 });
  });

  it('carries a readiness count per application in the list, and loses the users when the group is unbound', async () => {
    const carol = await user('carol', { lastname: null });
    await call('POST', `${directory}/v1/user-groups/${groupId}/members`, { userId: carol });
    const list = await call('GET', `${catalog}/v1/applications`);
    const item = list.body.items?.find((a) => a.id === appId);
    assert.deepEqual(item?.jitReadiness, { usersLacking: 1, authorisedUsers: 2, fresh: true });
    const groupList = await call('GET', `${catalog}/v1/user-groups/${groupId}/applications`);
    assert.deepEqual(groupList.body.items?.[0]?.jitReadiness, { usersLacking: 1, authorisedUsers: 2, fresh: true });
    assert.equal((await call('DELETE', `${catalog}/v1/applications/${appId}/user-groups/${groupId}`)).status, 204);
    assert.deepEqual(await readiness(), { applicationId: appId, authorisedUsers: 0, items: [], total: 0 });
    const after = await call('GET', `${catalog}/v1/applications/${appId}`);
    assert.deepEqual(after.body.jitReadiness, { usersLacking: 0, authorisedUsers: 0, fresh: true });
  });

  it('paginates the report, accepts custom attributes the directory knows, and keeps organisations apart', async () => {
    await call('POST', `${catalog}/v1/applications/${appId}/user-groups`, { groupId });
    const dave = await user('dave', { lastname: null, customAttributes: { costCode: 'C-1' } });
    await call('POST', `${directory}/v1/user-groups/${groupId}/members`, { userId: dave });
    const page = await call('GET', `${catalog}/v1/applications/${appId}/jit-readiness?limit=1&offset=1`);
    assert.equal(page.body.total, 2);
    assert.equal(page.body.items?.length, 1);
    // costCode is known now that a user has it.
    const mapped = await call('PATCH', `${catalog}/v1/applications/${appId}`, {
      attributes: [{ spName: 'CostCode', source: 'custom:costCode', required: true }],
    });
    assert.equal(mapped.status, 200, JSON.stringify(mapped.body));
    const report = await readiness();
    const carol = report.items.find((u) => u.username === 'carol');
    assert.deepEqual(
      carol?.missing.map((m) => m.spName),
      ['User.LastName', 'CostCode'],
    );
    const other = String((await call('POST', `${directory}/v1/organizations`, { name: 'Other' })).body.apiKey);
    assert.equal((await call('GET', `${catalog}/v1/applications/${appId}/jit-readiness`, undefined, other)).status, 404);
    assert.equal((await call('GET', `${catalog}/v1/applications/not-a-uuid/jit-readiness`)).status, 400);
  });

  it("reads a value as there exactly where JavaScript's trim leaves text, for a directory attribute and a custom one", async () => {
    // The rule is the catalog's column (present_sources), kept by PostgreSQL as a row is written;
    // the IdP reads a value for the assertion with String.prototype.trim.
    const samples = ['', ' ', '\t\n\r\f\v', '\u00a0\u2003\u3000\ufeff\u2028', 'a', ' x ', '\u200b', '\u0085', 'é'];
    const db = new Client({ connectionString: env().databaseUrl });
    await db.connect();
    try {
      for (const sample of samples) {
        const { rows } = await db.query<{ present: string[] }>(
          `SELECT "catalog"."profile_present_sources"(jsonb_build_object('lastname', $1::text, 'email', null,
                    'customAttributes', jsonb_build_object('costCode', $1::text))) AS "present"`,
          [sample],
        );
        assert.deepEqual(rows[0]?.present, sample.trim() === '' ? [] : ['custom:costCode', 'lastname'], JSON.stringify(sample));
      }
    } finally {
      await db.end();
    }
  });

  it('ignores a replayed or older directory event and terminates one that fails its contract, then goes on', async () => {
    const stream = `${env().natsPrefix}_DIRECTORY`;
    const dave = (await readStream(env().natsUrl, stream)).filter((e) => e.payload.userId === users.dave);
    const createdEvent = dave.find((e) => e.subject.endsWith('directory.user.created.v1'));
    assert.ok(createdEvent);
    const nc = await connect({ servers: env().natsUrl });
    try {
      const js = jetstream(nc);
      const subject = (name: string) => `${env().natsPrefix}.directory.${name}`;
      // The same version again, now with a last name: not newer, so nothing changes.
      const stale = {
        ...createdEvent.payload,
        user: { ...(createdEvent.payload.user as object), lastname: 'Stale' },
        changedAttributes: ['lastname'],
      };
      await js.publish(subject('user.updated.v1'), JSON.stringify(stale), { msgID: randomUUID() });
      await js.publish(subject('user.updated.v1'), JSON.stringify({ userId: 'not-a-uuid' }), { msgID: randomUUID() });
      await js.publish(subject('membership.removed.v1'), JSON.stringify({ ...stale, groupId, version: 1 }), { msgID: randomUUID() });
    } finally {
      await nc.close();
    }
    const still = (await readiness()).items.find((u) => u.username === 'dave');
    assert.deepEqual(
      still?.missing.map((m) => m.spName),
      ['User.LastName'],
    );
    // The consumer is still applying events after the bad one.
    assert.equal((await call('PATCH', `${directory}/v1/users/${users.dave}`, { lastname: 'Fresh' })).status, 200);
    assert.equal(
      (await readiness()).items.some((u) => u.username === 'dave'),
      false,
    );
  });
});
