import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DirectoryEvents } from '@jit/directory-contracts';
import { consoleApplicationId } from '@jit/idp-contracts';
import { NatsBus } from '@jit/messaging';
import { PrivateNatsServer, eventually, natsServerVersion } from '@jit/testing';
import { System } from './harness';

/**
 * Organisation A's membership feed, published straight into DIRECTORY while the IdP's membership
 * table is locked against writes: the IdP's consumer stays behind it, and reads (from memory) go
 * on, for as long as the test asks B's questions. (Left to run, the IdP applies such a burst in
 * about a second, since it applies a delivery's events together; a CSV import of 2,000 people, on
 * a machine at load 3-6, never got it behind at all.)
 */
const BURST = 3_000;
/** Rounds of B's questions asked while the IdP is behind. */
const ROUNDS_BEHIND = 5;

/**
 * Scoped freshness (docs/decisions/0009-scoped-freshness.md) beyond sign-ins. While organisation
 * A's feed runs ahead of the IdP's consumer, organisation B's application and organisation
 * metadata, its console's metadata, its Single Logout and its sign-in link are answered at once:
 * nothing they decide on is behind. An organisation created behind the feed is never answered
 * as unknown before its event is applied (503, or the right answer), and an application id the
 * IdP cannot place waits for every stream whole.
 *
 * Scoped lookups need nats-server 2.11+ (NatsBus.scopedLookups): on an older server the IdP waits
 * for the whole stream, and this only checks that nothing is answered stale.
 */
describe("metadata, Single Logout and the sign-in link during another organisation's feed", () => {
  const nats = new PrivateNatsServer();
  const [major, minor] = natsServerVersion();
  const scoped = major > 2 || (major === 2 && minor >= 11);
  let system: System;
  let orgB = '';
  let appB = '';

  /** The IdP's DIRECTORY consumer: how many events it is behind the stream now. */
  const lag = async (): Promise<number> => {
    const body = (await (await fetch(`${system.idpUrl}/ready`)).json()) as {
      checks?: { consumers?: Record<string, { lag: number | null }> };
    };
    return body.checks?.consumers?.DIRECTORY?.lag ?? 0;
  };
  const status = async (path: string): Promise<number> => (await fetch(`${system.idpUrl}${path}`, { redirect: 'manual' })).status;
  /** What each request answers for an organisation `org` and its application `app`, when nothing it decides on is behind. */
  const requests = (org: string, app: string | null) => ({
    // Without a signing certificate an application's LogoutRequests cannot be checked: 400, decided
    // from the application as the read model holds it.
    ...(app ? { [`/saml2/${app}/metadata`]: 200, [`/saml2/${app}/slo?SAMLRequest=x`]: 400 } : {}),
    [`/saml2/organizations/${org}/metadata`]: 200,
    [`/saml2/${consoleApplicationId(org)}/metadata`]: 200,
    // The console has no signing certificate configured here either.
    [`/saml2/${consoleApplicationId(org)}/slo?SAMLRequest=x`]: 400,
    [`/?organization=${org}`]: 302,
  });

  beforeAll(async () => {
    await nats.start();
    // A short wait: a check of the whole stream behind the feed answers 503 rather than catching up.
    // /ready reports the lag as it is, without giving the consumer time to catch up first.
    system = new System('noisyrest', nats.url, { IDP_FRESHNESS_WAIT_MS: '20', READY_LAG_WAIT_MS: '0' });
    await system.start();
    const created = await system.admin<{ id: string; apiKey: string }>(
      'POST',
      `${system.directoryUrl}/v1/organizations`,
      { name: 'Neighbour Corp' },
      201,
    );
    orgB = created.id;
    const app = await fetch(`${system.catalogUrl}/v1/applications`, {
      method: 'POST',
      headers: { 'x-api-key': created.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({
        connectorId: 'saml2',
        name: 'SP of B',
        spEntityId: 'https://sp-b.example.com/metadata',
        acsUrls: ['https://sp-b.example.com/acs'],
        singleLogoutUrl: 'https://sp-b.example.com/slo',
      }),
    });
    assert.equal(app.status, 201, await app.clone().text());
    appB = ((await app.json()) as { id: string }).id;
    await eventually(async () => assert.equal(await status(`/saml2/${appB}/metadata`), 200));
  });

  afterAll(async () => {
    await system?.stop();
    await nats.destroy();
  });

  it("answers B at once behind A's burst, and never answers an organisation created behind it as unknown", async () => {
    // The IdP's membership writes wait for this lock: A's events stay behind its floor until it goes.
    const db = new Client({ connectionString: system.env.databaseUrl });
    await db.connect();
    await db.query('BEGIN');
    await db.query('LOCK TABLE idp.rm_memberships IN SHARE MODE');
    let locked = true;
    const unlock = async () => {
      if (!locked) return;
      locked = false;
      await db.query('COMMIT');
      await db.end();
    };
    try {
      await behindTheBurst();
    } finally {
      await unlock();
    }

    async function behindTheBurst(): Promise<void> {
      const orgA = randomUUID();
      const group = randomUUID();
      const feed = await NatsBus.connect({ servers: nats.url, prefix: system.env.natsPrefix, service: 'e2e-feed', keys: [system.busKey] });
      try {
        const acks: Promise<unknown>[] = [];
        for (let i = 0; i < BURST; i++) {
          const userId = randomUUID();
          acks.push(
            feed.publish(
              DirectoryEvents.membershipAdded,
              { organizationId: orgA, userId, groupId: group, version: 1, occurredAt: new Date().toISOString() },
              `e2e-burst-${userId}`,
            ),
          );
          if (acks.length >= 500) await Promise.all(acks.splice(0));
        }
        await Promise.all(acks);
      } finally {
        await feed.close();
      }
      assert.ok((await lag()) > 300, 'the IdP is behind the burst');

      // An organisation created now: its event is behind the burst's, and the IdP has not applied it.
      const orgC = (await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/organizations`, { name: 'Newcomer' }, 201)).id;
      const newcomer = new Map<string, number>();
      for (const [path, answer] of Object.entries(requests(orgC, null))) {
        const got = await status(path);
        newcomer.set(path, got);
        assert.ok(got === 503 || got === answer, `${path}: ${got}, never an answer from before the organisation's event`);
      }

      // B, round after round while A's events are behind: each answered, none 503.
      const answered = new Map<number, number>();
      let roundsBehind = 0;
      let unplaced503 = 0;
      for (let round = 0; round < ROUNDS_BEHIND; round++) {
        const before = await lag();
        for (const [path, answer] of Object.entries(requests(orgB, appB))) {
          const got = await status(path);
          answered.set(got, (answered.get(got) ?? 0) + 1);
          // Before 2.11 the IdP waits for the whole stream: a 503, never a stale answer.
          assert.ok(got === answer || (!scoped && got === 503), `${path}: ${got} with the IdP ${before} events behind`);
        }
        // An application id the IdP has not placed: maybe the console of an organisation on its way.
        const unplaced = await status(`/saml2/${randomUUID()}/metadata`);
        assert.ok(unplaced === 503 || unplaced === 404, `an unknown application: ${unplaced}`);
        if (unplaced === 503) unplaced503 += 1;
        if (before > 0 && (await lag()) > 0) roundsBehind += 1;
      }
      await unlock();
      await eventually(async () => assert.equal(await lag(), 0), { timeoutMs: 30_000, intervalMs: 100 });
      assert.ok(
        roundsBehind >= ROUNDS_BEHIND,
        `B was asked while the IdP was behind (${roundsBehind} rounds, answers ${JSON.stringify([...answered])})`,
      );
      if (scoped) {
        // The whole-stream check, which B's requests made before scopes, answers 503 meanwhile.
        assert.ok(unplaced503 > 0, 'an id that waits for every stream whole was refused behind the burst');
        assert.ok(
          [...newcomer.values()].includes(503),
          `the newcomer's own event was waited for: ${JSON.stringify(Object.fromEntries(newcomer))}`,
        );
      }
      // Once its event is applied, the newcomer is known.
      for (const [path, answer] of Object.entries(requests(orgC, null))) assert.equal(await status(path), answer, path);
    }
  });
});
