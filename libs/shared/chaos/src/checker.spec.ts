import assert from 'node:assert/strict';
import { checkHistory } from './checker';
import {
  accessKey,
  activeRegister,
  boundRegister,
  initialRegisters,
  memberRegister,
  type AdminKind,
  type AdminOp,
  type AdminResult,
  type FaultWindow,
  type History,
  type Model,
  type Register,
  type SignInOp,
} from './history';

const ONE_ORGANIZATION: Model = { users: ['u1', 'u2'], groups: ['g1', 'g2'], apps: ['a1'] };

/** Planted histories: each op is written with its times, as the runner would record it. */
class Planted {
  private id = 0;
  readonly history: History;

  constructor(private readonly model: Model = ONE_ORGANIZATION) {
    this.history = { seed: 1, seconds: 1, startedAt: '2026-01-01T00:00:00Z', model, ops: [], faults: [], setup: {} };
  }

  admin(kind: AdminKind, target: { user?: string; group?: string; app?: string }, at: [number, number], result: AdminResult = 'ok'): this {
    const { user = 'u1', group = 'g1', app = 'a1' } = target;
    const [register, value]: [Register, boolean] = {
      'add-member': [memberRegister(user, group), true],
      'remove-member': [memberRegister(user, group), false],
      bind: [boundRegister(group, app), true],
      unbind: [boundRegister(group, app), false],
      suspend: [activeRegister(user), false],
      reactivate: [activeRegister(user), true],
    }[kind] as [Register, boolean];
    const op: AdminOp = {
      type: 'admin',
      id: ++this.id,
      kind,
      register,
      value,
      invokeMs: at[0],
      completeMs: at[1],
      result,
      instance: 'directory@1',
    };
    this.history.ops.push(op);
    return this;
  }

  /** u1 in g1, g1 bound to a1, both acknowledged by 20 ms. */
  granted(): this {
    return this.admin('add-member', {}, [0, 10]).admin('bind', {}, [10, 20]);
  }

  signIn(outcome: SignInOp['outcome'], at: [number, number], extra: Partial<SignInOp> = {}): this {
    this.history.ops.push({
      type: 'sign-in',
      id: ++this.id,
      userId: 'u1',
      appId: 'a1',
      invokeMs: at[0],
      completeMs: at[1],
      outcome,
      instance: 'idp@1',
      ...extra,
    });
    return this;
  }

  fault(kind: FaultWindow['kind'], startMs: number, healMs: number): this {
    this.history.faults.push({ id: ++this.id, kind, target: 'idp@1', startMs, healMs });
    return this;
  }

  /** The final read: every register as `overrides` says, else its initial value; IdP views computed from it unless given. */
  final(overrides: Record<Register, boolean>, idpAccess?: Record<string, boolean>): History {
    const { model } = this;
    const registers = { ...initialRegisters(model), ...overrides };
    const access: Record<string, boolean> = {};
    for (const u of model.users)
      for (const a of model.apps)
        access[accessKey(u, a)] =
          registers[activeRegister(u)] === true &&
          model.groups.some((g) => registers[memberRegister(u, g)] && registers[boundRegister(g, a)]);
    this.history.final = {
      atMs: 100_000,
      registers,
      idpViews: [{ instance: 'idp@1', access: { ...access, ...idpAccess } }],
      errors: [],
    };
    return this.history;
  }
}

const GRANTED_AT_END = { [memberRegister('u1', 'g1')]: true, [boundRegister('g1', 'a1')]: true };

describe('checkHistory on planted histories', () => {
  it('passes a clean history: a grant, sign-ins, a removal, refusals, the final state as acknowledged', () => {
    const history = new Planted()
      .granted()
      .signIn('issued', [30, 40])
      .signIn('issued', [45, 60], { follows: 2 })
      .admin('remove-member', {}, [100, 110])
      .signIn('denied', [111, 120], { follows: 5 })
      .admin('add-member', {}, [200, 210])
      .signIn('issued', [211, 220])
      .final(GRANTED_AT_END);
    const report = checkHistory(history);
    assert.deepEqual(report.ops.signIns, { issued: 3, denied: 1, unavailable: 0, error: 0 });
    assert.equal(report.ops.followUps, 2);
    assert.deepEqual([report.stale, report.refusedWhileGranted, report.lost, report.phantom, report.unverified], [[], [], [], [], []]);
    assert.equal(report.safe, true);
    assert.equal(report.allMet, true);
  });

  it('finds a stale assertion: issued after the removal of the membership answered 2xx', () => {
    const report = checkHistory(
      new Planted()
        .granted()
        .admin('remove-member', {}, [100, 110])
        .signIn('issued', [115, 130])
        .final({ [boundRegister('g1', 'a1')]: true }),
    );
    assert.equal(report.stale.length, 1);
    assert.equal(report.stale[0]?.opId, 4);
    assert.equal(report.safe, false);
    assert.deepEqual(
      report.goals.filter((g) => !g.met).map((g) => g.name),
      ['no stale assertion'],
    );
  });

  it('finds a stale assertion after an unbinding and after a suspension, and the suspension of another person is no reason', () => {
    const unbound = checkHistory(
      new Planted()
        .granted()
        .admin('unbind', {}, [100, 110])
        .signIn('issued', [120, 130])
        .final({ [memberRegister('u1', 'g1')]: true }),
    );
    assert.equal(unbound.stale.length, 1);
    assert.deepEqual(unbound.lost, []);
    const suspended = checkHistory(
      new Planted()
        .granted()
        .admin('suspend', {}, [100, 110])
        .signIn('issued', [120, 130])
        .final({ ...GRANTED_AT_END, [activeRegister('u1')]: false }),
    );
    assert.equal(suspended.stale.length, 1);
    const other = checkHistory(
      new Planted()
        .granted()
        .admin('suspend', { user: 'u2' }, [100, 110])
        .signIn('issued', [120, 130])
        .final({ ...GRANTED_AT_END, [activeRegister('u2')]: false }),
    );
    assert.equal(other.stale.length, 0);
    assert.equal(other.safe, true);
  });

  it('does not call stale what a concurrent or unconfirmed removal may not yet have done', () => {
    // The sign-in began before the removal answered: it may be linearised before it.
    const concurrent = checkHistory(
      new Planted()
        .granted()
        .admin('remove-member', {}, [100, 110])
        .signIn('issued', [105, 130])
        .final({ [boundRegister('g1', 'a1')]: true }),
    );
    assert.equal(concurrent.stale.length, 0);
    assert.equal(concurrent.safe, true);
    // A 503 for the removal: it may take effect later, or never; both answers are legal after it.
    const unconfirmed = checkHistory(
      new Planted()
        .granted()
        .admin('remove-member', {}, [100, 110], 'info')
        .signIn('issued', [120, 130])
        .signIn('denied', [140, 150])
        .final({ [boundRegister('g1', 'a1')]: true }),
    );
    assert.deepEqual([unconfirmed.stale, unconfirmed.refusedWhileGranted, unconfirmed.lost], [[], [], []]);
    // Access through another group still bound survives the removal from one.
    const otherGroup = checkHistory(
      new Planted()
        .granted()
        .admin('add-member', { group: 'g2' }, [20, 30])
        .admin('bind', { group: 'g2' }, [30, 40])
        .admin('remove-member', {}, [100, 110])
        .signIn('issued', [120, 130])
        .final({ [boundRegister('g1', 'a1')]: true, [memberRegister('u1', 'g2')]: true, [boundRegister('g2', 'a1')]: true }),
    );
    assert.equal(otherGroup.stale.length, 0);
    assert.equal(otherGroup.safe, true);
  });

  it('ignores a refused change (4xx): a removal that failed leaves the access', () => {
    const report = checkHistory(
      new Planted().granted().admin('remove-member', {}, [100, 110], 'fail').signIn('issued', [120, 130]).final(GRANTED_AT_END),
    );
    assert.equal(report.stale.length, 0);
    assert.equal(report.safe, true);
  });

  it('finds phantom access: an assertion nobody granted, and one naming another person', () => {
    const never = checkHistory(
      new Planted()
        .admin('add-member', {}, [0, 10])
        .signIn('issued', [20, 30])
        .final({ [memberRegister('u1', 'g1')]: true }),
    );
    assert.equal(never.phantom.length, 1);
    assert.match(never.phantom[0]?.message ?? '', /no change ever granted/);
    const other = checkHistory(new Planted().granted().signIn('issued', [30, 40], { wrongSubject: true }).final(GRANTED_AT_END));
    assert.equal(other.phantom.length, 1);
    assert.equal(other.safe, false);
  });

  it('finds a refusal from stale state: 403 although the grant had answered 2xx', () => {
    const report = checkHistory(new Planted().granted().signIn('denied', [30, 40]).final(GRANTED_AT_END));
    assert.equal(report.refusedWhileGranted.length, 1);
    assert.equal(report.safe, false);
    // Overlapping the grant, a refusal is legal.
    assert.equal(checkHistory(new Planted().granted().signIn('denied', [15, 40]).final(GRANTED_AT_END)).refusedWhileGranted.length, 0);
  });

  it('finds a lost change at the end: the directory without an acknowledged membership', () => {
    const report = checkHistory(new Planted().granted().final({ [boundRegister('g1', 'a1')]: true }));
    assert.equal(report.lost.length, 1);
    assert.equal(report.lost[0]?.register, memberRegister('u1', 'g1'));
    // An unconfirmed change may be there or not.
    const maybe = new Planted().granted().admin('remove-member', {}, [50, 60], 'info');
    assert.equal(checkHistory(maybe.final(GRANTED_AT_END)).lost.length, 0);
    assert.equal(
      checkHistory(
        new Planted()
          .granted()
          .admin('remove-member', {}, [50, 60], 'info')
          .final({ [boundRegister('g1', 'a1')]: true }),
      ).lost.length,
      0,
    );
  });

  it("finds a final value nobody wrote (phantom) and an IdP whose decisions differ from the directory's and the catalog's", () => {
    const written = checkHistory(new Planted().granted().final({ ...GRANTED_AT_END, [memberRegister('u2', 'g2')]: true }));
    assert.equal(written.phantom.length, 1);
    assert.match(written.phantom[0]?.message ?? '', /nobody ever asked/);

    const idpLost = checkHistory(new Planted().granted().final(GRANTED_AT_END, { [accessKey('u1', 'a1')]: false }));
    assert.equal(idpLost.lost.length, 1);
    assert.match(idpLost.lost[0]?.message ?? '', /idp@1 would refuse u1/);
    const idpPhantom = checkHistory(new Planted().granted().final(GRANTED_AT_END, { [accessKey('u2', 'a1')]: true }));
    assert.equal(idpPhantom.phantom.length, 1);
  });

  it('fails when the final state was not read: nothing unproven passes', () => {
    const history = new Planted().granted().final(GRANTED_AT_END);
    history.final?.errors.push('directory: 503');
    const report = checkHistory(history);
    assert.equal(report.unverified.length, 1);
    assert.equal(report.safe, false);
    const none = new Planted().granted().history;
    assert.equal(checkHistory(none).safe, false);
  });

  it('measures availability inside and outside fault windows, and the recovery after each fault', () => {
    const history = new Planted()
      .granted()
      .signIn('issued', [100, 110])
      .fault('kill-nats', 1000, 2000)
      .signIn('unavailable', [1100, 1200], { status: 503 })
      .signIn('unavailable', [1900, 2100], { status: 503 })
      .signIn('unavailable', [2200, 2300], { status: 503 })
      .signIn('unavailable', [2400, 2450], { status: 503 })
      .signIn('issued', [2500, 2600])
      .signIn('issued', [2700, 2750])
      .signIn('issued', [2800, 2850])
      .signIn('issued', [2900, 2950])
      .signIn('issued', [3000, 3050])
      .fault('kill-postgres', 5000, 5500)
      .signIn('issued', [5600, 5650])
      .final(GRANTED_AT_END);
    const report = checkHistory(history);
    assert.deepEqual(report.availability.insideFaults, { signIns: 2, answered: 0, unavailable: 2, errors: 0, share: 0 });
    assert.deepEqual(report.availability.outsideFaults, { signIns: 9, answered: 7, unavailable: 2, errors: 0, share: 7 / 9 });
    // Steady: neither in a window nor in the 2 s after a heal (the recovery goal judges those).
    assert.deepEqual(report.availability.steady, { signIns: 1, answered: 1, unavailable: 0, errors: 0, share: 1 });
    assert.deepEqual(
      report.recoveries.map((r) => [r.kind, r.recoveryMs, r.inWindow, r.notAnsweredInWindow]),
      [
        ['kill-nats', 500, 2, 2],
        ['kill-postgres', 100, 0, 0],
      ],
    );
    assert.deepEqual(report.byKind['kill-nats'], { faults: 1, notRecovered: 0, p50Ms: 500, maxMs: 500 });
    assert.equal(report.safe, true);
    assert.equal(report.allMet, true);
    // One refusal in steady state misses the availability goal.
    const steadyPlan = new Planted().granted().fault('kill-nats', 1000, 2000);
    for (let t = 2100; t < 2600; t += 100) steadyPlan.signIn('issued', [t, t + 50]);
    const steadyMiss = checkHistory(steadyPlan.signIn('unavailable', [9000, 9100]).final(GRANTED_AT_END));
    assert.deepEqual(
      steadyMiss.goals.filter((g) => !g.met).map((g) => g.name),
      ['outside fault windows and their recovery allowance >= 99.90% answered'],
    );
  });

  it('reports a fault after which sign-ins never came back, and a slow recovery, as missed goals', () => {
    const never = checkHistory(
      new Planted()
        .granted()
        .fault('partition-service-nats', 1000, 2000)
        .signIn('unavailable', [2100, 2200])
        .signIn('unavailable', [2300, 2400])
        .final(GRANTED_AT_END),
    );
    assert.equal(never.recoveries[0]?.recoveryMs, null);
    assert.equal(never.byKind['partition-service-nats']?.notRecovered, 1);
    // One answer after the refusals, just before the next fault, is no recovery.
    const late = checkHistory(
      new Planted()
        .granted()
        .fault('kill-nats', 1000, 2000)
        .signIn('unavailable', [2100, 2200])
        .signIn('issued', [2300, 2400])
        .fault('kill-postgres', 2500, 3000)
        .final(GRANTED_AT_END),
    );
    assert.equal(late.recoveries[0]?.recoveryMs, null);
    const slowPlan = new Planted().granted().fault('kill-service', 1000, 2000).signIn('unavailable', [2100, 4000]);
    for (let t = 4100; t < 4600; t += 100) slowPlan.signIn('issued', [t, t + 100]);
    const slow = checkHistory(slowPlan.final(GRANTED_AT_END));
    assert.equal(slow.recoveries[0]?.recoveryMs, 2100);
    const recoveryGoal = slow.goals.find((g) => g.name.startsWith('recovery'));
    assert.equal(recoveryGoal?.met, false);
    assert.match(recoveryGoal?.detail ?? '', /slowest 2100 ms \(kill-service idp@1\)/);
    assert.equal(slow.safe, true);
    // One refusal long after the streak of answers that marked the recovery is availability, not recovery.
    const sporadic = new Planted().granted().fault('pause-service', 1000, 2000);
    for (let t = 2100; t < 3000; t += 100) sporadic.signIn('issued', [t, t + 50]);
    sporadic.signIn('unavailable', [3000, 3050]).signIn('issued', [3100, 3150]);
    const report = checkHistory(sporadic.final(GRANTED_AT_END));
    assert.equal(report.recoveries[0]?.recoveryMs, 100);
    assert.equal(report.availability.outsideFaults.unavailable, 1);
    // A sign-in cut by the next fault belongs to that fault, not to the recovery from this one.
    const cut = checkHistory(
      new Planted()
        .granted()
        .fault('partition-service-nats', 1000, 2000)
        .signIn('issued', [2100, 2200])
        .signIn('unavailable', [2900, 3500], { detail: 'ECONNRESET' })
        .fault('kill-service', 3000, 4000)
        .signIn('issued', [4100, 4200])
        .final(GRANTED_AT_END),
    );
    assert.deepEqual(
      cut.recoveries.map((r) => r.recoveryMs),
      [100, 100],
    );
  });

  it('counts an answer that is neither a decision nor unavailability as unexpected', () => {
    const report = checkHistory(
      new Planted().granted().signIn('error', [30, 40], { status: 500, detail: 'Internal Server Error' }).final(GRANTED_AT_END),
    );
    assert.equal(report.unexpected.length, 1);
    assert.equal(report.safe, true);
    assert.equal(report.allMet, false);
  });

  describe('with two organisations (every id in one of them)', () => {
    const two: Model = {
      users: ['uA', 'uB'],
      groups: ['gA', 'gB'],
      apps: ['aA', 'aB'],
      organizations: [
        { id: 'oA', name: 'A', users: ['uA'], groups: ['gA'], apps: ['aA'] },
        { id: 'oB', name: 'B', users: ['uB'], groups: ['gB'], apps: ['aB'] },
      ],
    };
    // Each person in their organisation's group, bound to its application, by 40 ms.
    const bothGranted = () =>
      new Planted(two)
        .admin('add-member', { user: 'uA', group: 'gA' }, [0, 10])
        .admin('bind', { group: 'gA', app: 'aA' }, [10, 20])
        .admin('add-member', { user: 'uB', group: 'gB' }, [20, 30])
        .admin('bind', { group: 'gB', app: 'aB' }, [30, 40]);
    const bothAtEnd = {
      [memberRegister('uA', 'gA')]: true,
      [boundRegister('gA', 'aA')]: true,
      [memberRegister('uB', 'gB')]: true,
      [boundRegister('gB', 'aB')]: true,
    };

    it('passes when each organisation grants its own, and finds an assertion or a final decision across them phantom', () => {
      const clean = bothGranted()
        .signIn('issued', [50, 60], { userId: 'uA', appId: 'aA' })
        .signIn('issued', [50, 60], { userId: 'uB', appId: 'aB' })
        .final(bothAtEnd);
      const report = checkHistory(clean);
      assert.deepEqual([report.stale, report.lost, report.phantom, report.unverified], [[], [], [], []]);
      assert.equal(report.safe, true);

      // A's person let into B's application: no change ever granted it, though the person may sign in to A's.
      const across = checkHistory(
        bothGranted()
          .signIn('issued', [50, 60], { userId: 'uA', appId: 'aB' })
          .final(bothAtEnd, { [accessKey('uA', 'aB')]: true }),
      );
      assert.deepEqual(
        across.phantom.map((a) => a.message.split(' ').slice(0, 4).join(' ')),
        ['assertion for uA to', 'idp@1 would issue to'],
      );
      assert.equal(across.safe, false);
    });

    it("finds one organisation's stale assertion while the other's are right", () => {
      const report = checkHistory(
        bothGranted()
          .admin('remove-member', { user: 'uB', group: 'gB' }, [100, 110])
          .signIn('issued', [120, 130], { userId: 'uA', appId: 'aA' })
          .signIn('issued', [120, 130], { userId: 'uB', appId: 'aB' })
          .final({ ...bothAtEnd, [memberRegister('uB', 'gB')]: false }),
      );
      // Op 7, B's person after B's removal; op 6, A's person, was granted throughout.
      assert.deepEqual(
        report.stale.map((a) => a.opId),
        [7],
      );
      assert.deepEqual(report.phantom, []);
    });

    it('measures availability for each organisation (its sign-ins are those to its applications)', () => {
      const report = checkHistory(
        bothGranted()
          .fault('partition-service-nats', 1000, 2000)
          .signIn('issued', [500, 600], { userId: 'uA', appId: 'aA' })
          .signIn('unavailable', [1100, 1200], { userId: 'uA', appId: 'aA', status: 503 })
          .signIn('issued', [1100, 1200], { userId: 'uB', appId: 'aB' })
          .signIn('unavailable', [5000, 5100], { userId: 'uB', appId: 'aB', status: 503 })
          .signIn('issued', [5200, 5300], { userId: 'uB', appId: 'aB' })
          .final(bothAtEnd),
      );
      const figures = (signIns: number, answered: number) => ({
        signIns,
        answered,
        unavailable: signIns - answered,
        errors: 0,
        share: signIns === 0 ? 1 : answered / signIns,
      });
      assert.deepEqual(report.availability.byOrganization, [
        { organizationId: 'oA', name: 'A', insideFaults: figures(1, 0), outsideFaults: figures(1, 1), steady: figures(1, 1) },
        { organizationId: 'oB', name: 'B', insideFaults: figures(1, 1), outsideFaults: figures(2, 1), steady: figures(2, 1) },
      ]);
      assert.deepEqual(report.availability.steady, figures(3, 2));
      // A model without organisations (a history recorded before them) has no such figures.
      assert.deepEqual(checkHistory(new Planted().granted().final(GRANTED_AT_END)).availability.byOrganization, []);
    });
  });
});
