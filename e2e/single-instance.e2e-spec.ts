import assert from 'node:assert/strict';
import { Browser, eventually, type ServiceProcess } from '@jit/testing';
import { System, signIn } from './harness';

/**
 * One instance per service until scale-out (docs/operations.md): two IdP processes on the same
 * database and NATS prefix would share the durable consumer `idp`, each getting part of the
 * events and each believing itself current. The second one refuses to serve, says why, and
 * takes over only when the first is gone, rebuilding its read model first.
 */
describe('a second IdP instance on the same database and NATS prefix', () => {
  let system: System;
  let second: ServiceProcess;
  let appId = '';
  let groupId = '';
  let userId = '';
  const password = 'correct horse battery staple';
  const browser = new Browser();
  let refusal = '';

  beforeAll(async () => {
    system = new System('single-instance');
    await system.start();
    ({ userId, groupId, appId } = await system.personWithDemoSpAccess(
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Byron', password },
      'Engineers',
    ));
    assert.equal((await signIn(system, browser, appId, 'ada', password)).outcome, 'signed-in');
    const prefix = system.env.natsPrefix;
    refusal =
      `another instance of idp holds the consumer lease for the durable consumer "idp" on ${prefix}_DIRECTORY, ${prefix}_CATALOG; ` +
      'this instance refuses to serve until it is the only one: run one instance per service';
  });

  afterAll(async () => {
    await system.stop();
  });

  it('answers /ready 503 with the reason, logs it once, and refuses SSO with 503, while the first keeps signing in', async () => {
    second = await system.startAnotherInstance('idp');
    const ready = await fetch(`${second.url}/ready`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { reasons: string[]; checks: { consumers: Record<string, { ready: boolean }> } };
    assert.deepEqual(body.reasons, [refusal]);
    assert.equal(body.checks.consumers.DIRECTORY?.ready, false);
    assert.equal(body.checks.consumers.CATALOG?.ready, false);
    const logged = second
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    assert.deepEqual(
      logged.filter((l) => l.msg === refusal).map((l) => l.level),
      [50],
      'logged once, as an error',
    );

    // The same SAMLRequest demo-sp sends, to the second instance.
    const start = await browser.get(`${system.demoSpUrl}/login?app=${appId}`);
    const sso = new URL(start.headers.get('location') ?? '');
    const refused = await fetch(`${second.url}${sso.pathname}${sso.search}`, { redirect: 'manual' });
    assert.equal(refused.status, 503);
    assert.match(await refused.text(), /could not be confirmed/);
    // Its metadata too: 503 with the reason, not a 500.
    const metadata = await fetch(`${second.url}/saml2/${appId}/metadata`);
    assert.equal(metadata.status, 503);
    assert.match(((await metadata.json()) as { message: string }).message, /cannot confirm its view is current: another instance of idp/);

    assert.equal((await fetch(`${system.idpUrl}/ready`)).status, 200);
    assert.equal((await signIn(system, browser, appId, 'ada', password)).outcome, 'signed-in');
  });

  it('never misses a revoke: right after each 2xx the first refuses (403) and grants again after the re-grant', async () => {
    // Each change is one event; shared with the second instance, about half would bypass the first.
    for (let round = 0; round < 6; round++) {
      await system.admin('DELETE', `${system.directoryUrl}/v1/user-groups/${groupId}/members/${userId}`, undefined, 204);
      const revoked = await signIn(system, browser, appId, 'ada', password);
      assert.equal(revoked.outcome === 'refused' && revoked.status, 403, `round ${round}: ${revoked.outcome}`);
      await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);
      assert.equal((await signIn(system, browser, appId, 'ada', password)).outcome, 'signed-in', `round ${round}`);
    }
    await system.admin('DELETE', `${system.directoryUrl}/v1/user-groups/${groupId}/members/${userId}`, undefined, 204);
    assert.equal((await fetch(`${second.url}/ready`)).status, 503);
  });

  it('takes over when the first stops: it rebuilds from snapshots (the revoke it never consumed), then is ready', async () => {
    await system.stopOne('idp');
    await eventually(
      async () => {
        const ready = await fetch(`${second.url}/ready`);
        assert.equal(ready.status, 200, await ready.text());
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    // Its memory was loaded while Ada was still a member; the decision must follow the directory.
    const preview = await system.admin<{ wouldIssue: boolean; blockers: { reason: string }[] }>(
      'GET',
      `${second.url}/v1/applications/${appId}/preview?userId=${userId}`,
      undefined,
      200,
    );
    assert.equal(preview.wouldIssue, false);
    assert.deepEqual(
      preview.blockers.map((b) => b.reason),
      ['app_not_authorized'],
    );
  });
});
