import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Browser, PrivateNatsServer, eventually } from '@jit/testing';
import { BOOTSTRAP_KEY, System, signIn } from './harness';

/** Well under the durable consumers' 30 s ack wait: a correctness bound, not a benchmark. */
const RECOVERY_BOUND_MS = 5000;

/**
 * kill -9 of a consuming service while an event was delivered to it but not acknowledged: the
 * event stays pending on its durable consumer until the consumer's ack wait (30 s) runs out, and
 * the service's freshness proof waits for exactly that event. The next instance must not wait
 * for the dead one's delivery: it answers from the event within about a second of starting.
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

  /** How many DIRECTORY events the service's durable consumer has delivered and not yet seen acknowledged. */
  const pendingAcks = async (consumer: 'idp' | 'catalog'): Promise<number> => {
    const nc = await connect({ servers: nats.url });
    try {
      const info = await (await jetstreamManager(nc)).consumers.info(`${system.env.natsPrefix}_DIRECTORY`, consumer);
      return info.num_ack_pending;
    } finally {
      await nc.close();
    }
  };

  /** Stops the service, makes the change (its event reaches the stopped process), then kills it. */
  const killHoldingAnEvent = async (service: 'idp' | 'catalog', change: () => Promise<unknown>) => {
    const pid = system.running.get(service)?.pid;
    assert.ok(pid);
    process.kill(pid, 'SIGSTOP');
    try {
      await change();
      await eventually(async () => assert.equal(await pendingAcks(service), 1), { timeoutMs: 5000, intervalMs: 50 });
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

  it('a standby IdP: it takes the lease over from the killed holder and decides from the grant the holder held, well before the ack wait', async () => {
    const standby = await system.startAnotherInstance('idp');
    const preview = `${standby.url}/v1/applications/${appId}/preview?userId=${userId}`;
    assert.equal((await fetch(preview, { headers: { 'x-api-key': BOOTSTRAP_KEY } })).status, 503, 'the standby does not decide');
    await killHoldingAnEvent('idp', () => system.admin('POST', members(), { userId }, 201));
    const killed = Date.now();

    // It tries the lease every 2 s, then rebuilds from snapshots: 503 meanwhile, never a denial.
    const statuses: number[] = [];
    await eventually(
      async () => {
        const response = await fetch(preview, { headers: { 'x-api-key': BOOTSTRAP_KEY } });
        statuses.push(response.status);
        assert.equal(response.status, 200);
        assert.equal(((await response.json()) as { wouldIssue: boolean }).wouldIssue, true);
      },
      { timeoutMs: 45_000, intervalMs: 100 },
    );
    const recoveredMs = Date.now() - killed;
    assert.deepEqual(
      statuses.filter((s) => s !== 503 && s !== 200),
      [],
      `statuses before the first decision: ${statuses.join(' ')}`,
    );
    assert.ok(recoveredMs < RECOVERY_BOUND_MS, `first decision ${recoveredMs} ms after the holder was killed (${statuses.length} tries)`);
  });
});
