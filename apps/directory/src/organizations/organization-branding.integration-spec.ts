import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DirectoryRpc, DirectorySnapshot } from '@jit/directory-contracts';
import { NatsBus, readSnapshot } from '@jit/messaging';
import { adminClient, readStream, startInEnv, testEnv, type AdminResponse, type Json, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'org-branding-test-bootstrap-key-0123';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LOGO = 'https://cdn.example.com/acme/logo.svg';
const BOOTSTRAP_ACTOR = { kind: 'api-key', fingerprint: createHash('sha256').update(BOOTSTRAP).digest('hex').slice(0, 12) };

/**
 * GET and PATCH /v1/organization: what the sign-in pages show of the caller's organisation, the
 * checks on a logo URL and a brand colour, who may change them, the organisation wall, and the
 * created/updated events the IdP's read model is fed by (real PostgreSQL and NATS).
 */
describe('the organisation’s sign-in page settings at the directory (real PostgreSQL and NATS)', () => {
  const env = testEnv('orgbranding');
  let directory: ServiceProcess;
  let bus: NatsBus;
  let organizationId = '';
  let otherKey = '';
  let otherId = '';
  const call = adminClient(() => directory.url, BOOTSTRAP);
  const as = async (token: string, method: string, body?: unknown): Promise<AdminResponse> => {
    const res = await fetch(`${directory.url}/v1/organization`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const organizationEvents = async () =>
    (await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`)).filter((e) => e.subject.includes('.directory.organization.'));
  const ids: Record<string, string> = {};
  const personWithRole = async (username: string, role: string): Promise<string> => {
    const res = await call('POST', '/v1/users', { username, email: `${username}@example.com`, firstname: username, lastname: 'Test' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = String(res.body.id);
    ids[username] = id;
    assert.equal((await call('PUT', `/v1/users/${id}/admin-role`, { role })).status, 200);
    const opened = await bus.request(DirectoryRpc.openAdminSession, { organizationId, userId: id }, 5000);
    assert.equal(opened.ok, true, JSON.stringify(opened));
    return opened.ok ? opened.token : '';
  };

  beforeAll(async () => {
    directory = await startInEnv('directory', env, BOOTSTRAP, { LOG_LEVEL: 'info' });
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'org-branding-test' });
    const other = await call('POST', '/v1/organizations', { name: 'Other Corp' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    otherKey = String(other.body.apiKey);
    otherId = String(other.body.id);
  });

  afterAll(async () => {
    await bus?.close();
    await directory?.stop();
    await env.cleanup();
  });

  it('shows the organisation as it is: a name, no logo, no colour; each organisation was announced when created', async () => {
    const res = await call('GET', '/v1/organization');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    organizationId = String(res.body.id);
    assert.deepEqual(res.body, { id: organizationId, name: 'Default organisation', logoUrl: null, brandColor: null });
    const created = (await organizationEvents()).map((e) => [
      e.subject,
      { ...e.payload, occurredAt: ISO.test(String(e.payload.occurredAt)) },
    ]);
    // The default organisation is made at start (no actor); the other by the bootstrap key's call.
    assert.deepEqual(created, [
      [
        `${env.natsPrefix}.directory.organization.created.v1`,
        { organizationId, version: 1, name: 'Default organisation', logoUrl: null, brandColor: null, occurredAt: true },
      ],
      [
        `${env.natsPrefix}.directory.organization.created.v1`,
        {
          organizationId: otherId,
          version: 1,
          name: 'Other Corp',
          logoUrl: null,
          brandColor: null,
          occurredAt: true,
          actor: BOOTSTRAP_ACTOR,
        },
      ],
    ]);
  });

  it('sets the name, logo and colour (a colour in capitals is stored lowercase), with an event naming what changed and who', async () => {
    const res = await call('PATCH', '/v1/organization', { name: '  Acme Corp ', logoUrl: LOGO, brandColor: '#0B7285' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { id: organizationId, name: 'Acme Corp', logoUrl: LOGO, brandColor: '#0b7285' });
    assert.deepEqual((await call('GET', '/v1/organization')).body, res.body);
    const updated = (await organizationEvents()).filter((e) => e.subject.endsWith('.updated.v1'));
    assert.equal(updated.length, 1);
    assert.deepEqual(
      { ...updated[0].payload, occurredAt: ISO.test(String(updated[0].payload.occurredAt)) },
      {
        organizationId,
        version: 2,
        name: 'Acme Corp',
        logoUrl: LOGO,
        brandColor: '#0b7285',
        changedFields: ['name', 'logoUrl', 'brandColor'],
        occurredAt: true,
        actor: BOOTSTRAP_ACTOR,
      },
    );
  });

  it('changes only what is sent; the same values again change nothing and emit nothing; null clears', async () => {
    assert.equal((await call('PATCH', '/v1/organization', { name: 'Acme Corp', brandColor: '#0b7285' })).status, 200);
    assert.equal((await organizationEvents()).filter((e) => e.subject.endsWith('.updated.v1')).length, 1);
    const cleared = await call('PATCH', '/v1/organization', { logoUrl: null });
    assert.deepEqual(cleared.body, { id: organizationId, name: 'Acme Corp', logoUrl: null, brandColor: '#0b7285' });
    const last = (await organizationEvents()).at(-1)!;
    assert.equal(last.payload.version, 3);
    assert.deepEqual(last.payload.changedFields, ['logoUrl']);
    assert.equal((await call('PATCH', '/v1/organization', { logoUrl: LOGO })).status, 200);
  });

  it('refuses what the sign-in page could not show safely, saying why beside each field', async () => {
    const refused = async (body: unknown, field: string, message: RegExp) => {
      const res = await call('PATCH', '/v1/organization', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.code, 'VALIDATION_FAILED');
      const problem = res.body.details?.find((d) => d.field === field);
      assert.ok(problem, `no problem for ${field}: ${JSON.stringify(res.body)}`);
      assert.match(problem.message, message);
    };
    await refused({ logoUrl: 'http://cdn.example.com/logo.png' }, 'logoUrl', /must start with https:, not http:/);
    await refused({ logoUrl: 'javascript:alert(1)' }, 'logoUrl', /must start with https:, not javascript:/);
    await refused({ logoUrl: 'JavaScript:alert(1)' }, 'logoUrl', /must start with https:, not javascript:/);
    await refused({ logoUrl: 'data:image/svg+xml,<svg/>' }, 'logoUrl', /must start with https:, not data:/);
    await refused({ logoUrl: '/logo.png' }, 'logoUrl', /not a valid absolute URL/);
    await refused({ logoUrl: 'https://user:pw@cdn.example.com/logo.png' }, 'logoUrl', /user name or password/);
    await refused({ logoUrl: 'https://cdn.example.com/logo.png#x' }, 'logoUrl', /fragment/);
    await refused({ logoUrl: "https://cdn.example.com/a b'.png" }, 'logoUrl', /canonical form/);
    await refused({ logoUrl: `https://cdn.example.com/${'a'.repeat(2048)}` }, 'logoUrl', /longer than 2048/);
    await refused({ brandColor: 'red' }, 'brandColor', /#rrggbb/);
    await refused({ brandColor: '#fff' }, 'brandColor', /#rrggbb/);
    await refused({ name: '   ' }, 'name', /must not be empty/);
    await refused({ name: 'x'.repeat(201) }, 'name', /200/);
    const empty = await call('PATCH', '/v1/organization', {});
    assert.equal(empty.status, 400);
    assert.match(JSON.stringify(empty.body), /Send at least one of name, logoUrl and brandColor/);
    const unknown = await call('PATCH', '/v1/organization', { favicon: 'x' });
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(unknown.body), /favicon/);
    // Nothing refused was stored or announced.
    assert.deepEqual((await call('GET', '/v1/organization')).body, {
      id: organizationId,
      name: 'Acme Corp',
      logoUrl: LOGO,
      brandColor: '#0b7285',
    });
    assert.equal((await organizationEvents()).at(-1)!.payload.version, 4);
  });

  it('lets an administrator change it; a help-desk or read-only admin may read it and is refused a change (403)', async () => {
    const admin = await personWithRole('ada', 'administrator');
    const helpDesk = await personWithRole('hal', 'help-desk');
    const readOnly = await personWithRole('rita', 'read-only');
    for (const [token, role] of [
      [helpDesk, 'help-desk'],
      [readOnly, 'read-only'],
    ] as const) {
      assert.equal((await as(token, 'GET')).status, 200);
      const res = await as(token, 'PATCH', { brandColor: '#000000' });
      assert.equal(res.status, 403);
      assert.equal(res.body.message, `Your admin role (${role}) may not change the organisation's settings`);
    }
    const res = await as(admin, 'PATCH', { brandColor: '#5c2d91' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const last = (await organizationEvents()).at(-1)!;
    assert.equal(last.payload.brandColor, '#5c2d91');
    assert.deepEqual(last.payload.actor, { kind: 'person', userId: ids.ada, username: 'ada' });
  });

  it("keeps organisations apart: another organisation's key reads and changes only its own", async () => {
    const other = await call('GET', '/v1/organization', undefined, otherKey);
    assert.deepEqual(other.body, { id: otherId, name: 'Other Corp', logoUrl: null, brandColor: null });
    const changed = await call('PATCH', '/v1/organization', { name: 'Other Corp Ltd', brandColor: '#111111' }, otherKey);
    assert.equal(changed.status, 200);
    assert.deepEqual((await call('GET', '/v1/organization')).body, {
      id: organizationId,
      name: 'Acme Corp',
      logoUrl: LOGO,
      brandColor: '#5c2d91',
    });
    assert.equal((await call('GET', '/v1/organization', undefined, 'jit_not-a-key')).status, 401);
  });

  it("lists every organisation in the directory's snapshot with its latest version", async () => {
    const items = [];
    for await (const item of readSnapshot(bus, DirectorySnapshot.organizations)) items.push(item);
    const byId = new Map(items.map((i) => [i.organizationId, i]));
    assert.deepEqual(byId.get(organizationId), {
      organizationId,
      version: 5,
      name: 'Acme Corp',
      logoUrl: LOGO,
      brandColor: '#5c2d91',
    });
    assert.deepEqual(byId.get(otherId), {
      organizationId: otherId,
      version: 2,
      name: 'Other Corp Ltd',
      logoUrl: null,
      brandColor: '#111111',
    });
  });
});
