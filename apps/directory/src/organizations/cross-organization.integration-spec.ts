import assert from 'node:assert/strict';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus, RpcRemoteError } from '@jit/messaging';
import {
  adminClient,
  bodySchema,
  assertSuccessSchemas,
  fetchOpenApi,
  readStream,
  startInEnv,
  sweepBadBodies,
  sweepOtherOrganization,
  testEnv,
  type OpenApiDocument,
  type ServiceProcess,
} from '@jit/testing';

const BOOTSTRAP = 'cross-org-test-bootstrap-key-0123';
const PASSWORD = 'a long enough password';

/**
 * The organisation wall, proven over every route the directory serves: the routes come from its
 * own OpenAPI document, so a route added later is tried here too (and fails this test until it
 * has a body below). Another organisation's key gets 404 for each id of this one and changes nothing.
 */
describe('every directory route: the organisation wall and bad input (real PostgreSQL and NATS)', () => {
  const env = testEnv('cross-org');
  let directory: ServiceProcess;
  let base = '';
  const call = adminClient(() => base, BOOTSTRAP);
  const events = () => readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`);
  let doc: OpenApiDocument;
  /** Organisation A (the default one, bootstrap key) owns these. */
  const a = { userId: '', groupId: '', apiKeyId: '', apiKey: '', organizationId: '' };
  /** Organisation B. */
  const b = { key: '', userId: '', groupId: '' };

  beforeAll(async () => {
    directory = await startInEnv('directory', env, BOOTSTRAP);
    base = directory.url;
    const created = async (path: string, body: unknown, key = BOOTSTRAP) => {
      const res = await call('POST', path, body, key);
      assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    a.userId = String((await created('/v1/users', { username: 'ada', email: 'ada@a.example', firstname: 'Ada', password: PASSWORD })).id);
    a.groupId = String((await created('/v1/user-groups', { name: 'Engineering' })).id);
    await created(`/v1/user-groups/${a.groupId}/members`, { userId: a.userId });
    const key = await created('/v1/api-keys', { name: 'ci' });
    a.apiKeyId = String(key.id);
    a.apiKey = String(key.apiKey);
    a.organizationId = String((await events()).find((e) => e.payload.userId === a.userId)?.payload.organizationId);
    b.key = String((await created('/v1/organizations', { name: 'Other Corp' })).apiKey);
    b.userId = String((await created('/v1/users', { username: 'bob', email: 'bob@b.example' }, b.key)).id);
    b.groupId = String((await created('/v1/user-groups', { name: 'Engineering' }, b.key)).id);
    doc = await fetchOpenApi(base);
  });

  afterAll(async () => {
    await directory.stop();
    await env.cleanup();
  });

  /** A valid body for each route that takes one, so that only the organisation can make it fail. */
  const bodies: Record<string, unknown> = {
    'PATCH /v1/users/{id}': { firstname: 'Mallory' },
    'PUT /v1/users/{id}/password': { password: 'taken over by another org' },
    'PUT /v1/users/{id}/admin-role': { role: 'administrator' },
    'POST /v1/users/{id}/password/change': { currentPassword: PASSWORD, newPassword: 'taken over by another org' },
    'PATCH /v1/user-groups/{id}': { name: 'Renamed by another org' },
    'POST /v1/user-groups/{id}/members': { userId: '(a.userId)' },
    'POST /v1/user-groups/{id}/members/bulk': { add: ['(a.userId)'] },
    'PUT /v1/user-groups/{id}/members': { userIds: ['(a.userId)'] },
  };
  /** Valid bodies of the routes without an id, for the bad-input sweep. */
  const createBodies: Record<string, unknown> = {
    'POST /v1/users': { username: 'sweep', email: 'sweep@a.example' },
    'POST /v1/user-groups': { name: 'Sweep' },
    'POST /v1/organizations': { name: 'Sweep Corp' },
    'POST /v1/api-keys': { name: 'sweep' },
    'PATCH /v1/organization': { brandColor: '#0b7285' },
  };
  const bodyFor = (route: string): unknown => {
    const body = bodies[route] ?? createBodies[route];
    return body === undefined ? undefined : JSON.parse(JSON.stringify(body).replace('(a.userId)', a.userId));
  };
  const fill = (path: string) =>
    path
      .replace('{id}', path.startsWith('/v1/api-keys') ? a.apiKeyId : path.startsWith('/v1/users') ? a.userId : a.groupId)
      .replace('{userId}', a.userId);

  it('serves its OpenAPI document at /docs-json and a page at /docs, with every route and the body schemas', () => {
    for (const path of [
      '/v1/users',
      '/v1/users/{id}',
      '/v1/user-groups',
      '/v1/user-groups/{id}/members',
      '/v1/user-groups/{id}/members/{userId}',
      '/v1/organizations',
      '/v1/api-keys',
      '/health',
      '/ready',
    ]) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    assert.deepEqual(bodySchema(doc, 'POST /v1/users')?.required, ['username', 'email']);
  });

  it('documents the JSON answer of every /v1 route (or a 204 without body)', () => {
    assert.ok(assertSuccessSchemas(doc).length >= 27);
  });

  it("answers 404 to another organisation's key on every route that takes an id, and changes nothing", async () => {
    const before = (await events()).length;
    const tried = await sweepOtherOrganization({ doc, call, fill, body: bodyFor, otherKey: b.key });
    assert.ok(tried.length >= 12, `tried ${tried.length} routes: ${tried.join(', ')}`);
    // Mixed ids: B's own group with A's user, and A's group with B's user.
    assert.equal((await call('POST', `/v1/user-groups/${b.groupId}/members`, { userId: a.userId }, b.key)).status, 404);
    assert.equal((await call('POST', `/v1/user-groups/${a.groupId}/members`, { userId: b.userId }, b.key)).status, 404);
    assert.equal((await call('DELETE', `/v1/user-groups/${b.groupId}/members/${a.userId}`, undefined, b.key)).status, 404);

    // Nothing of A changed, and no event was stored.
    assert.equal((await events()).length, before);
    const user = await call('GET', `/v1/users/${a.userId}`);
    assert.equal(user.body.firstname, 'Ada');
    assert.equal(user.body.adminRole, null, 'no role given by another organisation');
    assert.equal((await call('GET', `/v1/user-groups/${a.groupId}`)).body.name, 'Engineering');
    assert.deepEqual((await call('GET', `/v1/user-groups/${a.groupId}/members`)).body.items, [{ userId: a.userId }]);
    assert.equal((await call('GET', '/v1/users', undefined, a.apiKey)).status, 200, "A's API key still works");
  });

  it("lists none of another organisation's rows, and filters by its ids to nothing", async () => {
    const users = await call('GET', '/v1/users', undefined, b.key);
    assert.deepEqual(
      users.body.items?.map((u) => u.username),
      ['bob'],
    );
    assert.deepEqual((await call('GET', `/v1/users?group=${a.groupId}`, undefined, b.key)).body, { items: [], total: 0 });
    assert.deepEqual((await call('GET', `/v1/users?id=${a.userId}`, undefined, b.key)).body, { items: [], total: 0 });
    assert.deepEqual(
      (await call('GET', '/v1/user-groups', undefined, b.key)).body.items?.map((g) => g.id),
      [b.groupId],
    );
    const keys = await call('GET', '/v1/api-keys', undefined, b.key);
    assert.ok(!keys.body.items?.some((k) => k.id === a.apiKeyId));
  });

  it("refuses the membership RPC with another organisation's key for this one's ids", async () => {
    const bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'cross-org-test' });
    try {
      for (const contract of [DirectoryRpc.addMember, DirectoryRpc.removeMember]) {
        await assert.rejects(bus.request(contract, { apiKey: b.key, groupId: a.groupId, userId: a.userId }), (error: unknown) => {
          assert.ok(error instanceof RpcRemoteError, String(error));
          assert.equal(error.code, 'NOT_FOUND');
          return true;
        });
      }
      const answer = await bus.request(DirectoryRpc.getGroup, { organizationId: a.organizationId, groupId: b.groupId });
      assert.deepEqual(answer, { found: false });
    } finally {
      await bus.close();
    }
  });

  it('answers every JSON body route 400 naming the field for malformed JSON, non-objects, unknown fields and wrong types, writing nothing', async () => {
    const before = (await events()).length;
    const swept = await sweepBadBodies({ doc, call, fill, body: bodyFor });
    assert.ok(swept.length >= 9, `swept ${swept.length} routes: ${swept.join(', ')}`);
    assert.equal((await events()).length, before, 'no event for any refused body');
  });
});
