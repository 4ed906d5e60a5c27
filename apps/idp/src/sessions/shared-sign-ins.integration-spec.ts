import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { eventually } from '@jit/testing';
import { Initial1764300000000 } from '../migrations/1764300000000-Initial';
import { SharedSessions1766000000000 } from '../migrations/1766000000000-SharedSessions';
import { SharedSignIns1767000000000 } from '../migrations/1767000000000-SharedSignIns';
import { Mfa1766000000000 } from '../migrations/1766000000000-Mfa';
import type { AuditService } from '../audit/audit.service';
import { MfaPolicyFreshness } from '../common/mfa-policy-freshness';
import { PgNotifications } from '../common/pg-notifications';
import { loadIdpConfig } from '../config';
import { MfaService, POLICY_CACHE_MS } from '../mfa/mfa.service';
import { SessionStore, type PendingSso } from './session-store';
import { SharedSessions, sessionHash } from './shared-sessions';
import { SignOutWalks, type SignOutWalk } from './sign-out-walks';

const databaseUrl = `postgres://postgres@127.0.0.1:5432/jit_test_signins_${randomBytes(6).toString('hex')}`;
let dataSource: DataSource;
const stores: SessionStore[] = [];
const listeners: PgNotifications[] = [];

/** An instance's one LISTEN connection (what common.module makes). */
function notifications(): PgNotifications {
  const n = new PgNotifications(databaseUrl);
  listeners.push(n);
  return n;
}
let now = 1_000_000_000;

/** An IdP instance's session store on the shared database (what common.module makes). */
async function instance(limits: { maxPending?: number; pendingMs?: number } = {}): Promise<SessionStore> {
  const store = new SessionStore(1_800_000, 28_800_000, { pendingMs: 600_000, maxPending: 100, now: () => now, ...limits });
  store.share(new SharedSessions(dataSource, notifications(), (hash, changed) => store.endedElsewhere(hash, changed)));
  await store.onModuleInit();
  stores.push(store);
  return store;
}

const pending: PendingSso = {
  applicationId: '7f9c2a52-5d0e-4a43-9d43-0d4d1c1b4a10',
  organizationId: '5b1d4a0e-3f7c-4c55-8a43-62f8f5d7f0a1',
  requestId: '_req1',
  acsUrl: 'https://sp.example/acs',
  relayState: 'r',
};
const user = () => ({
  id: 'b0e6d0f2-0d55-4b1e-9a53-1c2b3d4e5f60',
  organizationId: pending.organizationId,
  authnInstant: new Date(),
  sessionIndex: '_s1',
});

beforeAll(async () => {
  await ensureDatabase(databaseUrl, 'idp');
  dataSource = new DataSource(
    serviceDataSourceOptions({
      url: databaseUrl,
      schema: 'idp',
      entities: [],
      migrations: [Initial1764300000000, SharedSessions1766000000000, Mfa1766000000000, SharedSignIns1767000000000],
    }),
  );
  await dataSource.initialize();
});

afterAll(async () => {
  for (const store of stores) await store.onApplicationShutdown();
  for (const n of listeners) await n.close();
  await dataSource?.destroy();
  await dropDatabase(databaseUrl);
});

describe('a sign-in in progress, shared by every IdP instance', () => {
  it('is started on one instance and read, changed and finished on the other', async () => {
    const [a, b] = [await instance(), await instance()];
    const started = a.create();
    started.pending = pending;
    await a.save(started);
    const onB = await b.resolve(started.id);
    assert.deepEqual(onB?.pending, pending);
    assert.equal(onB?.csrfToken, started.csrfToken, 'the form shown by A is accepted by B');
    // B takes the password and asks for the second step; A shows it.
    onB.secondStep = { userId: user().id, organizationId: pending.organizationId, stage: 'verify' };
    await b.save(onB);
    assert.equal((await a.resolve(started.id))?.secondStep?.stage, 'verify');
    const [rows] = await dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM idp.pending_sessions WHERE id_hash = $1`, [
      sessionHash(started.id),
    ]);
    assert.equal(rows.n, 1, 'stored under the hash of its id');
  });

  it('is finished once: of two instances finishing the same step at once, one only may', async () => {
    const [a, b] = [await instance(), await instance()];
    const started = a.create();
    started.pending = pending;
    await a.save(started);
    const [onA, onB] = [await a.resolve(started.id), await b.resolve(started.id)];
    const claims = await Promise.all([a.claim(onA!), b.claim(onB!)]);
    assert.deepEqual(claims.sort(), [false, true]);
    assert.equal(await a.resolve(started.id), undefined);
    // A request that still holds it writes nothing back.
    onB!.pending = { ...pending, requestId: '_again' };
    await b.save(onB);
    assert.equal(await b.resolve(started.id), undefined, 'not brought back by a late write');
  });

  it('is bounded in number across instances (the oldest go) and in time', async () => {
    await dataSource.query(`DELETE FROM idp.pending_sessions`);
    const [a, b] = [await instance({ maxPending: 3, pendingMs: 60_000 }), await instance({ maxPending: 3, pendingMs: 60_000 })];
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      now += 1;
      const store = i % 2 === 0 ? a : b;
      const s = store.create();
      s.pending = pending;
      await store.save(s);
      ids.push(s.id);
    }
    const shared = new SharedSessions(dataSource, notifications(), () => undefined);
    await shared.trimPending(3);
    assert.equal(await shared.pendingCount(), 3);
    assert.equal(await a.resolve(ids[0]), undefined, 'the oldest went');
    assert.equal(await b.resolve(ids[1]), undefined);
    assert.deepEqual((await a.resolve(ids[4]))?.pending, pending);
    now += 61_000;
    assert.equal(await b.resolve(ids[4]), undefined, 'past the pre-login lifetime');
    await shared.sweep(now, { idleMs: 1_800_000, absoluteMs: 28_800_000, pendingMs: 60_000, maxPending: 3 });
    assert.equal(await shared.pendingCount(), 0, 'swept');
  });
});

describe('a signed-in session changed on one instance', () => {
  it('is read as changed on another, which held a copy (a step-up started, the second factor kept)', async () => {
    const [a, b] = [await instance(), await instance()];
    const signedIn = a.regenerate({ ...a.create(), user: { ...user(), mfa: true } });
    await a.flush();
    const copy = await b.resolve(signedIn.id, { cached: true });
    assert.equal(copy?.user?.mfa, true, 'a second factor given on A counts on B');
    assert.equal(copy?.user?.authnInstant.getTime(), signedIn.user?.authnInstant.getTime());
    // A starts a step-up for an application that requires one: B's next page must see it.
    const onA = await a.resolve(signedIn.id);
    onA!.pending = pending;
    onA!.applications = new Map([[pending.applicationId!, { nameId: 'ada@example.com' }]]);
    await a.save(onA);
    const current = await b.resolve(signedIn.id);
    assert.deepEqual(current?.pending, pending);
    assert.equal(current?.applications?.get(pending.applicationId!)?.nameId, 'ada@example.com');
    // And B's copy for SSO is dropped on A's announcement, so it reads the change too.
    await eventually(async () => assert.deepEqual((await b.resolve(signedIn.id, { cached: true }))?.pending, pending), {
      timeoutMs: 5000,
      intervalMs: 50,
    });
  });

  it('ends on every instance, and a late write on the other does not bring it back', async () => {
    const [a, b] = [await instance(), await instance()];
    const signedIn = a.regenerate({ ...a.create(), user: user() });
    await a.flush();
    const onB = await b.resolve(signedIn.id);
    a.destroy(signedIn.id);
    await a.flush();
    onB!.applications = new Map([['x', { nameId: 'n' }]]);
    await b.save(onB);
    assert.equal(await b.resolve(signedIn.id), undefined);
    assert.equal(await a.resolve(signedIn.id), undefined);
  });
});

describe("a person's signed-in sessions", () => {
  it('are listed alike by every instance, and "everywhere else" from one ends the others on all', async () => {
    const [a, b] = [await instance(), await instance()];
    const person = { ...user(), id: '0c5e3a7d-1b2f-4e6a-9c8d-7f6e5d4c3b2a' };
    const onA = a.regenerate({ ...a.create(), user: person });
    now += 1;
    const onB = b.regenerate({ ...b.create(), user: person });
    await Promise.all([a.flush(), b.flush()]);
    for (const [store, currentId] of [
      [a, onA.id],
      [b, onA.id],
    ] as const) {
      const listed = await store.list(person.organizationId, person.id, currentId);
      assert.deepEqual(
        listed.map((s) => s.current),
        [true, false],
        'both sessions, oldest first, "this browser" marked',
      );
    }
    assert.equal(await b.endOthers(person.organizationId, person.id, onB.id), 1, 'the one made on A');
    assert.deepEqual(
      (await a.list(person.organizationId, person.id, onB.id)).map((s) => s.current),
      [true],
    );
    assert.equal(await a.resolve(onA.id), undefined);
  });
});

describe('Single Logout walks in the database', () => {
  const walk = (): SignOutWalk => ({ organizationId: 'o', sessionIndex: '_s', remaining: [], signedOut: [], unconfirmed: [], skipped: [] });

  it('are started on one instance, followed on the other, ended once, and bounded in number and time', async () => {
    let clock = 5_000_000;
    const [a, b] = [0, 1].map(() => new SignOutWalks(1_000, 2, () => clock, dataSource));
    const token = await a.start(walk());
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const onB = await b.get(token);
    assert.deepEqual(onB, walk());
    onB.awaiting = { applicationId: 'app', requestId: '_lr1' };
    await b.save(token, onB);
    assert.deepEqual((await a.get(token))?.awaiting, { applicationId: 'app', requestId: '_lr1' });
    const stored = await dataSource.query<{ token_hash: string }[]>(`SELECT token_hash FROM idp.sign_out_walks`);
    assert.deepEqual(
      stored.map((r) => r.token_hash),
      [createHash('sha256').update(token).digest('hex')],
      'stored under the hash of its token, never the token',
    );
    await a.end(token);
    assert.equal(await b.get(token), undefined);

    const x = await a.start(walk());
    clock += 1;
    const [y, z] = [await b.start(walk()), await a.start(walk())];
    await a.trim();
    assert.equal(await a.size(), 2);
    assert.equal(await a.get(x), undefined, 'the oldest went');
    assert.ok((await b.get(y)) && (await b.get(z)));
    clock += 1_000;
    assert.equal(await a.get(z), undefined, 'expired');
  });
});

describe("an organisation's MFA policy", () => {
  it('reaches every instance at once, well before the cache would have let go of it', async () => {
    // The audit trail is not what is tested here: its events are recorded nowhere.
    const audit = { record: () => Promise.resolve() } as unknown as AuditService;
    const instances = await Promise.all(
      [0, 1].map(async () => {
        const mfa = new MfaService(dataSource, audit, loadIdpConfig({}));
        await new MfaPolicyFreshness(notifications(), mfa).onModuleInit();
        return mfa;
      }),
    );
    const [a, b] = instances;
    const organizationId = pending.organizationId;
    assert.equal(await b.policy(organizationId), 'off', 'B holds "off" in its cache now');
    const setAt = Date.now();
    await a.setPolicy(organizationId, 'required');
    await eventually(async () => assert.equal(await b.policy(organizationId), 'required'), { timeoutMs: POLICY_CACHE_MS, intervalMs: 20 });
    const took = Date.now() - setAt;
    assert.ok(took < POLICY_CACHE_MS / 5, `B followed in ${took} ms`);
  });
});

describe('signed-in sessions shared by IdP instances', () => {
  it('keep how the person signed in (second factor, passkey) and when they last verified, on another instance', async () => {
    const [one, other] = [await instance(), await instance()];
    const verifiedAt = now - 1000;
    const withPasskey = one.regenerate({ ...one.create(), user: { ...user(), mfa: true, phishingResistant: true, verifiedAt } });
    const passwordOnly = one.regenerate({ ...one.create(), user: { ...user(), sessionIndex: '_s2' } });
    await one.flush();
    const read = await other.resolve(withPasskey.id);
    assert.deepEqual(
      [read?.user?.mfa, read?.user?.phishingResistant, read?.user?.verifiedAt],
      [true, true, verifiedAt],
      'an instance that did not see the sign-in asserts and decides the same',
    );
    const plain = await other.resolve(passwordOnly.id);
    assert.deepEqual([plain?.user?.mfa, plain?.user?.phishingResistant, plain?.user?.verifiedAt], [undefined, undefined, undefined]);
  });
});
