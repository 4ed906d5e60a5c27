import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Browser, PrivateNatsServer, eventually } from '@jit/testing';
import { BOOTSTRAP_KEY, System, signIn } from './harness';

/** Well under the consumers' 30 s ack wait: a correctness bound, not a benchmark. */
const RECOVERY_BOUND_MS = 5000;

/**
 * kill -9 of a consuming service while an event was delivered to it but not acknowledged: the
 * event stays pending on the dead process's consumer until its ack wait (30 s) runs out. Every
 * process has a consumer of its own (docs/decisions/0008), so neither the next instance nor one
 * running beside waits for that delivery: each answers from the event within about a second.
 *
 * The event is held on purpose: the process is stopped (SIGSTOP) before the change, so NATS
 * delivers the event into its socket and it can never acknowledge it; then it is killed.
 */
describe('restart after kill -9 while an event was delivered but not acknowledged', () => {
  // A server of its own: the version docker-compose ships when NATS_SERVER_BIN names it (npm test does).
  const nats = new PrivateNatsServer();
  let system: System;
  const password = 'correct horse battery staple';
  let appId = '';
  let groupId = '';
  let userId = '';
  const members = () => `${system.directoryUrl}/v1/user-groups/${groupId}/members`;

  /** How many DIRECTORY events the service's consumers (one per process) have delivered and not yet seen acknowledged. */
  const pendingAcks = async (service: 'idp' | 'catalog'): Promise<number> => {
    const nc = await connect({ servers: nats.url });
    try {
      let pending = 0;
      for await (const info of (await jetstreamManager(nc)).consumers.list(`${system.env.natsPrefix}_DIRECTORY`))
        if (info.name.startsWith(`${service}_`)) pending += info.num_ack_pending;
      return pending;
    } finally {
      await nc.close();
    }
  };

  /** Stops the service, makes the change (its event reaches the stopped process), then kills it. */
  const killHoldingAnEvent = async (service: 'idp' | 'catalog', change: () => Promise<unknown>) => {
    const pid = system.running.get(service)?.pid;
    assert.ok(pid);
    // Consumers of processes killed before stay (the server deletes them once inactive), with what they held.
    const before = await pendingAcks(service);
    process.kill(pid, 'SIGSTOP');
    try {
      await change();
      await eventually(async () => assert.equal(await pendingAcks(service), before + 1), { timeoutMs: 5000, intervalMs: 50 });
    } finally {
      process.kill(pid, 'SIGKILL');
    }
    await system.stopOne(service);
  };

  beforeAll(async () => {
    await nats.start();
    system = new System('crash-restart', nats.url);
    await system.start();
    ({ userId, groupId, appId } = await system.personWithDemoSpAccess(
      { username: 'kai', email: 'kai@example.com', firstname: 'Kai', lastname: 'Lund', password },
      'Ops',
    ));
    await system.admin('DELETE', `${members()}/${userId}`, undefined, 204);
    const refused = await signIn(system, new Browser(), appId, 'kai', password);
    assert.equal(refused.outcome === 'refused' && refused.status, 403);
  });

  afterAll(async () => {
    await system?.stop();
    await nats.destroy();
  });

  it('the IdP: the next instance signs the person in from the grant the dead one held, well before the ack wait', async () => {
    await killHoldingAnEvent('idp', () => system.admin('POST', members(), { userId }, 201));

    await system.startOne('idp', { until: 'live' });
    const live = Date.now();
    // Until it has applied the grant it must refuse for unavailability (503), never deny (403: stale).
    const answers: string[] = [];
    await eventually(
      async () => {
        const result = await signIn(system, new Browser(), appId, 'kai', password);
        answers.push(result.outcome === 'signed-in' ? '200' : String(result.status));
        assert.equal(result.outcome, 'signed-in');
      },
      { timeoutMs: 45_000, intervalMs: 100 },
    );
    const recoveredMs = Date.now() - live;
    assert.deepEqual(
      answers.filter((a) => a !== '503' && a !== '200'),
      [],
      `answers before the first sign-in: ${answers.join(' ')}`,
    );
    assert.ok(recoveredMs < RECOVERY_BOUND_MS, `first sign-in ${recoveredMs} ms after the new IdP was live (${answers.length} tries)`);
    await eventually(async () => assert.equal((await fetch(`${system.idpUrl}/ready`)).status, 200), { timeoutMs: 5000, intervalMs: 100 });
  });

  it('the catalog: the next instance answers JIT readiness from the removal the dead one held, well before the ack wait', async () => {
    const readiness = `${system.catalogUrl}/v1/applications/${appId}/jit-readiness`;
    assert.equal((await system.admin<{ authorisedUsers: number }>('GET', readiness, undefined, 200)).authorisedUsers, 1);
    await killHoldingAnEvent('catalog', () => system.admin('DELETE', `${members()}/${userId}`, undefined, 204));

    await system.startOne('catalog', { until: 'live' });
    const live = Date.now();
    // Until it has applied the removal it must answer 503 (not confirmed current), never the old count.
    const statuses: number[] = [];
    const report = await eventually(
      async () => {
        const response = await fetch(readiness, { headers: { 'x-api-key': BOOTSTRAP_KEY } });
        statuses.push(response.status);
        assert.equal(response.status, 200);
        return (await response.json()) as { authorisedUsers: number };
      },
      { timeoutMs: 45_000, intervalMs: 100 },
    );
    const recoveredMs = Date.now() - live;
    assert.equal(report.authorisedUsers, 0);
    assert.deepEqual(
      statuses.filter((s) => s !== 503 && s !== 200),
      [],
      `statuses before the first answer: ${statuses.join(' ')}`,
    );
    assert.ok(recoveredMs < RECOVERY_BOUND_MS, `first answer ${recoveredMs} ms after the new catalog was live (${statuses.length} tries)`);
  });

  it('a second IdP running beside: the kill of the other holding the grant changes nothing for it, it decides from the grant', async () => {
    const second = await system.startAnotherInstance('idp');
    const preview = `${second.url}/v1/applications/${appId}/preview?userId=${userId}`;
    const decide = async () => {
      const response = await fetch(preview, { headers: { 'x-api-key': BOOTSTRAP_KEY } });
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { wouldIssue: boolean }).wouldIssue;
    };
    await eventually(async () => assert.equal(await decide(), false), { timeoutMs: 20_000, intervalMs: 100 });
    // The first one is stopped, receives the grant and never acknowledges it; the second has its own consumer.
    await killHoldingAnEvent('idp', () => system.admin('POST', members(), { userId }, 201));
    assert.equal(await decide(), true);
  });
});
