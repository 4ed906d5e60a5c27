import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Browser } from '@jit/testing';
import { System, signIn } from './harness';

/**
 * SECURITY.md: a consumer that finds the stream trimmed past what it applied resyncs from a
 * snapshot, then tails. The revoke's event never reaches the IdP (it was down, and the stream lost
 * the event meanwhile); the IdP must still refuse once it is back, from the directory's snapshot.
 */
describe('IdP restart after its streams were trimmed: no assertion from what the stream lost', () => {
  const system = new System('resync');
  const password = 'correct horse battery staple';
  let appId = '';
  let retiredAppId = '';
  let groupId = '';
  let linId = '';
  let maxId = '';
  const dir = system.admin.bind(system);
  const purge = async (stream: 'DIRECTORY' | 'CATALOG') => {
    const nc = await connect({ servers: system.env.natsUrl });
    try {
      await (await jetstreamManager(nc)).streams.purge(`${system.env.natsPrefix}_${stream}`);
    } finally {
      await nc.close();
    }
  };
  const user = async (username: string) =>
    (
      await dir<{ id: string }>(
        'POST',
        `${system.directoryUrl}/v1/users`,
        { username, email: `${username}@example.com`, firstname: username, lastname: 'Yu', password },
        201,
      )
    ).id;
  const application = async (name: string) =>
    (
      await dir<{ id: string }>(
        'POST',
        `${system.catalogUrl}/v1/applications`,
        {
          connectorId: 'demo-sp',
          name,
          spEntityId: `${system.demoSpUrl}/saml/metadata`,
          acsUrls: [`${system.demoSpUrl}/saml/acs`],
        },
        201,
      )
    ).id;

  beforeAll(async () => {
    await system.start();
    linId = await user('lin');
    maxId = await user('max');
    groupId = (await dir<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'Ops' }, 201)).id;
    for (const userId of [linId, maxId]) await dir('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);
    appId = await application('Demo SP');
    retiredAppId = await application('Retired SP');
    for (const app of [appId, retiredAppId]) await dir('POST', `${system.catalogUrl}/v1/applications/${app}/user-groups`, { groupId }, 201);
    assert.equal((await signIn(system, new Browser(), appId, 'lin', password)).outcome, 'signed-in');
    assert.equal((await signIn(system, new Browser(), retiredAppId, 'max', password)).outcome, 'signed-in');
  });

  afterAll(() => system.stop());

  it('refuses a user whose membership was removed while the IdP was away and whose events were trimmed', async () => {
    await system.stopOne('idp');
    await dir('DELETE', `${system.directoryUrl}/v1/user-groups/${groupId}/members/${linId}`, undefined, 204);
    await dir('DELETE', `${system.catalogUrl}/v1/applications/${retiredAppId}`, undefined, 204);
    await purge('DIRECTORY');
    await purge('CATALOG');
    // startOne waits for /ready: the IdP answers only once both snapshots are applied.
    await system.startOne('idp');

    const refused = await signIn(system, new Browser(), appId, 'lin', password);
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.outcome === 'refused' && refused.status, 403);
    assert.equal((await signIn(system, new Browser(), appId, 'max', password)).outcome, 'signed-in', 'the member who stayed');
    const metadata = await fetch(`${system.idpUrl}/saml2/${retiredAppId}/metadata`);
    assert.equal(metadata.status, 404, 'the application deleted while the IdP was away');
  });

  it('tails the streams again afterwards: a new membership takes effect at once', async () => {
    await dir('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId: linId }, 201);
    assert.equal((await signIn(system, new Browser(), appId, 'lin', password)).outcome, 'signed-in');
  });
});
