import assert from 'node:assert/strict';
import { freePort, readStream, startService, testEnv, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'catalog-test-bootstrap-key-01234';

type Json = Record<string, unknown> & { items?: Record<string, unknown>[]; details?: { field: string; message: string }[] };

describe('catalog admin API (real PostgreSQL and NATS)', () => {
  const env = testEnv('catalog');
  const running: ServiceProcess[] = [];
  let directory = '';
  let catalog = '';
  let groupId = '';

  const call = async (method: string, url: string, body?: unknown, key = BOOTSTRAP) => {
    const res = await fetch(url, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const app = (over: Record<string, unknown> = {}) => ({
    connectorId: 'salesforce',
    name: 'Salesforce',
    spEntityId: 'https://acme.my.salesforce.com',
    acsUrls: ['https://acme.my.salesforce.com?so=00D000000000001'],
    ...over,
  });

  beforeAll(async () => {
    const [dPort, cPort] = [await freePort(), await freePort()];
    const common = { DATABASE_URL: env.databaseUrl, NATS_PREFIX: env.natsPrefix, BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP };
    running.push(await startService('directory', dPort, { ...common, DIRECTORY_PORT: String(dPort) }));
    running.push(await startService('catalog', cPort, { ...common, CATALOG_PORT: String(cPort) }));
    directory = `http://127.0.0.1:${dPort}`;
    catalog = `http://127.0.0.1:${cPort}`;
    groupId = String((await call('POST', `${directory}/v1/user-groups`, { name: 'Sales' })).body.id);
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await env.cleanup();
  });

  it('lists connectors with their supported functionality, searchable and filterable', async () => {
    const all = await call('GET', `${catalog}/v1/connectors`);
    assert.equal(all.status, 200);
    assert.ok((all.body.total as number) >= 4);
    const jit = await call('GET', `${catalog}/v1/connectors?supports=jit&search=sales`);
    assert.deepEqual(
      jit.body.items?.map((c) => c.id),
      ['salesforce'],
    );
    const sf = jit.body.items?.[0] as {
      supportedFunctionality: string[];
      attributes: { spName: string; editable: boolean; required: boolean }[];
    };
    assert.deepEqual(sf.supportedFunctionality, ['SSO', 'JIT Provisioning']);
    assert.ok(sf.attributes.every((a) => a.editable === false));
    assert.deepEqual(
      sf.attributes.filter((a) => a.required).map((a) => a.spName),
      ['User.Username', 'User.Email', 'User.LastName', 'User.ProfileId'],
    );
    assert.equal((await call('GET', `${catalog}/v1/connectors?supports=fax`)).status, 400);
  });

  it('creates an application from a pre-built connector with its JIT attributes pre-populated and on', async () => {
    const res = await call(
      'POST',
      `${catalog}/v1/applications`,
      app({ attributes: [{ spName: 'User.ProfileId', constant: 'Chatter Free User' }] }),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.supportedFunctionality, ['SSO', 'JIT Provisioning']);
    const attrs = res.body.attributes as { spName: string; constant: string | null; enabled: boolean; editable: boolean }[];
    assert.equal(attrs.find((a) => a.spName === 'User.ProfileId')?.constant, 'Chatter Free User');
    assert.ok(attrs.filter((a) => a.spName.startsWith('User.')).every((a) => a.enabled && !a.editable));
    const stored = (await readStream(env.natsUrl, `${env.natsPrefix}_CATALOG`)).filter((e) => e.subject.endsWith('application.created.v1'));
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.payload.applicationId, res.body.id);
  });

  it('refuses unsafe ACS URLs and unknown directory attributes, naming each field', async () => {
    const res = await call(
      'POST',
      `${catalog}/v1/applications`,
      app({
        acsUrls: ['JavaScript:alert(1)', 'http://sp.example.com/acs', 'https://u:p@sp.example.com/acs', 'https://sp.example.com/acs#x'],
        attributes: [{ spName: 'User.Email', source: 'mail' }],
      }),
    );
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body.details?.map((d) => d.field),
      ['acsUrls.0', 'acsUrls.1', 'acsUrls.2', 'acsUrls.3', 'attributes.0.source'],
    );
    assert.match(res.body.details?.[4]?.message ?? '', /valid names: id, username, email/);
    assert.equal((await call('POST', `${catalog}/v1/applications`, app({ connectorId: 'nope' }))).status, 400);
    assert.equal((await call('POST', `${catalog}/v1/applications`, app({ signAssertion: false, signResponse: false }))).status, 400);
  });

  it("binds and unbinds groups idempotently, and lists a group's applications with their labels", async () => {
    const created = await call('POST', `${catalog}/v1/applications`, app({ name: 'Second' }));
    const id = String(created.body.id);
    assert.equal((await call('POST', `${catalog}/v1/applications/${id}/user-groups`, { groupId })).status, 201);
    assert.equal((await call('POST', `${catalog}/v1/applications/${id}/user-groups`, { groupId })).status, 201);
    const listed = await call('GET', `${catalog}/v1/user-groups/${groupId}/applications`);
    assert.deepEqual(
      listed.body.items?.map((a) => [a.id, a.supportedFunctionality]),
      [[id, ['SSO', 'JIT Provisioning']]],
    );
    assert.equal((await call('DELETE', `${catalog}/v1/applications/${id}/user-groups/${groupId}`)).status, 204);
    assert.deepEqual((await call('GET', `${catalog}/v1/user-groups/${groupId}/applications`)).body, { items: [], total: 0 });
    const bindings = (await readStream(env.natsUrl, `${env.natsPrefix}_CATALOG`)).filter(
      (e) => e.payload.applicationId === id && e.subject.includes('group-'),
    );
    assert.deepEqual(
      bindings.map((e) => e.payload.version),
      [1, 2],
    );
    const unknownGroup = await call('POST', `${catalog}/v1/applications/${id}/user-groups`, {
      groupId: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(unknownGroup.status, 404);
  });

  it('keeps organisations apart', async () => {
    const other = String((await call('POST', `${directory}/v1/organizations`, { name: 'Other' })).body.apiKey);
    const mine = await call('GET', `${catalog}/v1/applications`);
    const id = String(mine.body.items?.[0]?.id);
    assert.equal((await call('GET', `${catalog}/v1/applications/${id}`, undefined, other)).status, 404);
    assert.equal((await call('PATCH', `${catalog}/v1/applications/${id}`, { name: 'x' }, other)).status, 404);
    assert.equal((await call('DELETE', `${catalog}/v1/applications/${id}`, undefined, other)).status, 404);
    assert.equal((await call('POST', `${catalog}/v1/applications/${id}/user-groups`, { groupId }, other)).status, 404);
    assert.equal((await call('GET', `${catalog}/v1/user-groups/${groupId}/applications`, undefined, other)).status, 404);
    assert.deepEqual((await call('GET', `${catalog}/v1/applications`, undefined, other)).body, { items: [], total: 0 });
  });
});
