import assert from 'node:assert/strict';
import {
  assertErrorShape,
  bodySchema,
  assertResponsesDocumented,
  documentedOperations,
  fetchOpenApi,
  sweepErrorShapes,
  type OpenApiDocument,
} from '@jit/testing';
import { BOOTSTRAP_KEY, System } from './harness';

/**
 * The routes that answer a person in a browser (the IdP's login page and SAML endpoints, demo-sp's
 * pages): their errors are pages. Everything under /v1, demo-sp's /accounts and the probes are APIs.
 */
const pageRoute = (route: string): boolean => !/^\w+ \/(v1\/|accounts|health|ready)/.test(route);

/**
 * The HTTP edge of every service, as each runs in its own process: what the service kit gives
 * them all (documents, error shape, body-less JSON requests) checked on the real thing.
 */
describe('the HTTP edge of every service', () => {
  const system = new System('httpedge');
  const docs = new Map<string, OpenApiDocument>();
  const bases = () => ({ directory: system.directoryUrl, catalog: system.catalogUrl, idp: system.idpUrl, 'demo-sp': system.demoSpUrl });

  beforeAll(async () => {
    await system.start();
    for (const [name, base] of Object.entries(bases())) docs.set(name, await fetchOpenApi(base));
  });

  afterAll(() => system.stop());

  it("serves /docs and /docs-json on every service, the IdP's admin endpoints included", () => {
    const routes = (name: string) => documentedOperations(docs.get(name) as OpenApiDocument).map((o) => o.route);
    assert.ok(routes('idp').includes('GET /v1/applications/{id}/preview'), routes('idp').join(', '));
    assert.ok(routes('idp').includes('POST /v1/signing-keys/rotation'), routes('idp').join(', '));
    assert.ok(routes('directory').includes('DELETE /v1/user-groups/{id}/members/{userId}'));
    assert.ok(routes('catalog').includes('GET /v1/applications/{id}/jit-readiness'));
    assert.ok(routes('demo-sp').includes('GET /accounts'), routes('demo-sp').join(', '));
    // The IdP validates them with hand-given ZodPipes: their schemas are documented all the same.
    const idp = docs.get('idp') as OpenApiDocument & {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>>;
    };
    assert.deepEqual(idp.paths['/v1/applications/{id}/preview']?.get?.parameters?.map((p) => `${p.in} ${p.name} ${p.required}`).sort(), [
      'path id true',
      'query userId true',
    ]);
    assert.deepEqual(Object.keys(bodySchema(idp, 'POST /v1/signing-keys/rotation')?.properties ?? {}), ['activatesAt']);
  });

  it('documents, for every operation of every service, its success answer and its errors with the one ErrorBody schema', () => {
    for (const [name, doc] of docs) {
      const checked = assertResponsesDocumented(doc);
      assert.ok(checked.length >= 3, `${name}: ${checked.length} operations`);
    }
    const preview = docs.get('idp')?.paths['/v1/applications/{id}/preview']?.get as {
      security?: unknown;
      responses?: Record<string, unknown>;
    };
    assert.deepEqual(preview.security, [{ apiKey: [] }, { adminSession: [] }]);
    assert.deepEqual(Object.keys(preview.responses ?? {}).sort(), ['200', '400', '401', '403', '404', 'default']);
    const health = docs.get('directory')?.paths['/health']?.get as { security?: unknown };
    assert.deepEqual(health.security, [], 'probes need no key');
  });

  it('answers bad input on every route of every service with {statusCode, error, code, message, details?}', async () => {
    for (const [name, base] of Object.entries(bases())) {
      const htmlRoute = name === 'idp' || name === 'demo-sp' ? pageRoute : undefined;
      const checked = await sweepErrorShapes({ base, doc: docs.get(name) as OpenApiDocument, key: BOOTSTRAP_KEY, htmlRoute });
      assert.ok(checked > 0, `${name}: no error answer checked`);
      // What no route documents: an unknown path, a body too large, a content type no route takes.
      const unknown = await fetch(`${base}/v1/no-such-thing`, { headers: { 'x-api-key': BOOTSTRAP_KEY } });
      assertErrorShape(`${name} unknown path`, 404, unknown.headers.get('content-type') ?? '', await unknown.text());
      // Four times the service's limit: refused from its Content-Length, and the rest read and
      // dropped so that the client, still sending, gets the answer (drainRefusedBodies).
      const limit = name === 'directory' ? 1024 * 1024 : 256 * 1024;
      const large = await fetch(`${base}/v1/no-such-thing`, {
        method: 'POST',
        headers: { 'x-api-key': BOOTSTRAP_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ padding: 'x'.repeat(4 * limit) }),
      });
      assertErrorShape(`${name} body too large`, 413, large.headers.get('content-type') ?? '', await large.text());
      const badUrl = await fetch(`${base}/v1/users/%ZZ`, { headers: { 'x-api-key': BOOTSTRAP_KEY } });
      assertErrorShape(
        `${name} a URL that is not valid percent-encoding`,
        badUrl.status,
        badUrl.headers.get('content-type') ?? '',
        await badUrl.text(),
      );
    }
  });

  it('takes a body-less request with a JSON content type as a request without a body, on every route of every service', async () => {
    for (const [name, base] of Object.entries(bases())) {
      for (const { route, method, path } of documentedOperations(docs.get(name) as OpenApiDocument)) {
        if (method === 'GET' || method === 'HEAD') continue;
        const res = await fetch(`${base}${path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')}`, {
          method,
          headers: { 'x-api-key': BOOTSTRAP_KEY, 'content-type': 'application/json' },
          redirect: 'manual',
        });
        const text = await res.text();
        assert.doesNotMatch(text, /Body cannot be empty/, `${name} ${route}`);
      }
    }
    // The README's revoke step: the membership is gone.
    const { userId, groupId } = await system.personWithDemoSpAccess(
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password: 'correct horse battery staple' },
      'Engineering',
    );
    const revoke = await fetch(`${system.directoryUrl}/v1/user-groups/${groupId}/members/${userId}`, {
      method: 'DELETE',
      headers: { 'x-api-key': BOOTSTRAP_KEY, 'content-type': 'application/json' },
    });
    assert.equal(revoke.status, 204, await revoke.text());
    const members = await system.admin<{ items: unknown[] }>(
      'GET',
      `${system.directoryUrl}/v1/user-groups/${groupId}/members`,
      undefined,
      200,
    );
    assert.deepEqual(members.items, []);
  });
});
