import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { adminClient, assertSuccessSchemas, fetchOpenApi, startInEnv, testEnv, type ServiceProcess } from '@jit/testing';
import { SigningKeysList } from './signing-keys.controller';

const BOOTSTRAP = 'idp-signing-keys-bootstrap-key-01234';

describe('GET /v1/signing-keys (real PostgreSQL and NATS, the directory answering for API keys)', () => {
  const env = testEnv('idpsigningkeys');
  const running: ServiceProcess[] = [];
  let idp = '';
  let directory = '';
  const call = adminClient(() => '', BOOTSTRAP);

  beforeAll(async () => {
    running.push(await startInEnv('directory', env, BOOTSTRAP));
    running.push(await startInEnv('idp', env, BOOTSTRAP));
    [directory, idp] = running.map((s) => s.url);
  });

  afterAll(async () => {
    for (const service of running.reverse()) await service.stop();
    await env.cleanup();
  });

  it('documents the JSON answer of every /v1 route (the SAML endpoints and pages answer XML and HTML)', async () => {
    const routes = assertSuccessSchemas(await fetchOpenApi(idp));
    assert.deepEqual(routes.sort(), [
      'DELETE /v1/users/{id}/mfa',
      'DELETE /v1/users/{id}/mfa/lockout',
      'GET /v1/applications/{id}/preview',
      'GET /v1/mfa-policy',
      'GET /v1/signing-keys',
      'GET /v1/users/{id}/mfa',
      'POST /v1/signing-keys/rotation',
      'PUT /v1/mfa-policy',
    ]);
  });

  it('lists the current key, then the one a rotation scheduled, with no private key; each organisation its own', async () => {
    const activatesAt = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const scheduled = await call('POST', `${idp}/v1/signing-keys/rotation`, { activatesAt });
    assert.equal(scheduled.status, 201, JSON.stringify(scheduled.body));
    const res = await call('GET', `${idp}/v1/signing-keys`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const items = SigningKeysList.parse(res.body).items;
    // Exactly the documented fields: a private key (or anything else) would fail the strict parse.
    for (const item of res.body.items ?? []) SigningKeysList.shape.items.element.strict().parse(item);
    assert.deepEqual(
      items.map((k) => k.state),
      ['current', 'next'],
    );
    const [current, next] = items;
    assert.equal(next?.id, scheduled.body.id);
    assert.equal(next?.activatesAt, activatesAt);
    assert.equal(next?.certificatePem, scheduled.body.certificatePem);
    assert.equal(next?.fingerprintSha256, new X509Certificate(String(scheduled.body.certificatePem)).fingerprint256);
    assert.ok(current && current.activatesAt < activatesAt);
    assert.equal(JSON.stringify(res.body).includes('PRIVATE KEY'), false);

    const other = await call('POST', `${directory}/v1/organizations`, { name: 'Other Corp' });
    const mine = new Set(items.map((k) => k.id));
    const theirs = await call('GET', `${idp}/v1/signing-keys`, undefined, String(other.body.apiKey));
    assert.equal(theirs.status, 200);
    const theirItems = SigningKeysList.parse(theirs.body).items;
    assert.deepEqual(
      theirItems.map((k) => k.state),
      ['current'],
    );
    assert.equal(
      theirItems.some((k) => mine.has(k.id)),
      false,
    );
    assert.equal((await call('GET', `${idp}/v1/signing-keys`, undefined, 'jit_wrong')).status, 401);
  });
});
