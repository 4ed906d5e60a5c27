import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { NatsBus } from '@jit/messaging';
import { DirectoryRpc, RemoteApiKeyResolver } from '@jit/directory-contracts';
import { hashApiKey } from '@jit/service';
import { connect } from '@nats-io/transport-node';
import {
  DOCUMENTED_NATS_PASSWORDS,
  PrivateNatsServer,
  adminClient,
  documentedNatsConfig,
  eventually,
  freePort,
  readStream,
  startInEnv,
  startService,
  testEnv,
  type AdminResponse,
  type Json,
  type ServiceProcess,
} from '@jit/testing';

const BOOTSTRAP = 'admin-sessions-test-bootstrap-key-0123';
const HOUR = 3_600_000;

/**
 * The admin console's sessions at the directory: who may open one, what each role may do with it
 * (the directory refuses, whatever the console shows), that a changed person loses it at the next
 * request, and that their changes name them in the events (real PostgreSQL and NATS).
 */
describe('admin sessions and admin roles at the directory (real PostgreSQL and NATS)', () => {
  const env = testEnv('adminsessions');
  let directory: ServiceProcess;
  let bus: NatsBus;
  let organizationId = '';
  const call = adminClient(() => directory.url, BOOTSTRAP);
  /** A call as a person: their session token in `authorization: Bearer`. */
  const as = async (token: string, method: string, path: string, body?: unknown): Promise<AdminResponse> => {
    const res = await fetch(`${directory.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const open = (userId: string, organization = organizationId) =>
    bus.request(DirectoryRpc.openAdminSession, { organizationId: organization, userId }, 5000);
  const tokenOf = async (userId: string): Promise<string> => {
    const answer = await open(userId);
    assert.equal(answer.ok, true, JSON.stringify(answer));
    return answer.ok ? answer.token : '';
  };
  const createUser = async (username: string, role: string | null = null): Promise<string> => {
    const res = await call('POST', '/v1/users', { username, email: `${username}@example.com`, firstname: username, lastname: 'Test' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = String(res.body.id);
    organizationId = String(res.body.organizationId);
    if (role) assert.equal((await call('PUT', `/v1/users/${id}/admin-role`, { role })).status, 200);
    return id;
  };
  const forbidden = (role: string, what: string) => ({
    statusCode: 403,
    error: 'Forbidden',
    code: 'FORBIDDEN',
    message: `Your admin role (${role}) may not ${what}`,
  });
  const directoryEvents = async (subject: string) =>
    (await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`)).filter((e) => e.subject === `${env.natsPrefix}.${subject}`);

  let readOnlyId = '';
  let helpDeskId = '';
  let adminId = '';

  beforeAll(async () => {
    directory = await startInEnv('directory', env, BOOTSTRAP, { LOG_LEVEL: 'info' });
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'admin-sessions-test' });
    adminId = await createUser('alice', 'administrator');
    helpDeskId = await createUser('hank', 'help-desk');
    readOnlyId = await createUser('rita', 'read-only');
  });

  afterAll(async () => {
    await bus?.close();
    await directory?.stop();
    await env.cleanup();
  });

  describe('openAdminSession', () => {
    it('answers a token, the role and its permissions, the person and the organisation; only the hash is stored', async () => {
      const answer = await open(helpDeskId);
      assert.equal(answer.ok, true, JSON.stringify(answer));
      if (!answer.ok) return;
      assert.match(answer.token, /^jits_[A-Za-z0-9_-]{43}$/);
      const lifetime = new Date(answer.expiresAt).getTime() - Date.now();
      assert.ok(lifetime > 8 * HOUR - 60_000 && lifetime <= 8 * HOUR, `expires in ${lifetime} ms`);
      assert.deepEqual(
        { role: answer.role, permissions: answer.permissions, user: answer.user, organization: answer.organization },
        {
          role: 'help-desk',
          permissions: ['read', 'users:write', 'groups:write', 'credentials:manage'],
          user: { id: helpDeskId, username: 'hank', email: 'hank@example.com', firstname: 'hank', lastname: 'Test', displayname: '' },
          organization: { id: organizationId, name: 'Default organisation' },
        },
      );
      assert.equal(directory.output().includes(answer.token), false, 'the token is not logged');
      const db = new DataSource({ type: 'postgres', url: env.databaseUrl });
      await db.initialize();
      try {
        const rows = await db.query<Json[]>(`SELECT * FROM directory.admin_sessions WHERE user_id = $1`, [helpDeskId]);
        assert.deepEqual(
          rows.map((r) => r.token_hash),
          [hashApiKey(answer.token)],
        );
        assert.equal(JSON.stringify(rows).includes(answer.token), false, 'the token itself is not stored');
      } finally {
        await db.destroy();
      }
    });

    it('refuses someone who is not an admin, not active, or not in the organisation, with a reason the console can show', async () => {
      const plainId = await createUser('paul');
      assert.deepEqual(await open(plainId), { ok: false, reason: 'no_admin_role' });
      const suspendedId = await createUser('sam', 'read-only');
      assert.equal((await call('PATCH', `/v1/users/${suspendedId}`, { state: 'SUSPENDED' })).status, 200);
      assert.deepEqual(await open(suspendedId), { ok: false, reason: 'not_active' });
      assert.deepEqual(await open(randomUUID()), { ok: false, reason: 'not_found' });
      assert.deepEqual(await open(adminId, randomUUID()), { ok: false, reason: 'not_found' }, 'another organisation');
    });
  });

  describe('what each role may do (the directory decides, deny by default)', () => {
    it('a read-only admin reads everything and changes nothing', async () => {
      const token = await tokenOf(readOnlyId);
      assert.equal((await as(token, 'GET', '/v1/users')).status, 200);
      assert.equal((await as(token, 'GET', `/v1/users/${adminId}/lockout`)).status, 200);
      assert.equal((await as(token, 'GET', '/v1/api-keys')).status, 200);
      const refused: [string, string, unknown, string][] = [
        ['POST', '/v1/users', { username: 'x', email: 'x@example.com' }, 'change users'],
        ['PATCH', `/v1/users/${adminId}`, { firstname: 'X' }, 'change users'],
        ['DELETE', `/v1/users/${adminId}`, undefined, 'change users'],
        ['POST', '/v1/user-groups', { name: 'Sales' }, 'change groups or their members'],
        ['DELETE', `/v1/users/${adminId}/lockout`, undefined, 'unlock accounts or reset passwords'],
        ['PUT', `/v1/users/${adminId}/password`, { password: 'a long enough password 1' }, 'unlock accounts or reset passwords'],
        ['POST', '/v1/api-keys', { name: 'ci' }, 'manage API keys'],
        ['PUT', `/v1/users/${readOnlyId}/admin-role`, { role: 'administrator' }, 'change admin roles'],
        ['POST', '/v1/organizations', { name: 'Other' }, 'do this'],
      ];
      for (const [method, path, body, what] of refused) {
        const res = await as(token, method, path, body);
        assert.deepEqual([method, path, res.status, res.body], [method, path, 403, forbidden('read-only', what)]);
      }
      assert.equal((await call('GET', `/v1/users/${readOnlyId}`)).body.adminRole, 'read-only', 'nothing changed');
    });

    it("a help-desk admin manages users, groups and credentials, not API keys, roles or an admin's account", async () => {
      const token = await tokenOf(helpDeskId);
      const created = await as(token, 'POST', '/v1/users', { username: 'newbie', email: 'newbie@example.com' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await as(token, 'DELETE', `/v1/users/${String(created.body.id)}/lockout`)).status, 204);
      assert.equal((await as(token, 'PATCH', `/v1/users/${String(created.body.id)}`, { firstname: 'New' })).status, 200);
      assert.equal((await as(token, 'POST', '/v1/user-groups', { name: 'Help desk made' })).status, 201);
      // An admin's account is not theirs to change: a reset password would make them that admin.
      const takeover = {
        status: 403,
        body: forbidden('help-desk', 'change the account of an admin (administrator): ask an administrator'),
      };
      assert.deepEqual(await as(token, 'PUT', `/v1/users/${adminId}/password`, { password: 'a long enough password 1' }), takeover);
      assert.deepEqual(await as(token, 'PATCH', `/v1/users/${adminId}`, { email: 'hank-now@example.com' }), takeover);
      assert.deepEqual(await as(token, 'DELETE', `/v1/users/${adminId}/lockout`), takeover);
      assert.deepEqual(await as(token, 'DELETE', `/v1/users/${adminId}`), takeover);
      assert.equal((await call('GET', `/v1/users/${adminId}`)).body.email, 'alice@example.com');
      assert.deepEqual(await as(token, 'POST', '/v1/api-keys', { name: 'ci' }), {
        status: 403,
        body: forbidden('help-desk', 'manage API keys'),
      });
      assert.deepEqual(await as(token, 'PUT', `/v1/users/${helpDeskId}/admin-role`, { role: 'administrator' }), {
        status: 403,
        body: forbidden('help-desk', 'change admin roles'),
      });
    });

    it('an administrator may do everything a person may; creating organisations stays with the bootstrap key', async () => {
      const token = await tokenOf(adminId);
      const key = await as(token, 'POST', '/v1/api-keys', { name: 'made by alice' });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      assert.equal((await as(token, 'DELETE', `/v1/api-keys/${String(key.body.id)}`)).status, 204);
      const org = await as(token, 'POST', '/v1/organizations', { name: 'Other' });
      assert.deepEqual([org.status, org.body.message], [403, 'Only the bootstrap API key may create organisations']);
    });

    it('an API key still does everything, and a session token is no API key (nor the other way round)', async () => {
      const token = await tokenOf(adminId);
      assert.equal((await call('POST', '/v1/api-keys', { name: 'machine' })).status, 201);
      assert.equal((await call('GET', '/v1/users', undefined, token)).status, 401, 'a token in x-api-key');
      assert.equal((await as(BOOTSTRAP, 'GET', '/v1/users')).status, 401, 'an API key as a bearer token');
      assert.equal((await as('jits_not-a-session', 'GET', '/v1/users')).status, 401);
      const none = await fetch(`${directory.url}/v1/users`);
      assert.equal(none.status, 401);
    });
  });

  describe('a session follows the person', () => {
    it('stops at once when the person loses their role or gets a lesser one', async () => {
      const id = await createUser('dora', 'administrator');
      const token = await tokenOf(id);
      assert.equal((await as(token, 'POST', '/v1/user-groups', { name: 'Dora made' })).status, 201);
      assert.equal((await call('PUT', `/v1/users/${id}/admin-role`, { role: 'read-only' })).status, 200);
      assert.deepEqual(await as(token, 'POST', '/v1/user-groups', { name: 'Dora again' }), {
        status: 403,
        body: forbidden('read-only', 'change groups or their members'),
      });
      assert.equal((await as(token, 'GET', '/v1/users')).status, 200);
      assert.equal((await call('PUT', `/v1/users/${id}/admin-role`, { role: null })).status, 200);
      const gone = await as(token, 'GET', '/v1/users');
      assert.deepEqual(
        [gone.status, gone.body.message],
        [401, 'Your admin session has ended or you no longer hold an admin role: sign in again'],
      );
      // Given a role again, they sign in again: the old token stays dead.
      assert.equal((await call('PUT', `/v1/users/${id}/admin-role`, { role: 'read-only' })).status, 200);
      assert.equal((await as(token, 'GET', '/v1/users')).status, 401);
      assert.equal((await as(await tokenOf(id), 'GET', '/v1/users')).status, 200);
    });

    it('stops at once when the person is suspended or deleted, and when it is closed', async () => {
      const suspended = await createUser('sue', 'help-desk');
      const suspendedToken = await tokenOf(suspended);
      assert.equal((await as(suspendedToken, 'GET', '/v1/users')).status, 200);
      assert.equal((await call('PATCH', `/v1/users/${suspended}`, { state: 'SUSPENDED' })).status, 200);
      assert.equal((await as(suspendedToken, 'GET', '/v1/users')).status, 401);
      assert.equal((await call('PATCH', `/v1/users/${suspended}`, { state: 'ACTIVATED' })).status, 200);
      assert.equal((await as(suspendedToken, 'GET', '/v1/users')).status, 401, 'reactivated, they sign in again');

      const deleted = await createUser('dave', 'read-only');
      const deletedToken = await tokenOf(deleted);
      assert.equal((await call('DELETE', `/v1/users/${deleted}`)).status, 204);
      assert.equal((await as(deletedToken, 'GET', '/v1/users')).status, 401);

      const token = await tokenOf(readOnlyId);
      assert.equal((await as(token, 'GET', '/v1/users')).status, 200);
      assert.deepEqual(await bus.request(DirectoryRpc.closeAdminSession, { token }, 5000), { closed: true });
      assert.equal((await as(token, 'GET', '/v1/users')).status, 401);
      assert.deepEqual(await bus.request(DirectoryRpc.closeAdminSession, { token }, 5000), { closed: false });
    });

    it("another service's cache drops a person's session when their role changes, long before its time is up", async () => {
      // A cache that would keep the answer for a minute: only the directory's event can end it.
      const remote = new RemoteApiKeyResolver(bus, 5_000, 60_000);
      try {
        const id = await createUser('remy', 'administrator');
        const hash = hashApiKey(await tokenOf(id));
        assert.deepEqual((await remote.resolveSession(hash))?.actor, { userId: id, username: 'remy', role: 'administrator' });
        assert.equal((await remote.resolveSession(hash))?.grants?.all, true);
        assert.equal((await call('PUT', `/v1/users/${id}/admin-role`, { role: 'help-desk' })).status, 200);
        await eventually(async () => assert.equal((await remote.resolveSession(hash))?.actor?.role, 'help-desk'), { timeoutMs: 1000 });
        assert.deepEqual((await remote.resolveSession(hash))?.grants, {
          permissions: ['read', 'users:write', 'groups:write', 'credentials:manage'],
          all: false,
        });
        assert.equal((await call('PATCH', `/v1/users/${id}`, { state: 'SUSPENDED' })).status, 200);
        await eventually(async () => assert.equal(await remote.resolveSession(hash), null), { timeoutMs: 1000 });
        assert.equal(await remote.resolve(hash), null, 'a session token is no API key');
      } finally {
        remote.close();
      }
    });
  });

  describe('who did it', () => {
    it("a person's change carries them as the actor in its event and in the log; an API key's its fingerprint", async () => {
      const token = await tokenOf(helpDeskId);
      const byPerson = await as(token, 'POST', '/v1/users', { username: 'byperson', email: 'byperson@example.com' });
      assert.equal(byPerson.status, 201);
      const byKey = await call('POST', '/v1/users', { username: 'bykey', email: 'bykey@example.com' });
      assert.equal(byKey.status, 201);
      const created = await directoryEvents('directory.user.created.v1');
      const actorOf = (id: unknown) => created.find((e) => e.payload.userId === id)?.payload.actor;
      assert.deepEqual(actorOf(byPerson.body.id), { kind: 'person', userId: helpDeskId, username: 'hank' });
      assert.deepEqual(actorOf(byKey.body.id), { kind: 'api-key', fingerprint: hashApiKey(BOOTSTRAP).slice(0, 12) });
      assert.match(
        directory.output(),
        new RegExp(`POST /v1/users \\(id=${String(byPerson.body.id)}\\) by person hank \\(${helpDeskId}\\)`),
      );

      // Every event of a request, not only the first: a role change by the bootstrap key.
      const roles = await directoryEvents('directory.user.admin-role-changed.v1');
      assert.ok(roles.length > 0);
      assert.ok(roles.every((e) => (e.payload.actor as Json | undefined)?.kind === 'api-key'));
    });

    it('a change made outside a request (the bootstrap administrator at start) names no actor', async () => {
      const other = testEnv('adminsessionsboot');
      const service = await startInEnv('directory', other, 'admin-sessions-boot-bootstrap-key-01', {
        BOOTSTRAP_ADMIN_USERNAME: 'admin',
        BOOTSTRAP_ADMIN_PASSWORD: 'first administrator password',
      });
      try {
        const events = await readStream(other.natsUrl, `${other.natsPrefix}_DIRECTORY`);
        assert.ok(events.length >= 2, JSON.stringify(events));
        assert.ok(events.every((e) => !('actor' in e.payload)));
      } finally {
        await service.stop();
        await other.cleanup();
      }
    });
  });
});

/**
 * Proves the console's part of docs/nats-permissions.md on a NATS server of this test's own: the
 * console user opens and closes sessions, nobody else may ask for one, and the catalog and IdP
 * users hear the events that end a person's session.
 */
describe('admin sessions under the NATS users of docs/nats-permissions.md (private nats-server)', () => {
  const env = testEnv('adminsessionsnats');
  const passwords = DOCUMENTED_NATS_PASSWORDS;
  const nats = new PrivateNatsServer(documentedNatsConfig());
  let directory: ServiceProcess | undefined;
  let consoleBus: NatsBus | undefined;
  const call = adminClient(() => directory?.url ?? '', BOOTSTRAP);

  beforeAll(async () => {
    await nats.start();
    const port = await freePort();
    directory = await startService('directory', port, {
      DIRECTORY_PORT: String(port),
      DATABASE_URL: env.databaseUrl,
      NATS_URL: nats.url,
      NATS_USER: 'directory',
      NATS_PASSWORD: passwords.DIRECTORY_NATS_PASSWORD,
      NATS_INBOX_PREFIX: '_INBOX_directory',
      BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP,
    });
    consoleBus = await NatsBus.connect({
      servers: nats.url,
      prefix: '',
      service: 'console',
      user: 'console',
      password: passwords.CONSOLE_NATS_PASSWORD,
      inboxPrefix: '_INBOX_console',
    });
  });

  afterAll(async () => {
    await consoleBus?.close();
    await directory?.stop();
    await nats.destroy();
    await env.cleanup();
  });

  it('lets the console open and close a session, refuses the others, and lets the catalog and the IdP hear a role change', async () => {
    const created = await call('POST', '/v1/users', { username: 'nora', email: 'nora@example.com' });
    assert.equal(created.status, 201);
    const userId = String(created.body.id);
    const organizationId = String(created.body.organizationId);
    assert.equal((await call('PUT', `/v1/users/${userId}/admin-role`, { role: 'read-only' })).status, 200);

    const opened = await consoleBus!.request(DirectoryRpc.openAdminSession, { organizationId, userId }, 5000);
    assert.equal(opened.ok, true, JSON.stringify(opened));
    if (!opened.ok) return;
    assert.deepEqual(await consoleBus!.request(DirectoryRpc.closeAdminSession, { token: opened.token }, 5000), { closed: true });

    for (const [user, pass, inbox] of [
      ['catalog', passwords.CATALOG_NATS_PASSWORD, '_INBOX_catalog'],
      ['idp', passwords.IDP_NATS_PASSWORD, '_INBOX_idp'],
      ['hr-feed', passwords.HR_FEED_PASSWORD, '_INBOX'],
    ]) {
      const nc = await connect({ servers: nats.url, user, pass, inboxPrefix: inbox, reconnect: false });
      try {
        await assert.rejects(
          nc.request(DirectoryRpc.openAdminSession.subject, new TextEncoder().encode('{}'), { timeout: 1000 }),
          /Permissions Violation for Publish to "rpc\.directory\.admin-session\.open\.v1"/,
          user,
        );
      } finally {
        await nc.close();
      }
    }

    const heard: string[] = [];
    const listeners = [];
    for (const [user, pass, inbox] of [
      ['catalog', passwords.CATALOG_NATS_PASSWORD, '_INBOX_catalog'],
      ['idp', passwords.IDP_NATS_PASSWORD, '_INBOX_idp'],
    ]) {
      const nc = await connect({ servers: nats.url, user, pass, inboxPrefix: inbox, reconnect: false });
      listeners.push(nc);
      for (const subject of ['directory.user.admin-role-changed.v1', 'directory.user.state-changed.v1', 'directory.user.deleted.v1']) {
        // An event's organisation and ids follow its type in the subject (docs/events.md).
        nc.subscribe(`${subject}.>`, {
          callback: (error, msg) => {
            heard.push(error ? `${user} refused ${subject}` : `${user} ${msg.subject.split('.').slice(0, 4).join('.')}`);
          },
        });
      }
      await nc.flush();
    }
    try {
      assert.equal((await call('PUT', `/v1/users/${userId}/admin-role`, { role: null })).status, 200);
      assert.equal((await call('DELETE', `/v1/users/${userId}`)).status, 204);
      await eventually(
        () =>
          assert.deepEqual(heard.sort(), [
            'catalog directory.user.admin-role-changed.v1',
            'catalog directory.user.deleted.v1',
            'idp directory.user.admin-role-changed.v1',
            'idp directory.user.deleted.v1',
          ]),
        { timeoutMs: 2000 },
      );
    } finally {
      await Promise.all(listeners.map((nc) => nc.close()));
    }
  });
});
