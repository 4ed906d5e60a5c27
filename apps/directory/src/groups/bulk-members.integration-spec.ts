import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus, RpcRemoteError } from '@jit/messaging';
import {
  PrivateNatsServer,
  adminClient,
  answerSchema,
  bodySchema,
  eventually,
  fetchOpenApi,
  freePort,
  readStream,
  startInEnv,
  startService,
  testEnv,
  type ServiceProcess,
  type StoredEvent,
} from '@jit/testing';
import { directoryMakers } from './test-fixtures';

const BOOTSTRAP = 'bulk-test-bootstrap-key-0123456789';

type Result = { userId: string; op: string; outcome: string; reason?: string };
type Json = Record<string, unknown> & { results?: Result[]; details?: { field: string; message: string }[]; items?: { userId: string }[] };

/** `membership.added` and the like, with the user and version each event carries. */
const changes = (events: StoredEvent[]) =>
  events.map((e) => [e.subject.split('.').slice(-3, -1).join('.'), e.payload.userId, e.payload.version]);

const REFUSED = 'no such user in the organisation';

describe('bulk group membership (real PostgreSQL and NATS)', () => {
  const env = testEnv('bulkmembers');
  let directory: ServiceProcess;
  let base = '';
  const admin = adminClient(() => base, BOOTSTRAP);
  const call = async (...args: Parameters<typeof admin>) => (await admin(...args)) as { status: number; body: Json };
  const events = () => readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`);
  let otherKey = '';
  let organizationId = '';
  const { newUser, newGroup } = directoryMakers(admin, BOOTSTRAP);
  const members = async (groupId: string) =>
    ((await call('GET', `/v1/user-groups/${groupId}/members`)).body.items ?? []).map((m) => m.userId).sort();

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

  describe('POST /v1/user-groups/:id/members/bulk', () => {
    it('is documented in the OpenAPI document with its body and answer', async () => {
      const doc = await fetchOpenApi(base);
      assert.deepEqual(Object.keys(bodySchema(doc, 'POST /v1/user-groups/{id}/members/bulk')?.properties ?? {}), ['add', 'remove']);
      assert.deepEqual(bodySchema(doc, 'PUT /v1/user-groups/{id}/members')?.required, ['userIds']);
      assert.deepEqual(Object.keys(answerSchema(doc, 'POST /v1/user-groups/{id}/members/bulk', 200)?.properties ?? {}), [
        'groupId',
        'results',
      ]);
    });

    it('answers each item in request order and stores one versioned event per change, as the single calls do', async () => {
      const groupId = await newGroup('Bulk results');
      const [a, b, c, d] = [await newUser('bulk-a'), await newUser('bulk-b'), await newUser('bulk-c'), await newUser('bulk-d')];
      assert.equal((await call('POST', `/v1/user-groups/${groupId}/members`, { userId: a })).status, 201);
      const before = (await events()).length;

      const first = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: [a, b, c] });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, {
        groupId,
        results: [
          { userId: a, op: 'add', outcome: 'unchanged' },
          { userId: b, op: 'add', outcome: 'added' },
          { userId: c, op: 'add', outcome: 'added' },
        ],
      });
      const second = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: [d], remove: [a, b] });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.deepEqual(second.body.results, [
        { userId: d, op: 'add', outcome: 'added' },
        { userId: a, op: 'remove', outcome: 'removed' },
        { userId: b, op: 'remove', outcome: 'removed' },
      ]);
      // A re-add after a removal: the pair's version keeps counting (1 added, 2 removed, 3 added).
      const third = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: [a] });
      assert.deepEqual(third.body.results, [{ userId: a, op: 'add', outcome: 'added' }]);

      const stored = (await events()).slice(before);
      assert.deepEqual(changes(stored), [
        ['membership.added', b, 1],
        ['membership.added', c, 1],
        ['membership.added', d, 1],
        ['membership.removed', a, 2],
        ['membership.removed', b, 2],
        ['membership.added', a, 3],
      ]);
      assert.deepEqual(
        stored.map((e) => [e.payload.organizationId, e.payload.groupId]),
        stored.map(() => [organizationId, groupId]),
      );
      assert.deepEqual(await members(groupId), [a, c, d].sort());
    });

    it('is idempotent: the same call again answers every item unchanged and stores no event', async () => {
      const groupId = await newGroup('Bulk again');
      const [a, b, gone] = [await newUser('again-a'), await newUser('again-b'), await newUser('again-gone')];
      const body = { add: [a, b], remove: [gone] };
      const first = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, body);
      assert.deepEqual(
        first.body.results?.map((r) => r.outcome),
        ['added', 'added', 'unchanged'],
        'removing a user who never was a member is a no-op, not a 404',
      );
      const before = (await events()).length;
      const repeat = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, body);
      assert.equal(repeat.status, 200);
      assert.deepEqual(repeat.body.results, [
        { userId: a, op: 'add', outcome: 'unchanged' },
        { userId: b, op: 'add', outcome: 'unchanged' },
        { userId: gone, op: 'remove', outcome: 'unchanged' },
      ]);
      assert.equal((await events()).length, before);
    });

    it('refuses over 10,000 ids with 413, a repeated id naming both indexes and a malformed one with 400, writing nothing', async () => {
      const groupId = await newGroup('Bulk limits');
      const a = await newUser('limits-a');
      const before = (await events()).length;

      const tooMany = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, {
        add: Array.from({ length: 6000 }, () => randomUUID()),
        remove: Array.from({ length: 4001 }, () => randomUUID()),
      });
      assert.equal(tooMany.status, 413, JSON.stringify(tooMany.body));
      assert.equal(tooMany.body.code, 'PAYLOAD_TOO_LARGE');
      assert.equal(
        tooMany.body.message,
        'A bulk membership call takes at most 10000 user ids (add and remove together), this one has 10001: split it into several calls',
      );

      const repeated = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: [a, randomUUID()], remove: [a.toUpperCase()] });
      assert.equal(repeated.status, 400);
      assert.deepEqual(repeated.body.details, [{ field: 'remove.0', message: 'duplicate of add.0' }]);

      const malformed = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: [a, 'nope'], extra: true });
      assert.equal(malformed.status, 400);
      assert.deepEqual(malformed.body.details?.map((d) => d.field).sort(), ['add.1', 'extra']);

      assert.equal((await events()).length, before);
      assert.deepEqual(await members(groupId), []);
    });

    it("answers 404 for another organisation's group, and refuses another organisation's users as items while the rest applies", async () => {
      const groupId = await newGroup('Bulk scoping');
      const mine = await newUser('scoping-mine');
      const theirs = await newUser('scoping-theirs', otherKey);
      const unknown = randomUUID();
      const before = (await events()).length;

      const foreignGroup = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: [theirs] }, otherKey);
      assert.equal(foreignGroup.status, 404);
      assert.equal(foreignGroup.body.code, 'NOT_FOUND');

      const res = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: [theirs, mine], remove: [unknown] });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.results, [
        { userId: theirs, op: 'add', outcome: 'refused', reason: REFUSED },
        { userId: mine, op: 'add', outcome: 'added' },
        { userId: unknown, op: 'remove', outcome: 'refused', reason: REFUSED },
      ]);
      assert.deepEqual(changes((await events()).slice(before)), [['membership.added', mine, 1]]);
    });
  });

  describe('PUT /v1/user-groups/:id/members', () => {
    it('makes the list exactly the given ids: adds the missing, removes the others, leaves the rest', async () => {
      const groupId = await newGroup('Bulk replace');
      const [stay, leave, join] = [await newUser('put-stay'), await newUser('put-leave'), await newUser('put-join')];
      await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: [stay, leave] });
      const before = (await events()).length;

      const res = await call('PUT', `/v1/user-groups/${groupId}/members`, { userIds: [stay, join] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.results, [
        { userId: stay, op: 'add', outcome: 'unchanged' },
        { userId: join, op: 'add', outcome: 'added' },
        { userId: leave, op: 'remove', outcome: 'removed' },
      ]);
      assert.deepEqual(changes((await events()).slice(before)), [
        ['membership.added', join, 1],
        ['membership.removed', leave, 2],
      ]);
      assert.deepEqual(await members(groupId), [stay, join].sort());

      const repeated = await call('PUT', `/v1/user-groups/${groupId}/members`, { userIds: [join, stay, join] });
      assert.equal(repeated.status, 400);
      assert.deepEqual(repeated.body.details, [{ field: 'userIds.2', message: 'duplicate of userIds.0' }]);
      assert.deepEqual(
        (await call('PUT', `/v1/user-groups/${groupId}/members`, { userIds: [] })).body.results,
        [
          { userId: stay, op: 'remove', outcome: 'removed' },
          { userId: join, op: 'remove', outcome: 'removed' },
        ].sort((x, y) => x.userId.localeCompare(y.userId)),
      );
      assert.deepEqual(await members(groupId), []);
    });
  });

  describe('rpc.directory.membership.bulk.v1', () => {
    let bus: NatsBus;
    beforeAll(async () => {
      bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'bulk-rpc-test' });
    });
    afterAll(async () => {
      await bus.close();
    });
    const refusedWith = (code: string) => (error: unknown) => {
      assert.ok(error instanceof RpcRemoteError, String(error));
      assert.equal(error.code, code, error.message);
      return true;
    };

    it('answers as HTTP does, with the same events, and refuses a wrong key, a foreign group and over 5,000 ids', async () => {
      const groupId = await newGroup('Bulk over NATS');
      const [a, b] = [await newUser('rpc-a'), await newUser('rpc-b')];
      const theirs = await newUser('rpc-theirs', otherKey);
      const before = (await events()).length;
      assert.deepEqual(await bus.request(DirectoryRpc.bulkMembers, { apiKey: BOOTSTRAP, groupId, add: [a, b, theirs] }), {
        groupId,
        results: [
          { userId: a, op: 'add', outcome: 'added' },
          { userId: b, op: 'add', outcome: 'added' },
          { userId: theirs, op: 'add', outcome: 'refused', reason: REFUSED },
        ],
      });
      assert.deepEqual(await bus.request(DirectoryRpc.bulkMembers, { apiKey: BOOTSTRAP, groupId, add: [a], remove: [b] }), {
        groupId,
        results: [
          { userId: a, op: 'add', outcome: 'unchanged' },
          { userId: b, op: 'remove', outcome: 'removed' },
        ],
      });
      assert.deepEqual(changes((await events()).slice(before)), [
        ['membership.added', a, 1],
        ['membership.added', b, 1],
        ['membership.removed', b, 2],
      ]);

      await assert.rejects(
        bus.request(DirectoryRpc.bulkMembers, { apiKey: 'jit_wrong', groupId, add: [a] }),
        refusedWith('UNAUTHENTICATED'),
      );
      await assert.rejects(bus.request(DirectoryRpc.bulkMembers, { apiKey: otherKey, groupId, add: [theirs] }), refusedWith('NOT_FOUND'));
      await assert.rejects(
        bus.request(DirectoryRpc.bulkMembers, { apiKey: BOOTSTRAP, groupId, remove: Array.from({ length: 5001 }, () => randomUUID()) }),
        refusedWith('PAYLOAD_TOO_LARGE'),
      );
      await assert.rejects(
        bus.request(DirectoryRpc.bulkMembers, { apiKey: BOOTSTRAP, groupId, add: [a], remove: [a] }),
        refusedWith('VALIDATION_FAILED'),
      );
      assert.equal((await events()).length, before + 3);
    });

    it('takes 5,000 ids in one request and fits the answer in a NATS message', async () => {
      const groupId = await newGroup('Bulk over NATS, full');
      const ids = Array.from({ length: 5000 }, () => randomUUID());
      const answer = await bus.request(DirectoryRpc.bulkMembers, { apiKey: BOOTSTRAP, groupId, add: ids }, 10_000);
      assert.equal(answer.results.length, 5000);
      assert.deepEqual(new Set(answer.results.map((r) => r.outcome)), new Set(['refused']));
    });
  });
});

/**
 * The freshness contract of the whole batch: 200 only once JetStream stored every event. With
 * NATS down the change is committed and answered 503; the outbox relay delivers it afterwards.
 */
describe('bulk membership while NATS is down (private nats-server)', () => {
  const env = testEnv('bulknats');
  const nats = new PrivateNatsServer();
  let directory: ServiceProcess | undefined;
  let base = '';
  const call = adminClient(() => base, BOOTSTRAP);

  beforeAll(async () => {
    await nats.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    directory = await startService('directory', port, {
      DIRECTORY_PORT: String(port),
      DATABASE_URL: env.databaseUrl,
      NATS_URL: nats.url,
      BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP,
    });
  });

  afterAll(async () => {
    await directory?.stop();
    await nats.destroy();
    await env.cleanup();
  });

  it('answers 503 with the reason, keeps the change, and the relay stores every event once NATS is back', async () => {
    const groupId = String((await call('POST', '/v1/user-groups', { name: 'Bulk outage' })).body.id);
    const ids: string[] = [];
    for (const name of ['outage-a', 'outage-b', 'outage-c']) {
      ids.push(String((await call('POST', '/v1/users', { username: name, email: `${name}@example.com` })).body.id));
    }
    await nats.kill();
    const res = await call('POST', `/v1/user-groups/${groupId}/members/bulk`, { add: ids });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.code, 'EVENT_BUS_UNAVAILABLE');
    assert.match(String(res.body.message), /saved, but the event bus \(NATS\) did not confirm/);
    assert.deepEqual(
      ((await call('GET', `/v1/user-groups/${groupId}/members`)).body.items ?? []).map((m) => m.userId).sort(),
      [...ids].sort(),
    );

    await nats.start();
    await eventually(
      async () => {
        const stored = (await readStream(nats.url, 'DIRECTORY')).filter((e) => e.subject === 'directory.membership.added.v1');
        assert.deepEqual(stored.map((e) => e.payload.userId).sort(), [...ids].sort());
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
  });
});
