import assert from 'node:assert/strict';
import { DirectoryRpc, STANDARD_USER_ATTRIBUTES } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { readStream, startInEnv, testEnv, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'users-test-bootstrap-key-0123456789';

type Json = Record<string, unknown> & { items?: Record<string, unknown>[]; details?: { field: string; message: string }[] };

describe('directory users API: attributes, filters, passwords, groups, CSV import (real PostgreSQL and NATS)', () => {
  const env = testEnv('users');
  let directory: ServiceProcess;
  let bus: NatsBus;
  let base = '';
  let organizationId = '';
  let otherKey = '';

  const send = async (method: string, path: string, body?: string, contentType?: string, key = BOOTSTRAP) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    });
    const text = await res.text();
    return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const call = (method: string, path: string, body?: unknown, key = BOOTSTRAP) =>
    body === undefined
      ? send(method, path, undefined, undefined, key)
      : send(method, path, typeof body === 'string' ? body : JSON.stringify(body), 'application/json', key);
  const importCsv = (content: string, key = BOOTSTRAP, contentType = 'text/csv') =>
    send('POST', '/v1/users/import', content, contentType, key);
  const events = () => readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`);
  const createUser = async (body: Record<string, unknown>, key = BOOTSTRAP) => {
    const res = await call('POST', '/v1/users', body, key);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as Json & { id: string; username: string };
  };
  const usernames = async (query: string, key = BOOTSTRAP) => {
    const res = await call('GET', `/v1/users?${query}`, undefined, key);
    assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.total, res.body.items?.length, `${query}: total matches one page`);
    return res.body.items?.map((u) => u.username);
  };
  const verify = (username: string, password: string) =>
    bus.request(DirectoryRpc.verifyCredentials, { organizationId, username, password }, 5000);
  const fieldsOf = (body: Json) => [...new Set((body.details ?? []).map((d) => d.field))].sort();

  beforeAll(async () => {
    directory = await startInEnv('directory', env, BOOTSTRAP);
    base = directory.url;
    const org = await call('POST', '/v1/organizations', { name: 'Other Corp' });
    assert.equal(org.status, 201);
    otherKey = String(org.body.apiKey);
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'users-test' });
  });

  afterAll(async () => {
    await bus?.close();
    await directory?.stop();
    await env.cleanup();
  });

  describe('GET /v1/user-attributes', () => {
    it('lists the standard attributes and the custom names in use in the caller organisation only, sorted', async () => {
      const empty = await call('GET', '/v1/user-attributes');
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { standard: [...STANDARD_USER_ATTRIBUTES], custom: [] });

      const first = await createUser({ username: 'attr1', email: 'attr1@example.com', customAttributes: { zone: 'a', Badge: '1' } });
      organizationId = String(first.organizationId);
      await createUser({ username: 'attr2', email: 'attr2@example.com', customAttributes: { zone: 'b', 'cost.unit': '' } });
      await createUser({ username: 'attr3', email: 'attr3@example.com', customAttributes: { otherOrgOnly: 'x' } }, otherKey);

      const res = await call('GET', '/v1/user-attributes');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { standard: [...STANDARD_USER_ATTRIBUTES], custom: ['Badge', 'cost.unit', 'zone'] });
      const other = await call('GET', '/v1/user-attributes', undefined, otherKey);
      assert.deepEqual(other.body.custom, ['otherOrgOnly']);
      assert.equal((await call('GET', '/v1/user-attributes', undefined, 'jit_wrong')).status, 401);
    });
  });

  describe('GET /v1/users filters and sort', () => {
    // Every query below also filters on company=ListCo, which only these three users have.
    const ids: Record<string, string> = {};
    let groupId = '';

    beforeAll(async () => {
      const common = { company: 'ListCo' };
      ids.ada = (
        await createUser({
          ...common,
          username: 'Ada',
          email: 'Ada@Example.com',
          firstname: 'Ada',
          lastname: 'lovelace',
          department: 'R&D',
          costCenter: 'CC-1',
          customAttributes: { team: 'engines', site: 'London' },
        })
      ).id;
      ids.bob = (
        await createUser({
          ...common,
          username: 'bob',
          email: 'bob@example.com',
          firstname: 'bob',
          lastname: 'Babbage',
          department: 'Sales',
          state: 'SUSPENDED',
          customAttributes: { team: 'Engines' },
        })
      ).id;
      ids.cy = (
        await createUser({
          ...common,
          username: 'Cy',
          email: 'cy@example.com',
          lastname: 'Zuse',
          department: 'R&D',
          state: 'STAGED',
          customAttributes: { team: 'engines' },
        })
      ).id;
      const group = await call('POST', '/v1/user-groups', { name: 'Analysts' });
      assert.equal(group.status, 201);
      groupId = String(group.body.id);
      for (const id of [ids.ada, ids.bob])
        assert.equal((await call('POST', `/v1/user-groups/${groupId}/members`, { userId: id })).status, 201);
      assert.equal((await call('DELETE', `/v1/user-groups/${groupId}/members/${ids.bob}`)).status, 204);
    });

    it('filters email and username case-insensitively but exactly', async () => {
      assert.deepEqual(await usernames('company=ListCo'), ['Ada', 'bob', 'Cy']);
      assert.deepEqual(await usernames('email=ADA%40example.COM'), ['Ada']);
      assert.deepEqual(await usernames('email=ada%40example'), []);
      assert.deepEqual(await usernames('username=ADA'), ['Ada']);
      assert.deepEqual(await usernames('username=Ad'), []);
    });

    it('filters by state, by standard attributes and by custom attributes with exact, case-sensitive values', async () => {
      assert.deepEqual(await usernames('company=ListCo&state=SUSPENDED'), ['bob']);
      assert.deepEqual(await usernames('company=ListCo&state=ACTIVATED'), ['Ada']);
      assert.deepEqual(await usernames('company=ListCo&department=R%26D'), ['Ada', 'Cy']);
      assert.deepEqual(await usernames('company=ListCo&department=r%26d'), []);
      assert.deepEqual(await usernames('company=ListCo&department=R'), []);
      assert.deepEqual(await usernames('costCenter=CC-1'), ['Ada'], 'a camel-case attribute maps to its column');
      assert.deepEqual(await usernames(`id=${ids.cy}`), ['Cy']);
      assert.deepEqual(await usernames('company=ListCo&custom.team=engines'), ['Ada', 'Cy']);
      assert.deepEqual(await usernames('company=ListCo&custom.team=engines&custom.site=London'), ['Ada']);
      assert.deepEqual(await usernames('company=ListCo&custom.team=engine'), []);
      assert.deepEqual(await usernames('company=ListCo&custom.nothere=x'), []);
      // Values are bound parameters, never SQL.
      assert.deepEqual(await usernames(`company=${encodeURIComponent("ListCo' OR '1'='1")}`), []);
      assert.deepEqual(await usernames(`custom.team=${encodeURIComponent('engines"}\' OR true --')}`), []);
    });

    it('filters by active group membership; a group of another organisation gives an empty list', async () => {
      assert.deepEqual(await usernames(`group=${groupId}`), ['Ada'], 'bob was removed: inactive membership');
      assert.deepEqual(await usernames(`group=${groupId}&state=SUSPENDED`), []);
      assert.deepEqual(await usernames('group=00000000-0000-4000-8000-000000000000'), []);
      const foreign = await call('POST', '/v1/user-groups', { name: 'Foreign' }, otherKey);
      const foreignUser = await createUser({ username: 'foreigner', email: 'foreigner@example.com' }, otherKey);
      assert.equal(
        (await call('POST', `/v1/user-groups/${String(foreign.body.id)}/members`, { userId: foreignUser.id }, otherKey)).status,
        201,
      );
      assert.deepEqual((await call('GET', `/v1/users?group=${String(foreign.body.id)}`)).body, { items: [], total: 0 });
      assert.deepEqual((await call('GET', `/v1/users?group=${groupId}`, undefined, otherKey)).body, { items: [], total: 0 });
      assert.deepEqual(await usernames('company=ListCo', otherKey), []);
    });

    it('sorts ascending and descending by each field, text ignoring case, missing values last, ties by creation', async () => {
      assert.deepEqual(await usernames('company=ListCo&sort=username'), ['Ada', 'bob', 'Cy']);
      assert.deepEqual(await usernames('company=ListCo&sort=-username'), ['Cy', 'bob', 'Ada']);
      assert.deepEqual(await usernames('company=ListCo&sort=email'), ['Ada', 'bob', 'Cy']);
      assert.deepEqual(await usernames('company=ListCo&sort=-email'), ['Cy', 'bob', 'Ada']);
      assert.deepEqual(await usernames('company=ListCo&sort=firstname'), ['Ada', 'bob', 'Cy']);
      assert.deepEqual(await usernames('company=ListCo&sort=-firstname'), ['bob', 'Ada', 'Cy']);
      assert.deepEqual(await usernames('company=ListCo&sort=lastname'), ['bob', 'Ada', 'Cy']);
      assert.deepEqual(await usernames('company=ListCo&sort=-lastname'), ['Cy', 'Ada', 'bob']);
      assert.deepEqual(await usernames('company=ListCo&sort=createdAt'), ['Ada', 'bob', 'Cy']);
      assert.deepEqual(await usernames('company=ListCo&sort=-createdAt'), ['Cy', 'bob', 'Ada']);
      assert.deepEqual(await usernames('company=ListCo&sort=state'), ['Ada', 'Cy', 'bob']);
      assert.deepEqual(await usernames('company=ListCo&sort=-state'), ['bob', 'Cy', 'Ada']);
      assert.equal((await call('PATCH', `/v1/users/${ids.ada}`, { jobTitle: 'Analyst' })).status, 200);
      assert.deepEqual(await usernames('company=ListCo&sort=updatedAt'), ['bob', 'Cy', 'Ada']);
      assert.deepEqual(await usernames('company=ListCo&sort=-updatedAt'), ['Ada', 'Cy', 'bob']);
    });

    it('pages a filtered, sorted list with the total of all matches', async () => {
      const page = await call('GET', '/v1/users?company=ListCo&sort=-username&limit=1&offset=1');
      assert.equal(page.status, 200);
      assert.equal(page.body.total, 3);
      assert.deepEqual(
        page.body.items?.map((u) => u.username),
        ['bob'],
      );
      assert.equal(JSON.stringify(page.body).includes('password'), false);
      assert.equal(JSON.stringify(page.body).includes('Lower'), false);
    });

    it('searches words as prefixes of username, email, first and last name, ignoring case, within the caller organisation', async () => {
      await createUser(
        { username: 'ada', email: 'ada@other.example', firstname: 'Ada', lastname: 'Lovelace', company: 'ListCo' },
        otherKey,
      );
      await createUser({ username: 'alan', email: 'turing@example.com', firstname: 'Alan', lastname: 'Turing', company: 'ListCo' });
      const search = (text: string, more = '', key = BOOTSTRAP) =>
        usernames(`search=${encodeURIComponent(text)}&company=ListCo${more}`, key);
      assert.deepEqual(await search('ada'), ['Ada'], "another organisation's Ada never appears");
      assert.deepEqual(await search('a'), ['Ada', 'alan']);
      assert.deepEqual(await search('tur'), ['alan'], 'by last name and by email, once');
      assert.deepEqual(await search('ADA', '', otherKey), ['ada']);
      assert.deepEqual(await search('LOVE'), ['Ada'], 'last name, ignoring case');
      assert.deepEqual(await search('Ada Lovelace'), ['Ada'], 'first and last name');
      assert.deepEqual(await search('  lovelace   ada '), ['Ada'], 'words in any order, extra spaces ignored');
      assert.deepEqual(await search('ada babbage'), [], 'every word must match');
      assert.deepEqual(await search('bob@'), ['bob'], 'email');
      assert.deepEqual(await search('example.com'), [], 'a prefix, not a substring');
      assert.deepEqual(await search('c'), ['Cy']);
      assert.deepEqual(await search('b', '&state=SUSPENDED'), ['bob'], 'with the other filters');
      assert.deepEqual(await search('b', '&state=ACTIVATED'), []);
      assert.deepEqual(await search('a', '&sort=-username'), ['alan', 'Ada'], 'sorted');
      // LIKE's wildcards are literal characters here.
      assert.deepEqual(await search('%'), []);
      assert.deepEqual(await search('_da'), []);
      const page = await call('GET', '/v1/users?search=a&company=ListCo&limit=1');
      assert.equal(page.body.total, 2);
      assert.equal(page.body.items?.length, 1);
      const blank = await call('GET', '/v1/users?search=%20%20');
      assert.equal(blank.status, 400);
      assert.deepEqual(fieldsOf(blank.body), ['search']);
      assert.equal((await call('GET', `/v1/users?search=${'a '.repeat(9)}`)).status, 400);
    });

    it('answers unknown or invalid parameters with 400 naming each one and listing the allowed names', async () => {
      const res = await call('GET', '/v1/users?foo=1&Email=x&custom.9x=y&state=DELETED&group=nope&sort=name&id=12&limit=0');
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.code, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(res.body), ['Email', 'custom.9x', 'foo', 'group', 'id', 'limit', 'sort', 'state']);
      const allowed = [
        'limit',
        'offset',
        'sort',
        'state',
        'adminRole',
        'group',
        'search',
        ...STANDARD_USER_ATTRIBUTES,
        'custom.<name>',
      ].join(', ');
      const foo = res.body.details?.find((d) => d.field === 'foo');
      assert.deepEqual(foo, { field: 'foo', message: `unknown query parameter; allowed: ${allowed}` });
      assert.match(
        String(res.body.details?.find((d) => d.field === 'sort')?.message),
        /username, email, firstname, lastname, createdAt, updatedAt, state/,
      );

      const repeated = await call('GET', '/v1/users?email=a%40x.io&email=b%40x.io');
      assert.equal(repeated.status, 400);
      assert.deepEqual(fieldsOf(repeated.body), ['email']);
      const empty = await call('GET', '/v1/users?department=&custom.team=');
      assert.equal(empty.status, 400);
      assert.deepEqual(fieldsOf(empty.body), ['custom.team', 'department']);
      const long = await call('GET', `/v1/users?department=${'x'.repeat(2049)}`);
      assert.equal(long.status, 400);
      assert.deepEqual(fieldsOf(long.body), ['department']);
    });
  });

  describe('passwords', () => {
    let pat = '';
    let nopass = '';

    beforeAll(async () => {
      pat = (await createUser({ username: 'pat', email: 'pat@example.com', password: 'first-password-1' })).id;
      nopass = (await createUser({ username: 'nopass', email: 'nopass@example.com' })).id;
    });

    it('resets a password (204, no event, no hash): the old one then fails and the new one works', async () => {
      assert.deepEqual(await verify('pat', 'first-password-1'), { ok: true, userId: pat });
      const before = await events();
      const versionBefore = (await call('GET', `/v1/users/${pat}`)).body.version;

      const res = await call('PUT', `/v1/users/${pat}/password`, { password: 'second-password-2' });
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      assert.equal((await events()).length, before.length, 'a password change emits no event');
      assert.equal((await call('GET', `/v1/users/${pat}`)).body.version, versionBefore);

      assert.deepEqual(await verify('pat', 'first-password-1'), { ok: false, reason: 'invalid_credentials' });
      assert.deepEqual(await verify('pat', 'second-password-2'), { ok: true, userId: pat });
      // An administrator can also give a first password to a user who had none.
      assert.equal((await call('PUT', `/v1/users/${nopass}/password`, { password: 'given-by-admin' })).status, 204);
      assert.deepEqual(await verify('nopass', 'given-by-admin'), { ok: true, userId: nopass });
    });

    it('changes a password only with the current one', async () => {
      const before = (await events()).length;
      const wrong = await call('POST', `/v1/users/${pat}/password/change`, {
        currentPassword: 'first-password-1',
        newPassword: 'third-password-3',
      });
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.body, {
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: 'The current password does not match',
        details: [{ field: 'currentPassword', message: 'does not match' }],
      });
      const right = await call('POST', `/v1/users/${pat}/password/change`, {
        currentPassword: 'second-password-2',
        newPassword: 'third-password-3',
      });
      assert.equal(right.status, 204);
      assert.equal(right.text, '');
      assert.equal((await events()).length, before, 'no event for a failed or a successful change');

      assert.deepEqual(await verify('pat', 'second-password-2'), { ok: false, reason: 'invalid_credentials' });
      assert.deepEqual(await verify('pat', 'third-password-3'), { ok: true, userId: pat });
      const noPassword = await createUser({ username: 'nopass2', email: 'nopass2@example.com' });
      const none = await call('POST', `/v1/users/${noPassword.id}/password/change`, {
        currentPassword: 'anything-at-all',
        newPassword: 'fourth-password-4',
      });
      assert.equal(none.status, 400);
      assert.deepEqual(none.body.details, [{ field: 'currentPassword', message: 'does not match' }]);
    });

    it('never lets a password or its hash into an event', async () => {
      const stream = JSON.stringify(await events());
      for (const secret of ['first-password-1', 'second-password-2', 'third-password-3', 'given-by-admin', 'argon2']) {
        assert.equal(stream.includes(secret), false, secret);
      }
    });

    it('validates password bodies and keeps organisations apart', async () => {
      const cases: [string, string, unknown, string[]][] = [
        ['PUT', 'password', { password: 'short' }, ['password']],
        ['PUT', 'password', { password: 'x'.repeat(1025) }, ['password']],
        ['PUT', 'password', { password: 12345678 }, ['password']],
        ['PUT', 'password', { password: 'long-enough-1', passwordHash: 'x' }, ['passwordHash']],
        ['PUT', 'password', {}, ['password']],
        ['POST', 'password/change', { currentPassword: '', newPassword: 'short' }, ['currentPassword', 'newPassword']],
        ['POST', 'password/change', { newPassword: 'long-enough-1' }, ['currentPassword']],
      ];
      for (const [method, path, body, fields] of cases) {
        const res = await call(method, `/v1/users/${pat}/${path}`, body);
        assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
        assert.deepEqual(fieldsOf(res.body), [...fields].sort(), `${method} ${path} ${JSON.stringify(body)}`);
      }
      assert.deepEqual(await verify('pat', 'third-password-3'), { ok: true, userId: pat }, 'nothing changed');

      const foreign = await call('PUT', `/v1/users/${pat}/password`, { password: 'taken-over-1' }, otherKey);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, 'NOT_FOUND');
      const foreignChange = await call(
        'POST',
        `/v1/users/${pat}/password/change`,
        { currentPassword: 'third-password-3', newPassword: 'taken-over-1' },
        otherKey,
      );
      assert.equal(foreignChange.status, 404);
      assert.equal(
        (await call('PUT', '/v1/users/00000000-0000-4000-8000-000000000000/password', { password: 'long-enough-1' })).status,
        404,
      );
      assert.equal((await call('PUT', '/v1/users/not-a-uuid/password', { password: 'long-enough-1' })).status, 400);
      assert.deepEqual(await verify('pat', 'third-password-3'), { ok: true, userId: pat });
    });
  });

  describe('GET /v1/users/:id/groups', () => {
    it('lists the active groups of a user by name; 404 for unknown and foreign users', async () => {
      const user = await createUser({ username: 'grouped', email: 'grouped@example.com' });
      const groups: Record<string, string> = {};
      for (const name of ['zeta', 'Alpha', 'mid', 'left']) {
        const g = await call('POST', '/v1/user-groups', { name });
        groups[name] = String(g.body.id);
        assert.equal((await call('POST', `/v1/user-groups/${groups[name]}/members`, { userId: user.id })).status, 201);
      }
      assert.equal((await call('DELETE', `/v1/user-groups/${groups.left}/members/${user.id}`)).status, 204);
      const res = await call('GET', `/v1/users/${user.id}/groups`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        items: [
          { id: groups.Alpha, name: 'Alpha' },
          { id: groups.mid, name: 'mid' },
          { id: groups.zeta, name: 'zeta' },
        ],
        total: 3,
      });
      const lonely = await createUser({ username: 'lonely', email: 'lonely@example.com' });
      assert.deepEqual((await call('GET', `/v1/users/${lonely.id}/groups`)).body, { items: [], total: 0 });
      const foreign = await call('GET', `/v1/users/${user.id}/groups`, undefined, otherKey);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, 'NOT_FOUND');
      assert.equal((await call('GET', '/v1/users/00000000-0000-4000-8000-000000000000/groups')).status, 404);
      assert.equal((await call('GET', '/v1/users/nope/groups')).status, 400);
    });
  });

  describe('POST /v1/users/import (text/csv)', () => {
    const userCount = async () => Number((await call('GET', '/v1/users?limit=1')).body.total);

    // Rows run a few at a time; row 1 (slow: it hashes a password) must still beat its duplicate, row 3.
    it('creates the good rows, each with its own event, and reports every bad row by number and field', async () => {
      const existing = await createUser({ username: 'existing', email: 'existing@example.com' });
      const before = (await events()).length;
      const csv = [
        'username,email,firstname,displayname,department,state,password,custom.team',
        'imp1,imp1@example.com,Ida,"Doe, Ida",R&D,STAGED,imported-pass-1,blue',
        'imp2,not-an-email,,,,,,',
        'IMP1,other@example.com,,,,,,',
        'imp3,EXISTING@example.com,,,,,,',
        'imp4,imp4@example.com,,,,DELETED,,',
        'imp5,imp5@example.com,,,,,,',
        'imp6,imp6@example.com,too,few',
        `imp7,imp7@example.com,,,,,,${'v'.repeat(2049)}`,
        'imp8,imp8@example.com,,,,,short,',
        '"imp 9",imp9@example.com,,"multi',
        'line",,,,',
        'imp10,IMP5@example.com,,,,,,',
      ].join('\r\n');
      const res = await importCsv(`${csv}\r\n`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const rows = res.body.rows as { row: number; status: string; id?: string; errors?: unknown }[];
      const created = rows.filter((r) => r.status === 'created');
      assert.deepEqual(
        rows.map((r) => (r.status === 'created' ? { row: r.row, status: r.status } : r)),
        [
          { row: 1, status: 'created' },
          { row: 2, status: 'failed', errors: [{ field: 'email', message: 'Invalid email address' }] },
          { row: 3, status: 'failed', errors: [{ field: 'username', message: 'already taken' }] },
          { row: 4, status: 'failed', errors: [{ field: 'email', message: 'already taken' }] },
          {
            row: 5,
            status: 'failed',
            errors: [{ field: 'state', message: 'Invalid option: expected one of "STAGED"|"ACTIVATED"|"SUSPENDED"' }],
          },
          { row: 6, status: 'created' },
          { row: 7, status: 'failed', errors: [{ field: '(row)', message: 'has 4 fields; the header has 8' }] },
          { row: 8, status: 'failed', errors: [{ field: 'custom.team', message: 'Too big: expected string to have <=2048 characters' }] },
          { row: 9, status: 'failed', errors: [{ field: 'password', message: 'at least 8 characters' }] },
          { row: 10, status: 'failed', errors: [{ field: 'username', message: 'no white space' }] },
          { row: 11, status: 'failed', errors: [{ field: 'email', message: 'already taken' }] },
        ],
      );
      assert.equal(res.body.created, 2);
      assert.equal(res.body.failed, 9);

      const added = (await events()).slice(before);
      // Rows run concurrently, so their events may come in any order.
      assert.deepEqual(
        added.map((e) => `${e.subject} ${String(e.payload.userId)}`).sort(),
        created.map((r) => `${env.natsPrefix}.directory.user.created.v1 ${String(r.id)}`).sort(),
        'exactly one created event per created row, nothing for failed rows',
      );
      assert.equal(JSON.stringify(added).includes('imported-pass-1'), false);
      const ida = await call('GET', `/v1/users/${String(created[0]?.id)}`);
      assert.equal(ida.body.organizationId, organizationId);
      assert.equal(ida.body.displayname, 'Doe, Ida');
      assert.equal(ida.body.department, 'R&D');
      assert.equal(ida.body.state, 'STAGED');
      assert.deepEqual(ida.body.customAttributes, { team: 'blue' });
      const five = await call('GET', `/v1/users/${String(created[1]?.id)}`);
      assert.equal(five.body.firstname, null, 'an empty cell is "not given", not ""');
      assert.equal(five.body.state, 'ACTIVATED');
      assert.deepEqual(five.body.customAttributes, {});
      // The imported password is argon2-hashed like any other.
      assert.deepEqual(await verify('imp1', 'imported-pass-1'), { ok: false, reason: 'not_active', state: 'STAGED' });
      assert.equal((await call('GET', `/v1/users/${existing.id}`)).body.version, 1, 'the existing user is untouched');
    });

    it('accepts a BOM, a charset parameter and LF line ends; imports into the caller organisation only', async () => {
      const res = await importCsv('\uFEFFemail,username\nbom@example.com,bom\n', otherKey, 'text/csv; charset=utf-8');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.created, 1);
      assert.deepEqual(await usernames('username=bom', otherKey), ['bom']);
      assert.deepEqual(await usernames('username=bom'), []);
    });

    it('refuses a bad header, bad CSV or a wrong content type with 4xx before writing anything', async () => {
      const beforeEvents = (await events()).length;
      const beforeUsers = await userCount();
      const allowed =
        'allowed: username, email, firstname, lastname, displayname, employeeIdentifier, jobTitle, department, costCenter, company, employeeType, location, phoneNumber, manager, state, password, custom.<name>';

      const unknown = await importCsv('username,email,nickname,Department\nx1,x1@example.com,X,Y\n');
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.code, 'VALIDATION_FAILED');
      assert.deepEqual(unknown.body.details, [
        { field: 'nickname', message: `unknown column; ${allowed}` },
        { field: 'Department', message: `unknown column; ${allowed}` },
      ]);
      const header = await importCsv('username,username,custom.9lives,firstname\nx2,x2,x,y\n');
      assert.equal(header.status, 400);
      assert.deepEqual(header.body.details, [
        { field: 'username', message: 'appears more than once' },
        { field: 'custom.9lives', message: 'custom attribute names start with a letter; letters, digits, _ . - only' },
        { field: 'email', message: 'required column is missing' },
      ]);
      const malformed = await importCsv('username,email\n"x3,x3@example.com\n');
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.code, 'VALIDATION_FAILED');
      assert.match(String(malformed.body.message), /^The file is not valid CSV: /);
      const empty = await importCsv('');
      assert.equal(empty.status, 400);
      assert.deepEqual(empty.body.details, [{ field: '(header)', message: 'missing' }]);

      const json = await call('POST', '/v1/users/import', { username: 'x4', email: 'x4@example.com' });
      assert.equal(json.status, 415);
      assert.equal(json.body.code, 'HTTP_415');
      const plain = await importCsv('username,email\nx5,x5@example.com\n', BOOTSTRAP, 'application/octet-stream');
      assert.equal(plain.status, 415);
      assert.equal(plain.body.statusCode, 415);
      assert.equal((await importCsv('username,email\nx6,x6@example.com\n', 'jit_wrong')).status, 401);

      assert.equal((await events()).length, beforeEvents);
      assert.equal(await userCount(), beforeUsers);
    });

    it('takes 5,000 rows and refuses 5,001 rows or more than 2 MiB with 413 and a reason, writing nothing', async () => {
      const beforeEvents = (await events()).length;
      const beforeUsers = await userCount();
      // Invalid emails: the rows are parsed and checked but cost no writes.
      const rows = (n: number) => ['username,email', ...Array.from({ length: n }, (_, i) => `cap${i},invalid-${i}`)].join('\n');
      const max = await importCsv(rows(5000));
      assert.equal(max.status, 200);
      assert.deepEqual([max.body.created, max.body.failed, (max.body.rows as unknown[]).length], [0, 5000, 5000]);

      const tooMany = await importCsv(rows(5001));
      assert.equal(tooMany.status, 413);
      assert.deepEqual(tooMany.body, {
        statusCode: 413,
        error: 'Payload Too Large',
        code: 'PAYLOAD_TOO_LARGE',
        message: 'An import may have at most 5000 rows; this file has 5001. Split it into several files.',
      });

      const big = `username,email,displayname\nbig,big@example.com,${'x'.repeat(2 * 1024 * 1024)}\n`;
      const tooBig = await importCsv(big);
      assert.equal(tooBig.status, 413);
      assert.deepEqual(Object.keys(tooBig.body).sort(), ['code', 'error', 'message', 'statusCode']);
      assert.equal(tooBig.body.statusCode, 413);
      assert.equal(tooBig.body.error, 'Payload Too Large');
      assert.equal(tooBig.body.code, 'HTTP_413');
      assert.match(String(tooBig.body.message), /too large/i);

      // Just under the byte limit is parsed (and fails per row: displayname is too long).
      const justUnder = `username,email,displayname\nbig,big@example.com,${'x'.repeat(2 * 1024 * 1024 - 60)}\n`;
      const under = await importCsv(justUnder);
      assert.equal(under.status, 200);
      assert.deepEqual(under.body.rows, [
        { row: 1, status: 'failed', errors: [{ field: 'displayname', message: 'Too big: expected string to have <=256 characters' }] },
      ]);

      assert.equal((await events()).length, beforeEvents);
      assert.equal(await userCount(), beforeUsers);
    });
  });

  describe("a login name names one user: no username is another user's email", () => {
    const conflict = (res: { status: number; body: Json }, field: string) => {
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.code, 'CONFLICT');
      assert.deepEqual(res.body.details, [{ field, message: `already another user's ${field === 'username' ? 'email' : 'username'}` }]);
    };

    it('refuses on create, either way round and ignoring case, and allows a user whose own username is their email', async () => {
      await createUser({ username: 'login-a', email: 'login-a@example.com' });
      conflict(await call('POST', '/v1/users', { username: 'LOGIN-A@example.com', email: 'someone@example.com' }), 'username');
      const dotted = await createUser({ username: 'login.b@example.com', email: 'login.b-mail@example.com' });
      conflict(await call('POST', '/v1/users', { username: 'login-c', email: 'Login.B@example.com' }), 'email');
      await createUser({ username: 'self@example.com', email: 'SELF@example.com' });
      assert.deepEqual(await usernames(`email=${encodeURIComponent('someone@example.com')}`), []);
      assert.equal(dotted.username, 'login.b@example.com');
      // Within one organisation only: another organisation may have both.
      await createUser({ username: 'login-a@example.com', email: 'login.b@example.com' }, otherKey);
    });

    it('refuses on PATCH, writing nothing', async () => {
      const user = await createUser({ username: 'login-d', email: 'login-d@example.com' });
      const beforeEvents = (await events()).length;
      conflict(await call('PATCH', `/v1/users/${user.id}`, { username: 'login-a@example.com' }), 'username');
      conflict(await call('PATCH', `/v1/users/${user.id}`, { email: 'LOGIN.B@example.com' }), 'email');
      assert.equal((await events()).length, beforeEvents);
      const after = (await call('GET', `/v1/users/${user.id}`)).body;
      assert.deepEqual([after.username, after.email, after.version], ['login-d', 'login-d@example.com', 1]);
      // Its own email as its username is fine.
      assert.equal((await call('PATCH', `/v1/users/${user.id}`, { username: 'login-d@example.com' })).status, 200);
    });

    it('refuses in a CSV import, against existing users and against an earlier row', async () => {
      const csv = [
        'username,email',
        'login-a@example.com,x1@example.com',
        'login-e@corp.example,login-e@example.com',
        'login-f,LOGIN-E@corp.example',
        '',
      ].join('\n');
      const res = await importCsv(csv);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        (res.body.rows as { row: number; status: string; errors?: unknown }[]).map((r) => [r.row, r.status, r.errors]),
        [
          [1, 'failed', [{ field: 'username', message: "already another user's email" }]],
          [2, 'created', undefined],
          [3, 'failed', [{ field: 'email', message: "already another user's username" }]],
        ],
      );
    });
  });

  describe('a NUL character or a lone surrogate is not text: 400 naming the field, never a 500', () => {
    const NOT_TEXT = 'contains U+0000 (NUL) or an unpaired UTF-16 surrogate, which is not text';
    const refused = (res: { status: number; body: Json }, fields: string[]) => {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.code, 'VALIDATION_FAILED');
      assert.deepEqual(
        res.body.details,
        fields.map((field) => ({ field, message: NOT_TEXT })),
      );
    };

    it('in a created user, each field named, nothing written', async () => {
      const total = Number((await call('GET', '/v1/users?limit=1')).body.total);
      refused(await call('POST', '/v1/users', { username: 'nul-1', email: 'nul-1@example.com', firstname: 'a\u0000b' }), ['firstname']);
      refused(await call('POST', '/v1/users', { username: 'nul-2', email: 'nul-2@example.com', lastname: 'x\ud800' }), ['lastname']);
      refused(await call('POST', '/v1/users', { username: '\udc00nul', email: 'nul-3@example.com', jobTitle: '\u0000' }), [
        'jobTitle',
        'username',
      ]);
      refused(await call('POST', '/v1/users', { username: 'nul-4', email: 'nul-4@example.com', customAttributes: { team: 'a\u0000' } }), [
        'customAttributes.team',
      ]);
      refused(await call('POST', '/v1/users', { username: 'nul-5', email: 'nul-5@example.com', customAttributes: { 't\u0000': 'a' } }), [
        'customAttributes',
      ]);
      // A well-formed pair (an emoji) is text.
      await createUser({ username: 'emoji', email: 'emoji@example.com', firstname: 'Ada \ud83d\ude80' });
      assert.equal(Number((await call('GET', '/v1/users?limit=1')).body.total), total + 1);
    });

    it('in a PATCH and a query', async () => {
      const user = await createUser({ username: 'nul-patch', email: 'nul-patch@example.com' });
      refused(await call('PATCH', `/v1/users/${user.id}`, { department: 'R\u0000D' }), ['department']);
      refused(await call('PATCH', `/v1/users/${user.id}`, { email: '\udbff@example.com' }), ['email']);
      assert.equal((await call('GET', `/v1/users/${user.id}`)).body.version, 1);
      refused(await call('GET', '/v1/users?department=R%00D'), ['department']);
    });

    it('in a CSV import: the row fails with its column named, the others land', async () => {
      const res = await importCsv(
        [
          'username,email,firstname,custom.team',
          'nul-csv-1,nul-csv-1@example.com,a\u0000b,',
          'nul-csv-2,nul-csv-2@example.com,,x\u0000',
          'nul-csv-3,nul-csv-3@example.com,ok,',
          '',
        ].join('\n'),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        (res.body.rows as { row: number; status: string; errors?: unknown }[]).map((r) => [r.row, r.status, r.errors]),
        [
          [1, 'failed', [{ field: 'firstname', message: NOT_TEXT }]],
          [2, 'failed', [{ field: 'custom.team', message: NOT_TEXT }]],
          [3, 'created', undefined],
        ],
      );
    });
  });

  describe('PATCH /v1/users/:id: the sweep of bad input', () => {
    it('answers each bad body with 400 naming every bad field, and writes nothing', async () => {
      const target = await createUser({ username: 'sweep', email: 'sweep@example.com', firstname: 'Sweep' });
      const path = `/v1/users/${target.id}`;
      const beforeUser = (await call('GET', path)).body;
      const beforeEvents = (await events()).length;
      const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v']));
      const cases: [unknown, string[]][] = [
        [{ foo: 1, version: 9, passwordHash: 'x', id: target.id }, ['foo', 'id', 'passwordHash', 'version']],
        [{ firstname: 5, state: 1, customAttributes: 'x', email: null }, ['customAttributes', 'email', 'firstname', 'state']],
        [{ customAttributes: { a: 1, '9bad': 'v' } }, ['customAttributes.9bad', 'customAttributes.a']],
        [
          {
            firstname: 'x'.repeat(257),
            phoneNumber: '1'.repeat(65),
            username: 'u'.repeat(257),
            email: `${'e'.repeat(320)}@example.com`,
            customAttributes: { a: 'v'.repeat(2049) },
          },
          ['customAttributes.a', 'email', 'firstname', 'phoneNumber', 'username'],
        ],
        [{ customAttributes: many }, ['customAttributes']],
        [{ email: 'not-an-email' }, ['email']],
        [{ email: 'two@@example.com', username: 'has space', password: 'short' }, ['email', 'password', 'username']],
        [{ state: 'DELETED', lastname: ['x'] }, ['lastname', 'state']],
        [{}, ['(body)']],
        [[], ['(body)']],
        ['"a string"', ['(body)']],
        ['null', ['(body)']],
      ];
      for (const [body, fields] of cases) {
        const res = await call('PATCH', path, body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(res.body), [...fields].sort(), JSON.stringify(res.body));
      }
      for (const raw of ['{"firstname":', '{firstname: "x"}', '']) {
        const res = await send('PATCH', path, raw, 'application/json');
        assert.equal(res.status, 400, `${raw} → ${res.text}`);
        assert.equal(res.body.code, 'VALIDATION_FAILED');
        assert.equal(res.text.includes('    at '), false, 'no stack trace');
      }
      // Over the directory's 1 MiB body limit (sized for bulk membership calls).
      const huge = await call('PATCH', path, { firstname: 'x'.repeat(1100 * 1024) });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.code, 'HTTP_413');
      assert.equal((await call('PATCH', path, { firstname: 'ok' }, otherKey)).status, 404);

      assert.equal((await events()).length, beforeEvents, 'no event for any refused change');
      assert.deepEqual((await call('GET', path)).body, beforeUser, 'the user is unchanged');
    });
  });
});
