import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Browser, DOCUMENTED_NATS_PASSWORDS as PASSWORDS, PrivateNatsServer, documentedNatsConfig, eventually } from '@jit/testing';
import { System, signIn } from './harness';

/**
 * The whole system on a NATS server that knows only the users of docs/nats-permissions.md: each
 * service connects as its own user with its own inbox prefix. A sign-in, a revoke that takes
 * effect at the very next sign-in, the account in demo-sp and a resync from the snapshots prove
 * every service has what it needs, and the server's log shows it refused none of them. That it
 * refuses what a user may not do is the directory's integration spec.
 */
describe('every service as its own NATS user (docs/nats-permissions.md)', () => {
  const nats = new PrivateNatsServer(documentedNatsConfig());
  const user = (name: 'directory' | 'catalog' | 'idp', password: string) => ({
    NATS_USER: name,
    NATS_PASSWORD: password,
    NATS_INBOX_PREFIX: `_INBOX_${name}`,
  });
  let system: System;
  const browser = new Browser();
  const password = 'correct horse battery staple';

  beforeAll(async () => {
    await nats.start();
    // The doc's subjects are unprefixed; this server is the test's own, so no prefix is needed.
    system = new System(
      'natsusers',
      nats.url,
      { NATS_PREFIX: '' },
      {
        directory: user('directory', PASSWORDS.DIRECTORY_NATS_PASSWORD),
        catalog: user('catalog', PASSWORDS.CATALOG_NATS_PASSWORD),
        idp: user('idp', PASSWORDS.IDP_NATS_PASSWORD),
      },
    );
    await system.start();
  });

  afterAll(async () => {
    await system?.stop();
    await nats.destroy();
  });

  let appId = '';
  let groupId = '';
  let userId = '';

  it('signs in, creates the account in demo-sp, and refuses the next sign-in once the user leaves the group', async () => {
    ({ userId, groupId, appId } = await system.personWithDemoSpAccess(
      { username: 'noor', email: 'noor@example.com', firstname: 'Noor', lastname: 'Haddad', password },
      'Support',
    ));

    // The IdP's admin endpoints resolve the key through the directory.
    const preview = await system.admin<{ wouldIssue: boolean }>(
      'GET',
      `${system.idpUrl}/v1/applications/${appId}/preview?userId=${userId}`,
      undefined,
      200,
    );
    assert.equal(preview.wouldIssue, true);

    const first = await signIn(system, browser, appId, 'noor', password);
    assert.equal(first.outcome, 'signed-in', first.outcome === 'refused' ? `${first.status}: ${first.page.slice(0, 400)}` : '');
    assert.match(first.page, /noor@example\.com/);

    await system.admin('DELETE', `${system.directoryUrl}/v1/user-groups/${groupId}/members/${userId}`, undefined, 204);
    const refused = await signIn(system, browser, appId, 'noor', password);
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.outcome === 'refused' && refused.status, 403);
  });

  it('does not apply a membership event forged by a client allowed to publish on the stream', async () => {
    const { organizationId } = await system.admin<{ organizationId: string }>(
      'GET',
      `${system.directoryUrl}/v1/users/${userId}`,
      undefined,
      200,
    );
    const nc = await connect({ servers: nats.url, user: 'test-admin', pass: PASSWORDS.TEST_ADMIN_PASSWORD });
    try {
      const forged = { organizationId, groupId, userId, version: 99, occurredAt: new Date().toISOString() };
      const ack = await jetstream(nc).publish('directory.membership.added.v1', JSON.stringify(forged), { msgID: 'forged-membership' });
      // Both consumers of the stream have dealt with it before the sign-in below: terminated, logged.
      await eventually(() => {
        for (const service of ['idp', 'catalog']) {
          assert.match(
            system.running.get(service)?.output() ?? '',
            new RegExp(
              `Terminating message DIRECTORY#${ack.seq} on directory\\.membership\\.added\\.v1: it is not authenticated with the bus key`,
            ),
          );
        }
      });
    } finally {
      await nc.close();
    }
    const still = await signIn(system, browser, appId, 'noor', password);
    assert.equal(still.outcome, 'refused');
    assert.equal(still.outcome === 'refused' && still.status, 403);
  });

  it('after its streams were purged while the catalog and the IdP were down, both resync from the snapshots under the same users', async () => {
    await system.stopOne('idp');
    await system.stopOne('catalog');
    // Back in the group while they are away; the event is then lost with the purge.
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);
    const nc = await connect({ servers: nats.url, user: 'test-admin', pass: PASSWORDS.TEST_ADMIN_PASSWORD });
    try {
      const jsm = await jetstreamManager(nc);
      for (const stream of ['DIRECTORY', 'CATALOG']) await jsm.streams.purge(stream);
    } finally {
      await nc.close();
    }
    await system.startOne('catalog');
    await system.startOne('idp');
    const again = await signIn(system, browser, appId, 'noor', password);
    assert.equal(again.outcome, 'signed-in', again.outcome === 'refused' ? `${again.status}: ${again.page.slice(0, 400)}` : '');
  });

  it('docker compose runs NATS with these users: deploy/nats.conf holds the documented block unchanged, and fsyncs every write', () => {
    const root = resolve(__dirname, '..');
    const deployed = readFileSync(resolve(root, 'deploy/nats.conf'), 'utf8');
    const documented = /```conf\n([\s\S]*?)```/.exec(readFileSync(resolve(root, 'docs/nats-permissions.md'), 'utf8'))?.[1];
    assert.ok(documented);
    assert.ok(deployed.includes(documented), 'deploy/nats.conf differs from docs/nats-permissions.md');
    assert.match(deployed, /^\s*sync_interval: always$/m);
  });

  it('the server refused nothing any service asked for', () => {
    const log = nats.log();
    assert.match(log, /Server is ready/);
    // nats-server logs each refusal as "Publish Violation" or "Subscription Violation".
    assert.deepEqual(
      log.split('\n').filter((line) => / Violation /.test(line)),
      [],
    );
  });
});
