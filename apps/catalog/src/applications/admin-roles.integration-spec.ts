import assert from 'node:assert/strict';
import { NatsBus } from '@jit/messaging';
import { DirectoryRpc } from '@jit/directory-contracts';
import { hashApiKey } from '@jit/service';
import { eventually, readStream, startInEnv, type AdminResponse, type Json, type ServiceProcess } from '@jit/testing';
import { startDirectoryAndCatalog, type DirectoryAndCatalog } from '../test-fixtures';

const BOOTSTRAP = 'catalog-admin-roles-bootstrap-key-0123';

/**
 * Admin console sessions at the services that ask the directory: the catalog and the IdP refuse
 * what a person's role does not allow, follow a demotion or suspension within a second, and name
 * the person in the events of their changes (directory, catalog and IdP as their own processes,
 * real PostgreSQL and NATS).
 */
describe('admin roles at the catalog and the IdP', () => {
  let system: DirectoryAndCatalog;
  let idp: ServiceProcess;
  let bus: NatsBus;
  const ids: Record<string, string> = {};

  /** A call as a person: their session token in `authorization: Bearer`. */
  const as = async (token: string, method: string, url: string, body?: unknown): Promise<AdminResponse> => {
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const person = async (username: string, role: string): Promise<string> => {
    const created = await system.call('POST', `${system.directory}/v1/users`, { username, email: `${username}@example.com` });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = String(created.body.id);
    assert.equal((await system.call('PUT', `${system.directory}/v1/users/${id}/admin-role`, { role })).status, 200);
    ids[username] = id;
    ids.organization = String(created.body.organizationId);
    return id;
  };
  const tokenOf = async (userId: string): Promise<string> => {
    const answer = await bus.request(DirectoryRpc.openAdminSession, { organizationId: ids.organization, userId }, 5000);
    assert.equal(answer.ok, true, JSON.stringify(answer));
    return answer.ok ? answer.token : '';
  };
  const application = (name: string) => ({
    connectorId: 'saml2',
    name,
    spEntityId: `https://${name.toLowerCase()}.example.com/saml`,
    acsUrls: [`https://${name.toLowerCase()}.example.com/acs`],
  });
  const forbidden = (role: string, what: string) => ({
    status: 403,
    body: { statusCode: 403, error: 'Forbidden', code: 'FORBIDDEN', message: `Your admin role (${role}) may not ${what}` },
  });

  beforeAll(async () => {
    system = await startDirectoryAndCatalog('catadminroles', BOOTSTRAP);
    idp = await startInEnv('idp', system.env, BOOTSTRAP);
    bus = await NatsBus.connect({ servers: system.env.natsUrl, prefix: system.env.natsPrefix, service: 'catalog-admin-roles-test' });
    await person('alice', 'administrator');
    await person('hank', 'help-desk');
    await person('rita', 'read-only');
  });

  afterAll(async () => {
    await bus?.close();
    await idp?.stop();
    await system?.stop();
  });

  it('the catalog: a read-only or help-desk admin reads applications but may not change them; an administrator may, and is named in the event', async () => {
    const rita = await tokenOf(ids.rita);
    const hank = await tokenOf(ids.hank);
    const alice = await tokenOf(ids.alice);
    const apps = `${system.catalog}/v1/applications`;

    assert.equal((await as(rita, 'GET', apps)).status, 200);
    assert.equal((await as(rita, 'GET', `${system.catalog}/v1/connectors`)).status, 200);
    assert.deepEqual(await as(rita, 'POST', apps, application('Refused')), forbidden('read-only', 'change applications'));
    assert.deepEqual(await as(hank, 'POST', apps, application('Refused')), forbidden('help-desk', 'change applications'));

    const created = await as(alice, 'POST', apps, application('Wiki'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids.app = String(created.body.id);
    for (const [token, role] of [
      [rita, 'read-only'],
      [hank, 'help-desk'],
    ]) {
      assert.deepEqual(await as(token, 'PATCH', `${apps}/${ids.app}`, { name: 'Renamed' }), forbidden(role, 'change applications'));
      assert.deepEqual(await as(token, 'DELETE', `${apps}/${ids.app}`), forbidden(role, 'change applications'));
    }
    assert.equal((await as(rita, 'GET', `${apps}/${ids.app}`)).status, 200);

    const stored = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    const event = stored.find((e) => e.subject.endsWith('application.created.v1') && e.payload.applicationId === ids.app);
    assert.deepEqual(event?.payload.actor, { kind: 'person', userId: ids.alice, username: 'alice' });

    // An API key still does everything, and is named by its fingerprint.
    const byKey = await system.call('POST', apps, application('Machine'));
    assert.equal(byKey.status, 201, JSON.stringify(byKey.body));
    const again = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    assert.deepEqual(
      again.find((e) => e.subject.endsWith('application.created.v1') && e.payload.applicationId === byKey.body.id)?.payload.actor,
      {
        kind: 'api-key',
        fingerprint: hashApiKey(BOOTSTRAP).slice(0, 12),
      },
    );
  });

  it('the IdP: a read-only admin previews a sign-in but may not rotate signing keys; an administrator may', async () => {
    const rita = await tokenOf(ids.rita);
    const hank = await tokenOf(ids.hank);
    const alice = await tokenOf(ids.alice);
    const preview = `${idp.url}/v1/applications/${ids.app}/preview?userId=${ids.rita}`;
    await eventually(async () => assert.equal((await as(rita, 'GET', preview)).status, 200), { timeoutMs: 10_000 });
    const rotation = `${idp.url}/v1/signing-keys/rotation`;
    assert.deepEqual(await as(rita, 'POST', rotation, {}), forbidden('read-only', 'rotate signing keys'));
    assert.deepEqual(await as(hank, 'POST', rotation, {}), forbidden('help-desk', 'rotate signing keys'));
    const rotated = await as(alice, 'POST', rotation, {});
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    assert.equal((await as('jits_not-a-session', 'GET', preview)).status, 401);
  });

  it('the IdP’s MFA: help desk resets and unlocks a person’s second step but may not set the policy, nor touch an admin’s; read-only reads both; the reset names who made it', async () => {
    const rita = await tokenOf(ids.rita);
    const hank = await tokenOf(ids.hank);
    const alice = await tokenOf(ids.alice);
    const created = await system.call('POST', `${system.directory}/v1/users`, { username: 'paul', email: 'paul@example.com' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const paul = String(created.body.id);
    const policy = `${idp.url}/v1/mfa-policy`;
    const factors = `${idp.url}/v1/users/${paul}/mfa`;
    assert.deepEqual(await as(rita, 'GET', policy), { status: 200, body: { policy: 'off' } });
    assert.deepEqual(await as(rita, 'GET', factors), { status: 200, body: { factors: [], recoveryCodesLeft: 0, lockedUntil: null } });
    assert.deepEqual(await as(rita, 'DELETE', factors), forbidden('read-only', 'unlock accounts or reset passwords'));
    assert.deepEqual(await as(rita, 'DELETE', `${factors}/lockout`), forbidden('read-only', 'unlock accounts or reset passwords'));
    assert.deepEqual(await as(hank, 'PUT', policy, { policy: 'required' }), forbidden('help-desk', 'do this'));
    assert.deepEqual(await as(alice, 'PUT', policy, { policy: 'optional' }), { status: 200, body: { policy: 'optional' } });
    // An admin's account is an administrator's to change, as at the directory.
    const adminAccount = forbidden('help-desk', 'change the account of an admin (administrator): ask an administrator');
    assert.deepEqual(await as(hank, 'DELETE', `${idp.url}/v1/users/${ids.alice}/mfa`), adminAccount);
    assert.deepEqual(await as(hank, 'DELETE', `${idp.url}/v1/users/${ids.alice}/mfa/lockout`), adminAccount);
    // Once the IdP knows paul; an id it does not know as the organisation's is not theirs to unlock.
    await eventually(async () => assert.equal((await as(hank, 'DELETE', `${factors}/lockout`)).status, 204), { timeoutMs: 5000 });
    assert.equal((await as(hank, 'DELETE', `${idp.url}/v1/users/00000000-0000-4000-8000-000000000000/mfa/lockout`)).status, 404);
    assert.equal((await as(alice, 'DELETE', `${idp.url}/v1/users/${ids.hank}/mfa/lockout`)).status, 204);
    const reset = await as(hank, 'DELETE', factors);
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    await eventually(async () => {
      const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`);
      const event = events.find((e) => e.subject.endsWith('idp.mfa.reset.v1') && e.payload.userId === paul);
      assert.deepEqual(event?.payload.actor, { kind: 'person', userId: ids.hank, username: 'hank' });
    });
  });

  it('a demoted or suspended administrator loses their rights at the catalog and the IdP within a second', async () => {
    const id = await person('dora', 'administrator');
    const dora = await tokenOf(id);
    const apps = `${system.catalog}/v1/applications`;
    assert.equal((await as(dora, 'POST', apps, application('Before'))).status, 201);
    const preview = `${idp.url}/v1/applications/${ids.app}/preview?userId=${id}`;
    await eventually(async () => assert.equal((await as(dora, 'GET', preview)).status, 200), { timeoutMs: 10_000 });

    assert.equal((await system.call('PUT', `${system.directory}/v1/users/${id}/admin-role`, { role: 'read-only' })).status, 200);
    await eventually(
      async () => assert.deepEqual(await as(dora, 'POST', apps, application('After')), forbidden('read-only', 'change applications')),
      {
        timeoutMs: 1000,
      },
    );
    assert.deepEqual(await as(dora, 'POST', `${idp.url}/v1/signing-keys/rotation`, {}), forbidden('read-only', 'rotate signing keys'));

    assert.equal((await system.call('PATCH', `${system.directory}/v1/users/${id}`, { state: 'SUSPENDED' })).status, 200);
    await eventually(async () => assert.equal((await as(dora, 'GET', apps)).status, 401), { timeoutMs: 1000 });
    await eventually(async () => assert.equal((await as(dora, 'GET', preview)).status, 401), {
      timeoutMs: 1000,
    });
  });
});
