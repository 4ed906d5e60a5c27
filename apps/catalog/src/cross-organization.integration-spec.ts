import assert from 'node:assert/strict';
import {
  adminClient,
  bodySchema,
  assertSuccessSchemas,
  fetchOpenApi,
  readStream,
  sweepBadBodies,
  sweepOtherOrganization,
  type OpenApiDocument,
} from '@jit/testing';
import { spMetadataXml, startDirectoryAndCatalog, type DirectoryAndCatalog } from './test-fixtures';

const BOOTSTRAP = 'catalog-cross-org-bootstrap-key-0123';

/** Connector ids are the catalog's own slugs, the same for every organisation: no wall to test there. */
const SHARED_ROUTES = ['GET /v1/connectors/{id}'];

/**
 * The organisation wall and bad input, proven over every route the catalog serves: the routes
 * come from its own OpenAPI document (the same sweeps as the directory's), so a route added later
 * is tried here too, and fails this test until it has a valid body below.
 */
describe('every catalog route: the organisation wall and bad input (real PostgreSQL and NATS)', () => {
  let system: DirectoryAndCatalog;
  let catalog = '';
  const call = adminClient(() => catalog, BOOTSTRAP);
  const directory = (method: string, path: string, body?: unknown, key?: string) =>
    system.call(method, `${system.directory}${path}`, body, key);
  const events = () => readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
  let doc: OpenApiDocument;
  /** Organisation A (the default one, bootstrap key) owns these. */
  const a = { appId: '', groupId: '', userId: '' };
  /** Organisation B. */
  const b = { key: '', appId: '', groupId: '' };

  const application = (name: string) => ({
    connectorId: 'saml2',
    name,
    spEntityId: `https://${name.toLowerCase()}.example.com/saml/metadata`,
    acsUrls: [`https://${name.toLowerCase()}.example.com/saml/acs`],
  });
  const created = async (send: typeof call | typeof directory, path: string, body: unknown, key = BOOTSTRAP) => {
    const res = await send('POST', path, body, key);
    assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  beforeAll(async () => {
    system = await startDirectoryAndCatalog('catcrossorg', BOOTSTRAP);
    catalog = system.catalog;
    a.groupId = String((await created(directory, '/v1/user-groups', { name: 'Engineering' })).id);
    a.appId = String((await created(call, '/v1/applications', application('Alpha'))).id);
    await created(call, `/v1/applications/${a.appId}/user-groups`, { groupId: a.groupId });
    a.userId = String((await created(directory, '/v1/users', { username: 'ada', email: 'ada@example.com' })).id);
    await created(directory, `/v1/user-groups/${a.groupId}/members`, { userId: a.userId });
    b.key = String((await created(directory, '/v1/organizations', { name: 'Other Corp' })).apiKey);
    b.groupId = String((await created(directory, '/v1/user-groups', { name: 'Engineering' }, b.key)).id);
    b.appId = String((await created(call, '/v1/applications', application('Beta'), b.key)).id);
    doc = await fetchOpenApi(catalog);
  });

  afterAll(() => system.stop());

  /** A valid body for each route that takes one, so that only the organisation can make it fail. */
  const bodies: Record<string, () => unknown> = {
    'POST /v1/applications': () => application('Sweep'),
    'POST /v1/applications/from-metadata': () => ({ connectorId: 'saml2', name: 'Sweep', metadataXml: spMetadataXml() }),
    'PATCH /v1/applications/{id}': () => ({ name: 'Renamed by another org' }),
    'POST /v1/applications/{id}/user-groups': () => ({ groupId: a.groupId }),
  };
  const body = (route: string): unknown => bodies[route]?.();
  const fill = (path: string) =>
    path
      .replace('{id}', path.startsWith('/v1/user-groups') ? a.groupId : path.startsWith('/v1/users') ? a.userId : a.appId)
      .replace('{groupId}', a.groupId);

  it('serves its OpenAPI document at /docs-json and a page at /docs, with every route, its parameters and the body schemas', () => {
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(routes.sort(), [
      'DELETE /v1/applications/{id}',
      'DELETE /v1/applications/{id}/user-groups/{groupId}',
      'GET /health',
      'GET /ready',
      'GET /v1/applications',
      'GET /v1/applications/{id}',
      'GET /v1/applications/{id}/jit-readiness',
      'GET /v1/applications/{id}/user-groups',
      'GET /v1/connectors',
      'GET /v1/connectors/{id}',
      'GET /v1/user-groups/{id}/applications',
      'GET /v1/users/{id}/applications',
      'PATCH /v1/applications/{id}',
      'POST /v1/applications',
      'POST /v1/applications/from-metadata',
      'POST /v1/applications/{id}/user-groups',
    ]);
    assert.deepEqual(bodySchema(doc, 'POST /v1/applications')?.required, ['connectorId', 'name']);
    assert.deepEqual(bodySchema(doc, 'POST /v1/applications/{id}/user-groups')?.required, ['groupId']);
    const parameters = (path: string) =>
      ((doc.paths[path]?.get as { parameters?: { name: string; in: string }[] } | undefined)?.parameters ?? []).map(
        (p) => `${p.in}:${p.name}`,
      );
    assert.deepEqual(parameters('/v1/connectors'), ['query:search', 'query:supports', 'query:limit', 'query:offset']);
    assert.deepEqual(parameters('/v1/applications/{id}/jit-readiness'), ['path:id', 'query:limit', 'query:offset']);
  });

  it('documents the JSON answer of every /v1 route (or a 204 without body)', () => {
    assert.ok(assertSuccessSchemas(doc).length >= 14);
  });

  it("answers 404 to another organisation's key on every route that takes an id, and changes nothing", async () => {
    const before = (await events()).length;
    const tried = await sweepOtherOrganization({ doc, call, fill, body, otherKey: b.key, shared: SHARED_ROUTES });
    assert.equal(tried.length, 9, `tried ${tried.join(', ')}`);
    // Mixed ids: B's own application with A's group, and A's application with B's group.
    assert.equal((await call('POST', `/v1/applications/${b.appId}/user-groups`, { groupId: a.groupId }, b.key)).status, 404);
    assert.equal((await call('DELETE', `/v1/applications/${b.appId}/user-groups/${a.groupId}`, undefined, b.key)).status, 404);
    assert.equal((await call('POST', `/v1/applications/${a.appId}/user-groups`, { groupId: b.groupId })).status, 404);
    // The connectors are everyone's.
    const slack = await call('GET', '/v1/connectors/slack', undefined, b.key);
    assert.equal(slack.status, 200);
    assert.deepEqual(slack.body, (await call('GET', '/v1/connectors/slack')).body);

    // Nothing of A changed, and no event was stored.
    assert.equal((await events()).length, before);
    const app = await call('GET', `/v1/applications/${a.appId}`);
    assert.equal(app.body.name, 'Alpha');
    assert.deepEqual((await call('GET', `/v1/applications/${a.appId}/user-groups`)).body.items, [{ groupId: a.groupId }]);
    assert.deepEqual(
      (await call('GET', `/v1/user-groups/${a.groupId}/applications`)).body.items?.map((i) => i.id),
      [a.appId],
    );
  });

  it("lists none of another organisation's applications", async () => {
    assert.deepEqual(
      (await call('GET', '/v1/applications', undefined, b.key)).body.items?.map((i) => i.id),
      [b.appId],
    );
    assert.deepEqual((await call('GET', `/v1/applications/${b.appId}/user-groups`, undefined, b.key)).body, { items: [], total: 0 });
  });

  it('answers every JSON body route 400 naming the field for malformed JSON, non-objects, unknown fields and wrong types, writing nothing', async () => {
    const before = (await events()).length;
    const swept = await sweepBadBodies({ doc, call, fill, body });
    assert.deepEqual(swept.sort(), Object.keys(bodies).sort());
    assert.equal((await events()).length, before, 'no event for any refused body');
    assert.equal((await call('GET', `/v1/applications/${a.appId}`)).body.name, 'Alpha');
  });
});
