import assert from 'node:assert/strict';
import { NatsBus, readSnapshot } from '@jit/messaging';
import { DirectoryRpc, DirectorySnapshot } from '@jit/directory-contracts';
import { adminClient, readStream, startInEnv, testEnv, type Json, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'admin-roles-test-bootstrap-key-0123';
const ADMIN_PASSWORD = 'first administrator password';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('admin roles and the bootstrap administrator (real PostgreSQL and NATS)', () => {
  const env = testEnv('adminroles');
  const running: ServiceProcess[] = [];
  let directory: ServiceProcess;
  let bus: NatsBus;
  let organizationId = '';
  let adminId = '';
  let otherKey = '';
  const call = adminClient(() => directory.url, BOOTSTRAP);
  const events = async (subject?: string) =>
    (await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`)).filter(
      (e) => subject === undefined || e.subject === `${env.natsPrefix}.${subject}`,
    );
  const roleEvents = () => events('directory.user.admin-role-changed.v1');
  const start = async (extra: Record<string, string>) => {
    const service = await startInEnv('directory', env, BOOTSTRAP, { LOG_LEVEL: 'info', ...extra });
    running.push(service);
    return service;
  };
  const verify = (username: string, password: string) =>
    bus.request(DirectoryRpc.verifyCredentials, { organizationId, username, password }, 5000);
  const createUser = async (username: string, key = BOOTSTRAP) => {
    const res = await call('POST', '/v1/users', { username, email: `${username}@example.com` }, key);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.adminRole, null, 'a new user holds no admin role');
    return String(res.body.id);
  };
  const setRole = (id: string, role: unknown, key = BOOTSTRAP) => call('PUT', `/v1/users/${id}/admin-role`, { role }, key);
  const listed = async (query: string) => {
    const res = await call('GET', `/v1/users?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.items ?? []).map((u) => [u.username, u.adminRole]);
  };

  beforeAll(async () => {
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'admin-roles-test' });
  });

  afterAll(async () => {
    await bus?.close();
    await Promise.all(running.map((s) => s.stop()));
    await env.cleanup();
  });

  describe('the bootstrap administrator', () => {
    it('is created once in the default organisation, with the administrator role, and its password verifies', async () => {
      directory = await start({ BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD });
      const admins = await call('GET', '/v1/users?adminRole=administrator');
      assert.equal(admins.body.total, 1);
      const admin = admins.body.items?.[0] as Json;
      adminId = String(admin.id);
      organizationId = String(admin.organizationId);
      assert.deepEqual(
        [admin.username, admin.email, admin.firstname, admin.lastname, admin.displayname, admin.state, admin.adminRole],
        ['admin', 'admin@localhost', 'First', 'Administrator', 'First administrator', 'ACTIVATED', 'administrator'],
      );
      assert.equal(JSON.stringify(admin).includes(ADMIN_PASSWORD), false);
      assert.deepEqual(await verify('admin', ADMIN_PASSWORD), { ok: true, userId: adminId });
      assert.deepEqual(await verify('admin', 'not the password at all'), { ok: false, reason: 'invalid_credentials' });

      const created = await events('directory.user.created.v1');
      assert.deepEqual(
        created.map((e) => [e.payload.userId, e.payload.version]),
        [[adminId, 1]],
      );
      assert.deepEqual(
        (await roleEvents()).map((e) => ({ ...e.payload, occurredAt: ISO.test(String(e.payload.occurredAt)) })),
        [{ organizationId, userId: adminId, version: 2, role: 'administrator', previousRole: null, occurredAt: true }],
      );
      assert.match(directory.output(), /Created the bootstrap administrator admin \(user [0-9a-f-]{36}\) in organisation [0-9a-f-]{36}/);
      assert.equal(directory.output().includes(ADMIN_PASSWORD), false, 'no password in the log');
    });

    it('is never changed by a later start with other values, which says so in one line', async () => {
      const before = (await events()).length;
      const later = await start({
        BOOTSTRAP_ADMIN_USERNAME: 'root',
        BOOTSTRAP_ADMIN_PASSWORD: 'another long password',
        BOOTSTRAP_ADMIN_EMAIL: 'root@example.com',
      });
      const lines = later
        .output()
        .split('\n')
        .filter((l) => l.includes('BOOTSTRAP_ADMIN_USERNAME'));
      assert.equal(lines.length, 1, later.output());
      assert.match(String(lines[0]), new RegExp(`Organisation ${organizationId} has an administrator already: .* change nothing`));
      assert.equal(later.output().includes('another long password'), false);
      const all = await call('GET', '/v1/users');
      assert.deepEqual(
        all.body.items?.map((u) => [u.username, u.email, u.adminRole]),
        [['admin', 'admin@localhost', 'administrator']],
      );
      assert.equal((await events()).length, before, 'no event');
      assert.deepEqual(await verify('admin', ADMIN_PASSWORD), { ok: true, userId: adminId });
      assert.deepEqual(await verify('root', 'another long password'), { ok: false, reason: 'invalid_credentials' });
      await later.stop();
    });
  });

  describe('PUT /v1/users/:id/admin-role', () => {
    let adaId = '';
    let bobId = '';

    beforeAll(async () => {
      adaId = await createUser('ada');
      bobId = await createUser('bob');
      const org = await call('POST', '/v1/organizations', { name: 'Other Corp' });
      assert.equal(org.status, 201);
      otherKey = String(org.body.apiKey);
    });

    it('sets, shows, filters and unsets a role, each change one event with the next user version', async () => {
      const version = Number((await events('directory.user.created.v1')).find((e) => e.payload.userId === adaId)?.payload.version);
      const before = (await roleEvents()).length;
      const set = await setRole(adaId, 'help-desk');
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual([set.body.id, set.body.adminRole], [adaId, 'help-desk']);
      assert.equal((await call('GET', `/v1/users/${adaId}`)).body.adminRole, 'help-desk');
      assert.equal((await setRole(adaId, 'help-desk')).status, 200, 'the same role again');
      assert.equal((await setRole(bobId, 'read-only')).status, 200);

      assert.deepEqual(await listed('adminRole=help-desk'), [['ada', 'help-desk']]);
      assert.deepEqual(await listed('adminRole=read-only'), [['bob', 'read-only']]);
      assert.deepEqual(await listed('adminRole=any&sort=username'), [
        ['ada', 'help-desk'],
        ['admin', 'administrator'],
        ['bob', 'read-only'],
      ]);
      assert.deepEqual(await listed('adminRole=none'), []);
      assert.deepEqual(await listed('adminRole=administrator'), [['admin', 'administrator']]);

      const unset = await setRole(adaId, null);
      assert.deepEqual([unset.status, unset.body.adminRole], [200, null]);
      assert.deepEqual(await listed('adminRole=none'), [['ada', null]]);

      const added = (await roleEvents())
        .slice(before)
        .map((e) => [e.payload.userId, e.payload.version, e.payload.previousRole, e.payload.role]);
      assert.deepEqual(added, [
        [adaId, version + 1, null, 'help-desk'],
        [bobId, version + 1, null, 'read-only'],
        [adaId, version + 2, 'help-desk', null],
      ]);
      // The snapshot (for a consumer that finds the stream trimmed) says what the last events say.
      const snapshot = new Map<string, unknown>();
      for await (const item of readSnapshot(bus, DirectorySnapshot.users)) snapshot.set(item.userId, [item.version, item.adminRole]);
      assert.deepEqual(
        [snapshot.get(adaId), snapshot.get(bobId), snapshot.get(adminId)],
        [
          [version + 2, null],
          [version + 1, 'read-only'],
          [2, 'administrator'],
        ],
      );
      // The next profile change carries the version after the role changes.
      const renamed = await call('PATCH', `/v1/users/${adaId}`, { firstname: 'Ada' });
      assert.equal(renamed.status, 200);
      const updated = (await events('directory.user.updated.v1')).filter((e) => e.payload.userId === adaId);
      assert.equal(updated.at(-1)?.payload.version, version + 3);
    });

    it('answers 400 naming the field for an unknown role, a missing one or an unknown field, changing nothing', async () => {
      const before = (await events()).length;
      for (const body of [{ role: 'superuser' }, {}, { role: 'Administrator' }]) {
        const res = await call('PUT', `/v1/users/${adaId}/admin-role`, body);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.code, 'VALIDATION_FAILED');
        assert.deepEqual(res.body.details, [
          { field: 'role', message: 'must be one of administrator, help-desk, read-only, or null for no admin role' },
        ]);
      }
      const extra = await call('PUT', `/v1/users/${adaId}/admin-role`, { role: 'read-only', organizationId });
      assert.deepEqual([extra.status, extra.body.details?.map((d) => d.field)], [400, ['organizationId']]);
      const filter = await call('GET', '/v1/users?adminRole=root');
      assert.deepEqual([filter.status, filter.body.details?.map((d) => d.field)], [400, ['adminRole']]);
      assert.equal((await call('GET', `/v1/users/${adaId}`)).body.adminRole, null);
      assert.equal((await events()).length, before);
    });

    it("answers 404 to another organisation's key, and its own roles stay its own", async () => {
      const before = (await events()).length;
      const res = await setRole(adaId, 'administrator', otherKey);
      assert.deepEqual([res.status, res.body.error], [404, 'Not Found']);
      assert.equal((await setRole('00000000-0000-4000-8000-000000000000', 'administrator')).status, 404);
      assert.equal((await call('GET', `/v1/users/${adaId}`)).body.adminRole, null);
      assert.equal((await events()).length, before);
      const carol = await createUser('carol', otherKey);
      assert.equal((await setRole(carol, 'administrator', otherKey)).status, 200);
      assert.deepEqual(
        await listed('adminRole=administrator'),
        [['admin', 'administrator']],
        "the other organisation's administrator is not listed here",
      );
    });

    it("refuses 409 to remove the organisation's last active administrator by role, suspension or deletion", async () => {
      const before = (await events()).length;
      const reason = (doing: string) =>
        `admin is the organisation's last active administrator: make another user an administrator before ${doing}`;
      const demoted = await setRole(adminId, 'read-only');
      assert.deepEqual(
        [demoted.status, demoted.body.code, demoted.body.message, demoted.body.details],
        [409, 'CONFLICT', reason('removing this role'), [{ field: 'role', message: 'the last active administrator keeps it' }]],
      );
      assert.equal((await setRole(adminId, null)).status, 409);
      for (const state of ['SUSPENDED', 'STAGED']) {
        const suspended = await call('PATCH', `/v1/users/${adminId}`, { state });
        assert.deepEqual(
          [suspended.status, suspended.body.message, suspended.body.details],
          [409, reason('suspending them'), [{ field: 'state', message: 'the last active administrator keeps it' }]],
        );
      }
      const deleted = await call('DELETE', `/v1/users/${adminId}`);
      assert.deepEqual([deleted.status, deleted.body.message], [409, reason('deleting them')]);
      const admin = await call('GET', `/v1/users/${adminId}`);
      assert.deepEqual([admin.body.adminRole, admin.body.state], ['administrator', 'ACTIVATED']);
      assert.equal((await events()).length, before, 'no event for a refused change');

      // With a second active administrator, the first may go; then the second is the last.
      assert.equal((await setRole(bobId, 'administrator')).status, 200);
      assert.equal((await call('PATCH', `/v1/users/${adminId}`, { state: 'SUSPENDED' })).status, 200);
      const bobLast = await setRole(bobId, null);
      assert.deepEqual([bobLast.status, bobLast.body.message], [409, reason('removing this role').replace(/^admin/, 'bob')]);
      // A suspended administrator does not count, and may lose the role or be deleted.
      assert.equal((await setRole(adminId, null)).status, 200);
      assert.equal((await call('DELETE', `/v1/users/${bobId}`)).status, 409);
      assert.equal((await call('PATCH', `/v1/users/${bobId}`, { department: 'IT' })).status, 200, 'other changes are fine');
    });

    it('lets only one of two concurrent changes take away the last two administrators', async () => {
      const [erin, frank] = [await createUser('erin', otherKey), await createUser('frank', otherKey)];
      for (let round = 0; round < 5; round++) {
        assert.equal((await setRole(erin, 'administrator', otherKey)).status, 200);
        assert.equal((await setRole(frank, 'administrator', otherKey)).status, 200);
        // carol, the other organisation's first administrator, steps aside for the race.
        const carol = (await call('GET', '/v1/users?adminRole=administrator&username=carol', undefined, otherKey)).body.items?.[0];
        if (carol) assert.equal((await setRole(String(carol.id), null, otherKey)).status, 200);
        const statuses = await Promise.all([
          setRole(erin, null, otherKey),
          call('PATCH', `/v1/users/${frank}`, { state: 'SUSPENDED' }, otherKey),
        ]);
        assert.deepEqual(statuses.map((r) => r.status).sort(), [200, 409], `round ${round}`);
        const left = await call('GET', '/v1/users?adminRole=administrator&state=ACTIVATED', undefined, otherKey);
        assert.equal(left.body.total, 1, `round ${round}: one active administrator remains`);
        assert.equal((await call('PATCH', `/v1/users/${frank}`, { state: 'ACTIVATED' }, otherKey)).status, 200);
      }
    });
  });
});
