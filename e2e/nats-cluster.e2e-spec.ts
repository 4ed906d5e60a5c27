import assert from 'node:assert/strict';
import {
  Browser,
  DOCUMENTED_NATS_PASSWORDS as PASSWORDS,
  NatsCluster,
  documentedNatsConfig,
  eventually,
  readStream,
  type NatsClusterNode,
} from '@jit/testing';
import { BOOTSTRAP_KEY, System, signIn } from './harness';

/** One person of the workload: what the last acknowledged (2xx) change made of their membership. */
interface Person {
  username: string;
  userId: string;
  member: boolean;
  /** False from a change that was not acknowledged (503, no answer) until one is: its effect is unknown. */
  certain: boolean;
  /** The membership an unacknowledged change asked for, asked again until it is acknowledged. */
  wanted: boolean;
  /** Membership states in the order their changes were acknowledged, the first one included. */
  states: boolean[];
}

type Decision = 'allowed' | 'denied' | 'unavailable';

interface Attempt {
  startedAt: number;
  at: number;
  username: string;
  decision: Decision;
  status: number;
  /** What the last acknowledged change says; undefined while that person's state is unknown. */
  expected: boolean | undefined;
}

const PASSWORD = 'correct horse battery staple';

/**
 * Directory, catalog, IdP and demo-sp on a 3-node JetStream cluster of their own (streams at
 * replicas 3), with traffic running: membership adds and removes, and after each a sign-in of
 * that person. The nemesis kills -9 the node leading the DIRECTORY stream, then another node (no
 * quorum left), then restarts both. The checker: no sign-in decided from stale state (after a
 * removal's 2xx no assertion, after an add's 2xx no 403), every acknowledged change in the stream
 * and in the IdP's decisions at the end, and service back within seconds of each fault.
 */
describe('a 3-node NATS cluster: kill -9 of the stream leader and of a second node, under traffic', () => {
  // The users and permissions of docs/nats-permissions.md, as deploy/nats-cluster's nodes have
  // them, and each service as its own user: what a clustered JetStream asks of them is covered too.
  const admin = { user: 'test-admin', password: PASSWORDS.TEST_ADMIN_PASSWORD };
  const cluster = new NatsCluster({ config: documentedNatsConfig(), admin });
  const user = (name: 'directory' | 'catalog' | 'idp', password: string) => ({
    NATS_USER: name,
    NATS_PASSWORD: password,
    NATS_INBOX_PREFIX: `_INBOX_${name}`,
  });
  let system: System;
  const people: Person[] = [];
  const attempts: Attempt[] = [];
  /** `retry`: asked again after an unacknowledged attempt, whose event the relay may have stored meanwhile. */
  const changes: { startedAt: number; at: number; username: string; want: boolean; retry: boolean; status: number }[] = [];
  let groupId = '';
  let appId = '';
  let running = false;
  let traffic: Promise<void> = Promise.resolve();
  /** A member nobody changes, signed in over and over beside the traffic: never denied, and answered through the faults. */
  let steady: Person;
  const steadyAttempts: Attempt[] = [];
  let watching: Promise<void> = Promise.resolve();

  // The documented permissions name the streams without a prefix; the cluster is this test's own.
  const directoryStream = () => 'DIRECTORY';

  /** A membership change; the status, or 0 when no answer came within 10 s. */
  async function change(person: Person, want: boolean): Promise<number> {
    const base = `${system.directoryUrl}/v1/user-groups/${groupId}/members`;
    try {
      const response = await fetch(want ? base : `${base}/${person.userId}`, {
        method: want ? 'POST' : 'DELETE',
        headers: { 'x-api-key': BOOTSTRAP_KEY, ...(want ? { 'content-type': 'application/json' } : {}) },
        body: want ? JSON.stringify({ userId: person.userId }) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }

  /** Asks for `want` (again) and records what is acknowledged. */
  async function changeAndRecord(person: Person, want: boolean): Promise<boolean> {
    const startedAt = Date.now();
    const retry = !person.certain;
    const status = await change(person, want);
    changes.push({ startedAt, at: Date.now(), username: person.username, want, retry, status });
    if (status === 201 || status === 204) {
      person.member = want;
      person.certain = true;
      person.states.push(want);
      return true;
    }
    person.certain = false;
    person.wanted = want;
    return false;
  }

  /** A sign-in from a browser with no IdP session: the login form, then the IdP's decision. */
  async function decide(person: Person): Promise<{ decision: Decision; status: number }> {
    try {
      const result = await signIn(system, new Browser(), appId, person.username, PASSWORD);
      if (result.outcome === 'signed-in') return { decision: 'allowed', status: 200 };
      return { decision: result.status === 403 ? 'denied' : 'unavailable', status: result.status };
    } catch {
      return { decision: 'unavailable', status: 0 };
    }
  }

  async function run(): Promise<void> {
    for (let i = 0; running; i++) {
      // The last person is the test's own, changed only while there is no quorum.
      const person = people[i % (people.length - 1)];
      await changeAndRecord(person, person.certain ? !person.member : person.wanted);
      const expected = person.certain ? person.member : undefined;
      const startedAt = Date.now();
      const { decision, status } = await decide(person);
      attempts.push({ startedAt, at: Date.now(), username: person.username, decision, status, expected });
    }
  }

  async function watch(): Promise<void> {
    while (running) {
      const startedAt = Date.now();
      const { decision, status } = await decide(steady);
      steadyAttempts.push({ startedAt, at: Date.now(), username: steady.username, decision, status, expected: true });
      await new Promise((pause) => setTimeout(pause, 50));
    }
  }

  /**
   * How long after `since` a change asked after it was acknowledged, a sign-in begun after it
   * decided (allowed or denied; each waits for the change before it), and a sign-in of the
   * person nobody changes answered.
   */
  async function recovery(since: number): Promise<{ changeMs: number; signInMs: number; steadyMs: number }> {
    return eventually(
      () => {
        const acked = changes.filter((c) => c.startedAt > since && (c.status === 201 || c.status === 204));
        const decided = attempts.filter((a) => a.startedAt > since && a.decision !== 'unavailable');
        const answered = steadyAttempts.filter((a) => a.startedAt > since && a.decision === 'allowed');
        assert.ok(
          acked.length >= 3 && decided.length >= 3 && answered.length >= 1,
          `since the fault: ${acked.length} changes acknowledged, ${decided.length} sign-ins decided, ${answered.length} of the unchanged person`,
        );
        return { changeMs: acked[0].at - since, signInMs: decided[0].at - since, steadyMs: answered[0].at - since };
      },
      // A generous bound: the figures are what matters (reported below), not a timed assertion.
      { timeoutMs: 45_000, intervalMs: 100 },
    );
  }

  async function readyAnswer(url: string): Promise<{ status: number; reasons: string[]; degraded: string[] }> {
    try {
      const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5000) });
      const body = (await response.json()) as { reasons?: string[]; degraded?: string[] };
      return { status: response.status, reasons: body.reasons ?? [], degraded: body.degraded ?? [] };
    } catch (error) {
      return { status: 0, reasons: [String(error)], degraded: [] };
    }
  }

  beforeAll(async () => {
    await cluster.start();
    system = new System(
      'nats-cluster',
      cluster.url,
      { NATS_PREFIX: '', NATS_STREAM_REPLICAS: '3', IDP_FRESHNESS_WAIT_MS: '500' },
      {
        directory: user('directory', PASSWORDS.DIRECTORY_NATS_PASSWORD),
        catalog: user('catalog', PASSWORDS.CATALOG_NATS_PASSWORD),
        idp: user('idp', PASSWORDS.IDP_NATS_PASSWORD),
      },
    );
    await system.start();
    const first = await system.personWithDemoSpAccess(
      { username: 'p0', email: 'p0@example.com', firstname: 'P', lastname: 'Zero', password: PASSWORD },
      'Cluster',
    );
    ({ groupId, appId } = first);
    people.push({ username: 'p0', userId: first.userId, member: true, certain: true, wanted: true, states: [true] });
    for (let n = 1; n < 5; n++) {
      const username = `p${n}`;
      const { id } = await system.admin<{ id: string }>(
        'POST',
        `${system.directoryUrl}/v1/users`,
        { username, email: `${username}@example.com`, firstname: 'P', lastname: String(n), password: PASSWORD },
        201,
      );
      await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId: id }, 201);
      people.push({ username, userId: id, member: true, certain: true, wanted: true, states: [true] });
    }
    const { id } = await system.admin<{ id: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username: 'steady', email: 'steady@example.com', firstname: 'S', lastname: 'Teady', password: PASSWORD },
      201,
    );
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId: id }, 201);
    steady = { username: 'steady', userId: id, member: true, certain: true, wanted: true, states: [true] };
  });

  afterAll(async () => {
    running = false;
    await Promise.all([traffic, watching]);
    await system?.stop();
    await cluster.destroy();
  });

  it('runs its streams at replicas 3 on the cluster', async () => {
    for (const stream of ['DIRECTORY', 'CATALOG', 'IDP']) {
      const info = await cluster.streamInfo(stream);
      assert.equal(info?.config.num_replicas, 3, stream);
      assert.ok(info?.cluster?.leader, `${stream} has a leader`);
    }
  });

  it('loses no acknowledged change and decides no sign-in from stale state through the faults, and resumes in seconds', async () => {
    running = true;
    traffic = run();
    watching = watch();
    await eventually(() => assert.ok(attempts.length >= 8, `${attempts.length} sign-ins so far`), { timeoutMs: 30_000, intervalMs: 100 });

    // 1. kill -9 the node that leads DIRECTORY: the other two elect a new leader.
    const leader = await cluster.leaderNode(directoryStream());
    const killedLeaderAt = Date.now();
    await leader.kill();
    const afterLeader = await recovery(killedLeaderAt);
    const newLeader = await cluster.leaderNode(directoryStream());
    assert.notEqual(newLeader.name, leader.name);

    // 2. kill -9 another node: one of three left, no quorum. Nothing can be acknowledged: the
    // directory and the catalog say so on /ready (a load balancer takes them out) instead of
    // claiming 200. The IdP still answers sign-ins, proven from the outboxes (docs/decisions/0012),
    // and says so: ready, degraded.
    const second: NatsClusterNode = cluster.nodes.find((n) => n.running && n !== newLeader) ?? newLeader;
    const killedSecondAt = Date.now();
    await second.kill();
    const secondGoneAt = Date.now();
    const notReady = await eventually(
      async () => {
        const answers = await Promise.all([system.directoryUrl, system.catalogUrl].map(readyAnswer));
        for (const answer of answers) assert.equal(answer.status, 503, answer.reasons.join('; '));
        return answers;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const notReadyMs = Date.now() - killedSecondAt;
    const idpDegraded = await eventually(
      async () => {
        const answer = await readyAnswer(system.idpUrl);
        assert.equal(answer.status, 200, JSON.stringify(answer));
        assert.ok(answer.degraded.length > 0, JSON.stringify(answer));
        return answer.degraded;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await new Promise((hold) => setTimeout(hold, 2000));
    // Asked until one has finished (a sign-in begun at the kill may still be waiting for its lookups).
    const { withoutQuorum, answeredWithoutQuorum } = await eventually(
      () => {
        const begun = steadyAttempts.filter((a) => a.startedAt > secondGoneAt);
        const answered = begun.filter((a) => a.decision === 'allowed');
        assert.ok(
          answered.length > 0,
          `the unchanged person's sign-ins without quorum (ms after the kill, ms taken, status): ${JSON.stringify(
            begun.map((a) => [a.startedAt - secondGoneAt, a.at - a.startedAt, a.status]),
          )}`,
        );
        return { withoutQuorum: begun, answeredWithoutQuorum: answered };
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    // A new change needs a new event stored, which one node of three cannot do: it answers 503.
    // (The workload's own may be retries, acknowledged rightly when the relay stored their first
    // attempt's event before the kill; this one is new.)
    const outsider = people[people.length - 1];
    assert.equal(await changeAndRecord(outsider, !outsider.member), false, 'no change acknowledged by one node of three');
    assert.equal(changes.at(-1)?.status, 503);
    // Answered 503, and committed: the outsider's next sign-in is answered without quorum. It
    // follows the change when the IdP decides from the directory's outbox (docs/decisions/0013),
    // and may not when the stream's lone leader, which keeps its title for about 10 s, still
    // answers the lookup: a 503 promises nothing until the relay publishes it.
    const followed = await eventually(
      async () => {
        const { decision } = await decide(outsider);
        assert.notEqual(decision, 'unavailable');
        return decision;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const newWithoutQuorum = changes.filter((c) => c.startedAt > secondGoneAt && !c.retry);
    assert.deepEqual(
      newWithoutQuorum.filter((c) => c.status === 201 || c.status === 204),
      [],
      'no new change acknowledged by one node of three',
    );

    // 3. Both back (same stores): the cluster catches them up, and traffic resumes.
    const restartedAt = Date.now();
    await Promise.all([cluster.restart(leader), cluster.restart(second)]);
    const restartMs = Date.now() - restartedAt;
    const afterRestart = await recovery(restartedAt);
    running = false;
    await Promise.all([traffic, watching]);

    // Settle every person whose last change was not acknowledged (asked again until it is).
    for (const person of people.filter((p) => !p.certain)) {
      await eventually(async () => assert.ok(await changeAndRecord(person, person.wanted)), { timeoutMs: 30_000, intervalMs: 250 });
    }
    await eventually(
      async () => {
        for (const url of [system.directoryUrl, system.catalogUrl, system.idpUrl]) assert.equal((await readyAnswer(url)).status, 200, url);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    // Checker 1: no stale decision, ever. After a removal's 2xx no assertion; after an add's 2xx no 403.
    const stale = attempts.filter(
      (a) => (a.expected === false && a.decision === 'allowed') || (a.expected === true && a.decision === 'denied'),
    );
    assert.deepEqual(stale, []);
    // The person nobody changed was never refused access, only (briefly) an answer.
    assert.deepEqual(
      steadyAttempts.filter((a) => a.decision === 'denied'),
      [],
    );

    // Checker 2: every acknowledged change is in the stream, once: per person, the membership
    // events in version order are exactly the states their acknowledged changes went through.
    const events = (await readStream(cluster.url, directoryStream(), admin)).filter((e) => /membership\.(added|removed)/.test(e.subject));
    for (const person of people) {
      const mine = events
        .filter((e) => e.payload.userId === person.userId && e.payload.groupId === groupId)
        .sort((a, b) => (a.payload.version as number) - (b.payload.version as number))
        .map((e) => e.subject.endsWith('membership.added.v1'));
      const flips = person.states.filter((state, i) => i === 0 || state !== person.states[i - 1]);
      assert.deepEqual(mine, flips, `${person.username}: the stream's membership events against the acknowledged changes`);
    }

    // Checker 3: the IdP's decisions at the end follow every acknowledged change.
    for (const person of people) {
      const { decision } = await eventually(
        async () => {
          const answer = await decide(person);
          assert.notEqual(answer.decision, 'unavailable', `${person.username}: ${answer.status}`);
          return answer;
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      assert.equal(decision, person.member ? 'allowed' : 'denied', person.username);
    }

    // Every service had the rights a cluster asks for: no node refused any of them.
    for (const node of cluster.nodes) assert.doesNotMatch(node.log(), /Permissions Violation/, node.name);

    const count = (from: number, to: number, decision: Decision) =>
      attempts.filter((a) => a.at > from && a.at <= to && a.decision === decision).length;
    const acked = changes.filter((c) => c.status === 201 || c.status === 204).length;
    // The figures this run measured (docs/operations.md records them).
    console.log(
      [
        `NATS cluster e2e: ${changes.length} membership changes (${acked} acknowledged), ${attempts.length} sign-ins ` +
          `(${count(0, Infinity, 'allowed')} allowed, ${count(0, Infinity, 'denied')} denied, ${count(0, Infinity, 'unavailable')} unavailable), 0 stale, 0 lost`,
        `kill -9 of the DIRECTORY leader ${leader.name}: next change acknowledged after ${afterLeader.changeMs} ms, next sign-in decided after ${afterLeader.signInMs} ms, ` +
          `the unchanged person's next sign-in answered after ${afterLeader.steadyMs} ms (new leader ${newLeader.name})`,
        `kill -9 of ${second.name} too (no quorum): directory and catalog /ready 503 after ${notReadyMs} ms (${notReady[0].reasons.join('; ')}); ` +
          `the IdP ready, degraded (${idpDegraded.join('; ')}); a change answered 503 without quorum (${outsider.wanted ? 'a grant' : 'a removal'}): the next sign-in ${followed}`,
        `the unchanged person: ${steadyAttempts.length} sign-ins, ${steadyAttempts.filter((a) => a.decision === 'allowed').length} allowed, ` +
          `${steadyAttempts.filter((a) => a.decision === 'unavailable').length} unavailable, 0 denied; without quorum ${answeredWithoutQuorum.length} of ${withoutQuorum.length} answered`,
        `restart of ${leader.name} and ${second.name}: nodes current after ${restartMs} ms; next change acknowledged ${afterRestart.changeMs} ms, ` +
          `next sign-in decided ${afterRestart.signInMs} ms after the restart began`,
      ].join('\n'),
    );
  });
});
