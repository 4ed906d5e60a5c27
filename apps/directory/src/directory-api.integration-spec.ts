import assert from 'node:assert/strict';
import { readStream, startInEnv, testEnv, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'directory-test-bootstrap-key-0123';

describe('directory admin API (real PostgreSQL and NATS)', () => {
  const env = testEnv('directory');
  let directory: ServiceProcess;
  let base = '';

  const call = async (method: string, path: string, body?: unknown, key = BOOTSTRAP) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> & { items?: Record<string, unknown>[] } };
  };
  const events = () => readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`);

  beforeAll(async () => {
    directory = await startInEnv('directory', env, BOOTSTRAP);
    base = directory.url;
  });

  afterAll(async () => {
    await directory.stop();
    await env.cleanup();
  });

  it('creates a user with an argon2id password that never appears in the answer or the event', async () => {
    const created = await call('POST', '/v1/users', {
      username: 'grace',
      email: 'Grace@Example.com',
      firstname: 'Grace',
      lastname: 'Hopper',
      password: 'cobol-forever',
      department: 'Navy',
      customAttributes: { profileId: 'P-1' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.state, 'ACTIVATED');
    assert.equal(created.body.customAttributes && (created.body.customAttributes as Record<string, string>).profileId, 'P-1');
    assert.equal(JSON.stringify(created.body).includes('password'), false);
    const stored = (await events()).filter((e) => e.subject.endsWith('directory.user.created.v1'));
    assert.equal(stored.length, 1);
    assert.equal((stored[0]?.payload.user as Record<string, unknown>).department, 'Navy');
    assert.equal(JSON.stringify(stored[0]?.payload).includes('cobol'), false);
    assert.equal(JSON.stringify(stored[0]?.payload).includes('argon2'), false);
  });

  it('answers each invalid body with 400 and names every bad field, writing nothing', async () => {
    const before = (await events()).length;
    const cases: [unknown, string[]][] = [
      [{ username: 'x' }, ['email']],
      [{ username: 'a b', email: 'not-an-email', extra: 1 }, ['username', 'email', 'extra']],
      [{ username: 'ok', email: 'ok@example.com', state: 'DELETED' }, ['state']],
      [{ username: 'ok', email: 'ok@example.com', password: 'short' }, ['password']],
      [{ username: 'ok', email: 'ok@example.com', firstname: 'x'.repeat(300) }, ['firstname']],
      [{ username: 'ok', email: 'ok@example.com', customAttributes: { '9bad': 'v' } }, ['customAttributes.9bad']],
    ];
    for (const [body, fields] of cases) {
      const res = await call('POST', '/v1/users', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.code, 'VALIDATION_FAILED');
      assert.deepEqual((res.body.details as { field: string }[]).map((d) => d.field).sort(), [...fields].sort());
    }
    const malformed = await call('POST', '/v1/users', '{"username":');
    assert.equal(malformed.status, 400);
    assert.equal(JSON.stringify(malformed.body).includes('at '), false, 'no stack trace');
    assert.equal((await events()).length, before);
  });

  it('refuses a duplicate email case-insensitively with 409', async () => {
    const res = await call('POST', '/v1/users', { username: 'grace2', email: 'grace@example.COM' });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body.details, [{ field: 'email', message: 'already taken' }]);
  });

  it('adds and removes members idempotently, one versioned event per real change', async () => {
    const user = await call('POST', '/v1/users', { username: 'alan', email: 'alan@example.com' });
    const group = await call('POST', '/v1/user-groups', { name: 'Codebreakers' });
    assert.equal(group.status, 201);
    const path = `/v1/user-groups/${String(group.body.id)}/members`;
    assert.equal((await call('POST', path, { userId: user.body.id })).status, 201);
    assert.equal((await call('POST', path, { userId: user.body.id })).status, 201);
    assert.equal((await call('DELETE', `${path}/${String(user.body.id)}`)).status, 204);
    assert.equal((await call('POST', path, { userId: user.body.id })).status, 201);
    const membership = (await events()).filter((e) => e.subject.includes('.membership.') && e.payload.userId === user.body.id);
    assert.deepEqual(
      membership.map((e) => [e.subject.split('.').slice(-3, -1).join('.'), e.payload.version]),
      [
        ['membership.added', 1],
        ['membership.removed', 2],
        ['membership.added', 3],
      ],
    );
    const members = await call('GET', path);
    assert.deepEqual(members.body, { items: [{ userId: user.body.id }], total: 1 });
    assert.equal((await call('POST', path, { userId: '00000000-0000-4000-8000-000000000000' })).status, 404);
  });

  it('lists with limit and offset', async () => {
    const page = await call('GET', '/v1/users?limit=1&offset=1');
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 2);
    assert.equal(page.body.items?.length, 1);
    assert.equal(page.body.items?.[0]?.username, 'alan');
    assert.equal((await call('GET', '/v1/users?limit=0')).status, 400);
  });

  it('keeps organisations apart: another organisation sees 404 for every id of this one', async () => {
    const org = await call('POST', '/v1/organizations', { name: 'Other Corp' });
    assert.equal(org.status, 201);
    const otherKey = String(org.body.apiKey);
    assert.match(otherKey, /^jit_/);
    const mine = await call('GET', '/v1/users');
    const userId = String(mine.body.items?.[0]?.id);
    const groups = await call('GET', '/v1/user-groups');
    const groupId = String(groups.body.items?.[0]?.id);
    assert.equal((await call('GET', `/v1/users/${userId}`, undefined, otherKey)).status, 404);
    assert.equal((await call('PATCH', `/v1/users/${userId}`, { firstname: 'x' }, otherKey)).status, 404);
    assert.equal((await call('DELETE', `/v1/users/${userId}`, undefined, otherKey)).status, 404);
    assert.equal((await call('GET', `/v1/user-groups/${groupId}`, undefined, otherKey)).status, 404);
    assert.equal((await call('POST', `/v1/user-groups/${groupId}/members`, { userId }, otherKey)).status, 404);
    assert.equal((await call('DELETE', `/v1/user-groups/${groupId}/members/${userId}`, undefined, otherKey)).status, 404);
    assert.deepEqual((await call('GET', '/v1/users', undefined, otherKey)).body, { items: [], total: 0 });
    assert.equal(
      (await call('POST', '/v1/organizations', { name: 'x' }, otherKey)).status,
      403,
      'only the bootstrap key creates organisations',
    );
    assert.equal((await call('GET', '/v1/users', undefined, 'jit_wrong')).status, 401);
  });

  it('patches a user, bumping the version; a state change has its own subject naming what changed', async () => {
    const list = await call('GET', '/v1/users');
    const grace = list.body.items?.find((u) => u.username === 'grace');
    const res = await call('PATCH', `/v1/users/${String(grace?.id)}`, { lastname: 'Murray Hopper', state: 'SUSPENDED' });
    assert.equal(res.status, 200);
    assert.equal(res.body.version, 2);
    const changed = (await events()).filter((e) => e.payload.userId === grace?.id).at(-1);
    assert.equal(changed?.subject, `${env.natsPrefix}.directory.user.state-changed.v1`);
    assert.deepEqual(changed?.payload.changedAttributes, ['lastname', 'state']);
    assert.equal(changed?.payload.previousState, 'ACTIVATED');
    assert.equal((changed?.payload.user as { state: string }).state, 'SUSPENDED');
  });
});
