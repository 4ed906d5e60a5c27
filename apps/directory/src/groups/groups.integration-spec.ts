import assert from 'node:assert/strict';
import { Client } from 'pg';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus, RpcRemoteError, type RpcReply } from '@jit/messaging';
import { API_KEY_FINGERPRINT_LENGTH, hashApiKey } from '@jit/service';
import {
  DOCUMENTED_NATS_PASSWORDS,
  adminClient,
  PrivateNatsServer,
  documentedNatsConfig,
  eventually,
  freePort,
  readStream,
  startInEnv,
  startService,
  testEnv,
  type ServiceProcess,
  type StoredEvent,
} from '@jit/testing';
import { directoryMakers } from './test-fixtures';

const BOOTSTRAP = 'groups-test-bootstrap-key-012345';
/** Who the events of the HTTP calls name: the bootstrap key, by the start of its hash. */
const ACTOR = { kind: 'api-key', fingerprint: hashApiKey(BOOTSTRAP).slice(0, API_KEY_FINGERPRINT_LENGTH) };

/** Subject without prefix and the two-word kind, e.g. `group.renamed`. */
const kind = (e: StoredEvent) => e.subject.split('.').slice(-3, -1).join('.');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('user groups and the membership RPC (real PostgreSQL and NATS)', () => {
  const env = testEnv('groups');
  let directory: ServiceProcess;
  let base = '';
  const call = adminClient(() => base, BOOTSTRAP);
  const events = () => readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`);
  let organizationId = '';
  let otherKey = '';
  const { newUser, newGroup } = directoryMakers(call, BOOTSTRAP);

  beforeAll(async () => {
    directory = await startInEnv('directory', env, BOOTSTRAP);
    base = directory.url;
    const other = await call('POST', '/v1/organizations', { name: 'Other Corp' });
    assert.equal(other.status, 201);
    otherKey = String(other.body.apiKey);
    const probe = await newGroup('probe');
    organizationId = String((await events()).find((e) => e.payload.groupId === probe)?.payload.organizationId);
  });

  afterAll(async () => {
    await directory.stop();
    await env.cleanup();
  });

  describe('PATCH /v1/user-groups/:id', () => {
    it('renames, bumping the version, with a groupRenamed event naming the previous name', async () => {
      const id = await newGroup('Sales');
      const before = (await events()).length;
      const res = await call('PATCH', `/v1/user-groups/${id}`, { name: '  Revenue ' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual({ ...res.body, createdAt: undefined }, { id, name: 'Revenue', version: 2, createdAt: undefined });
      const added = (await events()).slice(before);
      assert.deepEqual(
        added.map((e) => [e.subject, { ...e.payload, occurredAt: ISO.test(String(e.payload.occurredAt)) }]),
        [
          [
            `${env.natsPrefix}.directory.group.renamed.v1`,
            { organizationId, groupId: id, name: 'Revenue', previousName: 'Sales', version: 2, occurredAt: true, actor: ACTOR },
          ],
        ],
      );
      assert.equal((await call('GET', `/v1/user-groups/${id}`)).body.name, 'Revenue');
    });

    it('answers 200 without an event for the same name, and a change of letter case is a rename', async () => {
      const id = await newGroup('Finance');
      const before = (await events()).length;
      const same = await call('PATCH', `/v1/user-groups/${id}`, { name: 'Finance' });
      assert.equal(same.status, 200);
      assert.equal(same.body.version, 1);
      assert.equal((await events()).length, before, 'no event for a rename to the same name');
      const cased = await call('PATCH', `/v1/user-groups/${id}`, { name: 'FINANCE' });
      assert.equal(cased.status, 200);
      assert.equal(cased.body.version, 2);
      const added = (await events()).slice(before);
      assert.deepEqual(
        added.map((e) => [kind(e), e.payload.name, e.payload.previousName, e.payload.version]),
        [['group.renamed', 'FINANCE', 'Finance', 2]],
      );
    });

    it('refuses a name taken in the organisation (any letter case) with 409, but not one taken in another organisation', async () => {
      const id = await newGroup('Support');
      await newGroup('Legal');
      const before = (await events()).length;
      const taken = await call('PATCH', `/v1/user-groups/${id}`, { name: 'lEGAL' });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, 'CONFLICT');
      assert.deepEqual(taken.body.details, [{ field: 'name', message: 'already taken' }]);
      assert.equal((await call('GET', `/v1/user-groups/${id}`)).body.version, 1, 'the failed rename changed nothing');
      const otherId = await newGroup('Other team', otherKey);
      assert.equal((await call('PATCH', `/v1/user-groups/${otherId}`, { name: 'Legal' }, otherKey)).status, 200);
      assert.deepEqual(
        (await events()).slice(before).map((e) => [kind(e), e.payload.name]),
        [
          ['group.created', 'Other team'],
          ['group.renamed', 'Legal'],
        ],
      );
    });

    it('answers 404 for another organisation and 400 for a bad body or id, writing nothing', async () => {
      const id = await newGroup('Marketing');
      const before = (await events()).length;
      assert.equal((await call('PATCH', `/v1/user-groups/${id}`, { name: 'Mine now' }, otherKey)).status, 404);
      const cases: [unknown, string[]][] = [
        [{}, ['name']],
        [{ name: '   ' }, ['name']],
        [{ name: 'x'.repeat(201) }, ['name']],
        [{ name: 'ok', version: 3 }, ['version']],
      ];
      for (const [body, fields] of cases) {
        const res = await call('PATCH', `/v1/user-groups/${id}`, body);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.deepEqual(
          res.body.details?.map((d) => d.field),
          fields,
        );
      }
      assert.equal((await call('PATCH', '/v1/user-groups/not-a-uuid', { name: 'x' })).status, 400);
      assert.equal((await call('PATCH', `/v1/user-groups/${id}`, { name: 'x' }, 'jit_wrong')).status, 401);
      assert.equal((await call('GET', `/v1/user-groups/${id}`)).body.name, 'Marketing');
      assert.equal((await events()).length, before);
    });
  });

  describe('DELETE /v1/user-groups/:id', () => {
    it('removes each active member with its own versioned event, then deletes the group with version + 1', async () => {
      const id = await newGroup('Doomed');
      assert.equal((await call('PATCH', `/v1/user-groups/${id}`, { name: 'Doomed!' })).body.version, 2);
      const [ada, bob, cy] = [await newUser('ada'), await newUser('bob'), await newUser('cy')];
      const members = `/v1/user-groups/${id}/members`;
      for (const userId of [ada, bob, cy]) assert.equal((await call('POST', members, { userId })).status, 201);
      // Adding again answers the same membership, saying it changed nothing.
      assert.deepEqual((await call('POST', members, { userId: ada })).body, { groupId: id, userId: ada, changed: false });
      // bob: added, removed, added again (pair version 3); cy: removed (a removal is not repeated).
      assert.equal((await call('DELETE', `${members}/${bob}`)).status, 204);
      assert.equal((await call('POST', members, { userId: bob })).status, 201);
      assert.equal((await call('DELETE', `${members}/${cy}`)).status, 204);
      const before = (await events()).length;

      assert.equal((await call('DELETE', `/v1/user-groups/${id}`, undefined, otherKey)).status, 404);
      assert.equal((await events()).length, before, "another organisation's delete changed nothing");

      const res = await call('DELETE', `/v1/user-groups/${id}`);
      assert.equal(res.status, 204);
      assert.deepEqual(res.body, {});
      const added = (await events()).slice(before);
      const removals = [
        ['membership.removed', ada, 2],
        ['membership.removed', bob, 4],
      ].sort((a, b) => (String(a[1]) < String(b[1]) ? -1 : 1));
      assert.deepEqual(
        added.map((e) => [kind(e), e.payload.userId ?? null, e.payload.version]),
        [...removals, ['group.deleted', null, 3]],
      );
      assert.ok(added.every((e) => e.payload.groupId === id && e.payload.organizationId === organizationId));
      assert.deepEqual(Object.keys(added.at(-1)?.payload ?? {}).sort(), ['actor', 'groupId', 'occurredAt', 'organizationId', 'version']);

      assert.equal((await call('GET', `/v1/user-groups/${id}`)).status, 404);
      assert.equal((await call('GET', members)).status, 404);
      assert.equal((await call('POST', members, { userId: ada })).status, 404);
      assert.equal((await call('DELETE', `/v1/user-groups/${id}`)).status, 404, 'a second delete finds nothing');
      const db = new Client({ connectionString: env.databaseUrl });
      await db.connect();
      try {
        const rows = await db.query<{ n: string }>('SELECT count(*) AS n FROM directory.memberships WHERE group_id = $1', [id]);
        assert.equal(rows.rows[0]?.n, '0');
      } finally {
        await db.end();
      }
      // The users themselves stay.
      assert.equal((await call('GET', `/v1/users/${ada}`)).status, 200);
      assert.equal((await events()).length, before + 3);
    });

    it('racing member changes never leave a membership behind the groupDeleted event', async () => {
      const id = await newGroup('Contended');
      const members = `/v1/user-groups/${id}/members`;
      const users: string[] = [];
      for (let i = 0; i < 16; i++) users.push(await newUser(`race${i}`));
      // Half were members once (their rows exist, inactive), half never were.
      for (const userId of users.slice(0, 8)) {
        assert.equal((await call('POST', members, { userId })).status, 201);
        assert.equal((await call('DELETE', `${members}/${userId}`)).status, 204);
      }
      const before = (await events()).length;
      const adds = users.map((userId) => call('POST', members, { userId }));
      const deleted = call('DELETE', `/v1/user-groups/${id}`);
      const statuses = (await Promise.all(adds)).map((r) => r.status);
      assert.equal((await deleted).status, 204);
      assert.deepEqual(
        [...new Set(statuses)].filter((s) => s !== 201 && s !== 404),
        [],
        `statuses: ${statuses.join(',')}`,
      );

      const mine = (await events()).slice(before).filter((e) => e.payload.groupId === id);
      assert.equal(kind(mine.at(-1) as StoredEvent), 'group.deleted', 'nothing about the group after its deletion');
      assert.equal(mine.filter((e) => kind(e) === 'group.deleted').length, 1);
      const lastPerUser = new Map<string, string>();
      for (const e of mine.slice(0, -1)) lastPerUser.set(String(e.payload.userId), kind(e));
      assert.deepEqual(
        [...lastPerUser.values()].filter((k) => k !== 'membership.removed'),
        [],
        'every added member was removed again',
      );
      assert.equal(mine.filter((e) => kind(e) === 'membership.added').length, statuses.filter((s) => s === 201).length);
    });

    it('deletes an empty group with only groupDeleted, and its name is free again', async () => {
      const id = await newGroup('Empty');
      const before = (await events()).length;
      assert.equal((await call('DELETE', `/v1/user-groups/${id}`)).status, 204);
      assert.deepEqual(
        (await events()).slice(before).map((e) => [kind(e), e.payload.groupId, e.payload.version]),
        [['group.deleted', id, 2]],
      );
      assert.equal((await call('POST', '/v1/user-groups', { name: 'empty' })).status, 201);
      assert.equal((await call('DELETE', '/v1/user-groups/not-a-uuid')).status, 400);
    });
  });

  describe('membership over NATS request/reply', () => {
    let bus: NatsBus;
    let groupId = '';
    let userId = '';

    beforeAll(async () => {
      bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'groups-rpc-test' });
      groupId = await newGroup('Fed by HR');
      userId = await newUser('hr-person');
    });

    afterAll(async () => {
      await bus.close();
    });

    const refusedWith = (code: string) => (error: unknown) => {
      assert.ok(error instanceof RpcRemoteError, String(error));
      assert.equal(error.code, code, error.message);
      return true;
    };

    it('adds idempotently and stores the same membershipAdded event as HTTP', async () => {
      const before = (await events()).length;
      assert.deepEqual(await bus.request(DirectoryRpc.addMember, { apiKey: BOOTSTRAP, groupId, userId }), {
        groupId,
        userId,
        changed: true,
      });
      assert.deepEqual(await bus.request(DirectoryRpc.addMember, { apiKey: BOOTSTRAP, groupId, userId }), {
        groupId,
        userId,
        changed: false,
      });
      // The same change over HTTP, for comparison.
      const viaHttp = await newUser('http-person');
      assert.equal((await call('POST', `/v1/user-groups/${groupId}/members`, { userId: viaHttp })).status, 201);
      const added = (await events()).slice(before).filter((e) => e.payload.groupId === groupId);
      assert.deepEqual(
        added.map((e) => [e.subject, { ...e.payload, occurredAt: ISO.test(String(e.payload.occurredAt)) }]),
        [
          // Over NATS as over HTTP, the key that asked is the actor.
          [
            `${env.natsPrefix}.directory.membership.added.v1`,
            { organizationId, groupId, userId, version: 1, occurredAt: true, actor: ACTOR },
          ],
          [
            `${env.natsPrefix}.directory.membership.added.v1`,
            { organizationId, groupId, userId: viaHttp, version: 1, occurredAt: true, actor: ACTOR },
          ],
        ],
      );
      assert.deepEqual((await call('GET', `/v1/user-groups/${groupId}/members`)).body, {
        items: [{ userId }, { userId: viaHttp }],
        total: 2,
      });
    });

    it('removes idempotently with a versioned membershipRemoved event', async () => {
      const before = (await events()).length;
      assert.deepEqual(await bus.request(DirectoryRpc.removeMember, { apiKey: BOOTSTRAP, groupId, userId }), {
        groupId,
        userId,
        changed: true,
      });
      assert.deepEqual(await bus.request(DirectoryRpc.removeMember, { apiKey: BOOTSTRAP, groupId, userId }), {
        groupId,
        userId,
        changed: false,
      });
      assert.deepEqual(
        (await events()).slice(before).map((e) => [kind(e), e.payload.userId, e.payload.version]),
        [['membership.removed', userId, 2]],
      );
    });

    it("refuses a wrong API key, another organisation's ids and malformed requests, writing nothing", async () => {
      const before = (await events()).length;
      const otherGroup = await newGroup('Theirs', otherKey);
      const otherUser = await newUser('their-person', otherKey);
      const afterSetup = (await events()).length;
      assert.equal(afterSetup, before + 2);

      await assert.rejects(bus.request(DirectoryRpc.addMember, { apiKey: 'jit_wrong', groupId, userId }), refusedWith('UNAUTHENTICATED'));
      await assert.rejects(
        bus.request(DirectoryRpc.removeMember, { apiKey: 'jit_wrong', groupId, userId }),
        refusedWith('UNAUTHENTICATED'),
      );
      await assert.rejects(
        bus.request(DirectoryRpc.addMember, { apiKey: BOOTSTRAP, groupId: otherGroup, userId }),
        refusedWith('NOT_FOUND'),
      );
      await assert.rejects(
        bus.request(DirectoryRpc.addMember, { apiKey: BOOTSTRAP, groupId, userId: otherUser }),
        refusedWith('NOT_FOUND'),
      );
      await assert.rejects(bus.request(DirectoryRpc.addMember, { apiKey: otherKey, groupId, userId }), refusedWith('NOT_FOUND'));
      await assert.rejects(bus.request(DirectoryRpc.removeMember, { apiKey: otherKey, groupId, userId }), refusedWith('NOT_FOUND'));
      const never = await newUser('never-member');
      await assert.rejects(bus.request(DirectoryRpc.removeMember, { apiKey: BOOTSTRAP, groupId, userId: never }), refusedWith('NOT_FOUND'));
      const malformed = [
        { apiKey: BOOTSTRAP, groupId, userId, organizationId },
        { apiKey: BOOTSTRAP, groupId: 'not-a-uuid', userId },
        { apiKey: BOOTSTRAP, groupId },
        { apiKey: '', groupId, userId },
      ];
      for (const request of malformed) {
        await assert.rejects(bus.request(DirectoryRpc.addMember, request as never), refusedWith('VALIDATION_FAILED'));
      }
      const bytes = await bus.connection.request(
        bus.naming.subject(DirectoryRpc.addMember.subject),
        new TextEncoder().encode('{"apiKey":'),
      );
      assert.deepEqual(bytes.json<RpcReply>(), { ok: false, error: { code: 'VALIDATION_FAILED', message: 'request is not JSON' } });
      assert.deepEqual(
        (await events()).slice(afterSetup).map((e) => kind(e)),
        ['user.created'],
        'only the never-member user was created',
      );
    });
  });
});

/**
 * Proves docs/nats-permissions.md: its config, on a NATS server of this test's own, lets the real
 * directory run and the hr-feed user call the membership RPC, and refuses the hr-feed anything else.
 */
describe('NATS permissions from docs/nats-permissions.md (private nats-server)', () => {
  const env = testEnv('natsperm');
  const passwords = DOCUMENTED_NATS_PASSWORDS;
  const nats = new PrivateNatsServer(documentedNatsConfig());
  let natsUrl = '';
  let directory: ServiceProcess | undefined;
  let base = '';
  const call = adminClient(() => base, BOOTSTRAP);

  beforeAll(async () => {
    // No user without credentials: the directory connects as its own user.
    await nats.start();
    natsUrl = nats.url;
    const dPort = await freePort();
    base = `http://127.0.0.1:${dPort}`;
    directory = await startService('directory', dPort, {
      DIRECTORY_PORT: String(dPort),
      DATABASE_URL: env.databaseUrl,
      NATS_URL: natsUrl,
      NATS_USER: 'directory',
      NATS_PASSWORD: passwords.DIRECTORY_NATS_PASSWORD,
      NATS_INBOX_PREFIX: '_INBOX_directory',
      BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP,
    });
  });

  afterAll(async () => {
    await directory?.stop();
    await nats.destroy();
    await env.cleanup();
  });

  const storedEvents = async (): Promise<string[]> => {
    const nc = await connect({ servers: natsUrl, user: 'test-admin', pass: passwords.TEST_ADMIN_PASSWORD });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info('DIRECTORY');
      const subjects: string[] = [];
      for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
        const message = await jsm.streams.getMessage('DIRECTORY', { seq });
        // The event's type: its organisation and ids follow it in the subject (docs/events.md).
        if (message) subjects.push(message.subject.split('.').slice(0, 4).join('.'));
      }
      return subjects;
    } finally {
      await nc.close();
    }
  };

  it('lets hr-feed add a member over NATS and refuses it every other subject', async () => {
    const userId = String((await call('POST', '/v1/users', { username: 'fed', email: 'fed@example.com' })).body.id);
    const groupId = String((await call('POST', '/v1/user-groups', { name: 'From HR' })).body.id);

    const hr: NatsConnection = await connect({ servers: natsUrl, user: 'hr-feed', pass: passwords.HR_FEED_PASSWORD, reconnect: false });
    const violations: string[] = [];
    const watching = (async () => {
      for await (const status of hr.status()) {
        if (status.type === 'error') violations.push(status.error.message);
      }
    })();
    try {
      const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
      const reply = await hr.request(DirectoryRpc.addMember.subject, encode({ apiKey: BOOTSTRAP, groupId, userId }), { timeout: 2000 });
      assert.deepEqual(reply.json<RpcReply>(), { ok: true, data: { groupId, userId, changed: true } });
      const removed = await hr.request(DirectoryRpc.removeMember.subject, encode({ apiKey: BOOTSTRAP, groupId, userId }), {
        timeout: 2000,
      });
      assert.deepEqual(removed.json<RpcReply>(), { ok: true, data: { groupId, userId, changed: true } });
      // The bulk subject too (already removed: an unchanged item, no event).
      const bulk = await hr.request(DirectoryRpc.bulkMembers.subject, encode({ apiKey: BOOTSTRAP, groupId, remove: [userId] }), {
        timeout: 2000,
      });
      assert.deepEqual(bulk.json<RpcReply>(), { ok: true, data: { groupId, results: [{ userId, op: 'remove', outcome: 'unchanged' }] } });

      // A forged event straight into the stream, a password guess, and listening for others' API keys.
      hr.publish('directory.user.created.v1', encode({ forged: true }));
      await assert.rejects(
        hr.request(DirectoryRpc.verifyCredentials.subject, encode({ organizationId: userId, username: 'fed', password: 'guess' }), {
          timeout: 1000,
        }),
        /Permissions Violation for Publish to "rpc\.directory\.credentials\.verify\.v1"/,
      );
      const snoop = hr.subscribe('rpc.directory.>');
      await hr.flush();
      const closedWith = await snoop.closed;
      assert.match(String(closedWith), /Permissions Violation for Subscription to "rpc\.directory\.>"/);
      await eventually(
        () =>
          assert.deepEqual(violations.sort(), [
            'Permissions Violation for Publish to "directory.user.created.v1"',
            'Permissions Violation for Publish to "rpc.directory.credentials.verify.v1"',
            'Permissions Violation for Subscription to "rpc.directory.>"',
          ]),
        { timeoutMs: 2000 },
      );
    } finally {
      await hr.close();
      await watching;
    }
    // Only what the directory wrote: no forged user.created.
    assert.deepEqual(await storedEvents(), [
      'directory.organization.created.v1',
      'directory.user.created.v1',
      'directory.group.created.v1',
      'directory.membership.added.v1',
      'directory.membership.removed.v1',
    ]);
  });

  it("keeps each party's replies to itself: the hr-feed cannot read the directory's inbox, nor the directory everyone's", async () => {
    const refusedSubscription = async (user: string, pass: string, subject: string) => {
      const nc = await connect({ servers: natsUrl, user, pass, reconnect: false });
      try {
        const sub = nc.subscribe(subject);
        await nc.flush();
        assert.match(
          String(await sub.closed),
          new RegExp(`Permissions Violation for Subscription to "${subject.replace(/[.>]/g, '\\$&')}"`),
        );
      } finally {
        await nc.close();
      }
    };
    await refusedSubscription('hr-feed', passwords.HR_FEED_PASSWORD, '_INBOX_directory.>');
    await refusedSubscription('directory', passwords.DIRECTORY_NATS_PASSWORD, '_INBOX.>');
    // And the directory, on its own inbox, still has its JetStream answers: a write goes through.
    assert.equal((await call('POST', '/v1/user-groups', { name: 'After the inbox check' })).status, 201);
  });

  it('refuses a wrong password', async () => {
    await assert.rejects(connect({ servers: natsUrl, user: 'hr-feed', pass: 'wrong', reconnect: false }), /Authorization Violation/i);
  });
});
