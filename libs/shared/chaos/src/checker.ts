import {
  accessIn,
  accessKey,
  activeRegister,
  boundRegister,
  initialRegisters,
  memberRegister,
  type AdminResult,
  type FaultKind,
  type History,
  type Register,
  type SignInOp,
} from './history';
import { ALWAYS, EMPTY, holds, intersect, meets, normalise, union, type IntervalSet } from './intervals';

/** One finding, with the operation (or register) it is about and why, for a person to look up in the history. */
export interface Anomaly {
  opId?: number;
  register?: Register;
  instance?: string;
  message: string;
}

export interface AvailabilityFigures {
  signIns: number;
  /** Issued or denied: a decision. */
  answered: number;
  unavailable: number;
  /** Neither a decision nor unavailability (500, 429, an assertion the SP rejects). */
  errors: number;
  /** answered / signIns (1 when there were none). */
  share: number;
}

export interface OrganizationAvailability {
  organizationId: string;
  name: string;
  insideFaults: AvailabilityFigures;
  outsideFaults: AvailabilityFigures;
  steady: AvailabilityFigures;
}

export interface FaultRecovery {
  faultId: number;
  kind: FaultKind;
  target: string;
  startMs: number;
  healMs: number;
  /** Sign-ins invoked inside the window, and how many of them were not answered. */
  inWindow: number;
  notAnsweredInWindow: number;
  /**
   * From the heal to the first sign-in that began a streak of answered sign-ins (CheckOptions'
   * `recoveryStreak` in a row, or every one up to the next fault when all were answered); about 0
   * when sign-ins were answered at once; null when no such streak came before the next fault or
   * the end of the run.
   */
  recoveryMs: number | null;
  /** False when no sign-in came after the heal (the run ended): left out of the recovery goal. */
  measured: boolean;
}

export interface KindFigures {
  faults: number;
  notRecovered: number;
  /** Recovery times of the faults that recovered, ms. */
  p50Ms: number | null;
  maxMs: number | null;
}

export interface Goal {
  name: string;
  met: boolean;
  detail: string;
  /** A safety property (a failure is a bug, whatever the machine); the others are goals of service. */
  safety: boolean;
}

export interface CheckReport {
  ops: {
    signIns: Record<SignInOp['outcome'], number>;
    admin: Record<AdminResult, number>;
    /** Sign-ins started right after an admin call's 2xx (the "next sign-in follows it" probe). */
    followUps: number;
  };
  /** An assertion issued although every acknowledged state the sign-in could have seen denied access, after some state granted it. */
  stale: Anomaly[];
  /** A 403 although every acknowledged state the sign-in could have seen granted access. */
  refusedWhileGranted: Anomaly[];
  /** An acknowledged change missing at the end (in the directory and catalog, or in an IdP's decisions). */
  lost: Anomaly[];
  /** Access nobody granted: an assertion while no state ever granted it, one for another person, or a final value never written. */
  phantom: Anomaly[];
  /** What the final read could not establish (nothing unproven passes). */
  unverified: Anomaly[];
  /** Answers that are neither a decision nor unavailability. */
  unexpected: Anomaly[];
  /**
   * Inside fault windows; outside them (from each heal on); and steady: outside them and outside the
   * recovery allowance after each heal (`recoveryGoalMs`), which the recovery goal judges instead.
   */
  availability: {
    insideFaults: AvailabilityFigures;
    outsideFaults: AvailabilityFigures;
    steady: AvailabilityFigures;
    /** The same three for each organisation's sign-ins (those to its applications), when the model names organisations. */
    byOrganization: OrganizationAvailability[];
  };
  recoveries: FaultRecovery[];
  byKind: Partial<Record<FaultKind, KindFigures>>;
  goals: Goal[];
  /** Every safety property holds. */
  safe: boolean;
  /** Every goal, safety and service, is met. */
  allMet: boolean;
}

export interface CheckOptions {
  /** Share of sign-ins outside fault windows that must be answered (0.999). */
  availabilityGoal?: number;
  /** Recovery after any single fault must be under this (2000 ms). */
  recoveryGoalMs?: number;
  /** Answered sign-ins in a row that mark a recovery (5). */
  recoveryStreak?: number;
}

interface Write {
  value: boolean;
  invokeMs: number;
  /** Infinity for an `info` write: it may take effect at any time after its invocation. */
  completeMs: number;
  acknowledged: boolean;
}

/**
 * The times at which each value of a register is possible: a write w of v makes v possible from
 * w's invocation until some acknowledged write that began after w had completed has itself
 * completed (that write is then linearised after w). A value possible at t is one some
 * linearisation of the writes gives at t; the converse may not hold, so every anomaly reported
 * from these sets is real (no false alarm), at the price of missing some.
 */
function possibleValues(initial: boolean, writes: readonly Write[]): Record<'true' | 'false', IntervalSet> {
  const all: Write[] = [{ value: initial, invokeMs: -Infinity, completeMs: -Infinity, acknowledged: true }, ...writes];
  const acknowledged = all.filter((w) => w.acknowledged);
  const spans = { true: [] as [number, number][], false: [] as [number, number][] };
  for (const w of all) {
    let until = Infinity;
    for (const later of acknowledged) if (later !== w && later.invokeMs >= w.completeMs) until = Math.min(until, later.completeMs);
    spans[String(w.value) as 'true' | 'false'].push([w.invokeMs, until]);
  }
  return { true: normalise(spans.true), false: normalise(spans.false) };
}

const emptyFigures = (): AvailabilityFigures => ({ signIns: 0, answered: 0, unavailable: 0, errors: 0, share: 1 });

const answeredOutcome = (op: SignInOp): boolean => op.outcome === 'issued' || op.outcome === 'denied';

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}

/** Checks a recorded history: safety (stale, lost, phantom) and service (availability, recovery). */
export function checkHistory(history: History, options: CheckOptions = {}): CheckReport {
  const availabilityGoal = options.availabilityGoal ?? 0.999;
  const recoveryGoalMs = options.recoveryGoalMs ?? 2000;
  const streak = options.recoveryStreak ?? 5;
  const { model } = history;
  const initial = initialRegisters(model);

  const writes = new Map<Register, Write[]>();
  const adminCounts: Record<AdminResult, number> = { ok: 0, fail: 0, info: 0 };
  const signIns: SignInOp[] = [];
  for (const op of history.ops) {
    if (op.type === 'sign-in') {
      signIns.push(op);
      continue;
    }
    adminCounts[op.result] += 1;
    if (op.result === 'fail') continue;
    const list = writes.get(op.register) ?? [];
    list.push({
      value: op.value,
      invokeMs: op.invokeMs,
      completeMs: op.result === 'ok' ? op.completeMs : Infinity,
      acknowledged: op.result === 'ok',
    });
    writes.set(op.register, list);
  }

  const possible = new Map<Register, Record<'true' | 'false', IntervalSet>>();
  const possibleOf = (r: Register): Record<'true' | 'false', IntervalSet> => {
    let sets = possible.get(r);
    if (!sets) {
      sets = possibleValues(initial[r] ?? false, writes.get(r) ?? []);
      possible.set(r, sets);
    }
    return sets;
  };

  // When access (u, a) may hold, and when it may not, under the same reading of each register.
  const accessSets = new Map<string, { granted: IntervalSet; denied: IntervalSet }>();
  const accessOf = (userId: string, appId: string) => {
    const key = accessKey(userId, appId);
    let sets = accessSets.get(key);
    if (!sets) {
      const active = possibleOf(activeRegister(userId));
      let viaSomeGroup: IntervalSet = EMPTY;
      let viaNoGroup: IntervalSet = ALWAYS;
      for (const g of model.groups) {
        const member = possibleOf(memberRegister(userId, g));
        const bound = possibleOf(boundRegister(g, appId));
        viaSomeGroup = union(viaSomeGroup, intersect(member.true, bound.true));
        viaNoGroup = intersect(viaNoGroup, union(member.false, bound.false));
      }
      sets = { granted: intersect(active.true, viaSomeGroup), denied: union(active.false, viaNoGroup) };
      accessSets.set(key, sets);
    }
    return sets;
  };

  const stale: Anomaly[] = [];
  const refusedWhileGranted: Anomaly[] = [];
  const lost: Anomaly[] = [];
  const phantom: Anomaly[] = [];
  const unverified: Anomaly[] = [];
  const unexpected: Anomaly[] = [];
  const outcomes: Record<SignInOp['outcome'], number> = { issued: 0, denied: 0, unavailable: 0, error: 0 };

  for (const op of signIns) {
    outcomes[op.outcome] += 1;
    const window = `[${op.invokeMs.toFixed(1)}, ${op.completeMs.toFixed(1)}] ms`;
    if (op.outcome === 'issued') {
      if (op.wrongSubject) {
        phantom.push({
          opId: op.id,
          instance: op.instance,
          message: `an assertion for another person than ${op.userId} (${op.detail ?? ''})`,
        });
        continue;
      }
      const { granted } = accessOf(op.userId, op.appId);
      if (meets(granted, op.invokeMs, op.completeMs)) continue;
      if (meets(granted, -Infinity, op.invokeMs))
        stale.push({
          opId: op.id,
          instance: op.instance,
          message: `assertion for ${op.userId} to ${op.appId} in ${window}, after an acknowledged change had removed the access`,
        });
      else
        phantom.push({
          opId: op.id,
          instance: op.instance,
          message: `assertion for ${op.userId} to ${op.appId} in ${window}; no change ever granted that access`,
        });
    } else if (op.outcome === 'denied') {
      const { denied } = accessOf(op.userId, op.appId);
      if (!meets(denied, op.invokeMs, op.completeMs))
        refusedWhileGranted.push({
          opId: op.id,
          instance: op.instance,
          message: `403 for ${op.userId} to ${op.appId} in ${window}, while every acknowledged state granted the access (${op.detail ?? ''})`,
        });
    } else if (op.outcome === 'error') {
      unexpected.push({ opId: op.id, instance: op.instance, message: `sign-in answered ${op.status ?? 'nothing'}: ${op.detail ?? ''}` });
    }
  }

  const final = history.final;
  if (!final) {
    unverified.push({ message: 'the final state was not read' });
  } else {
    for (const message of final.errors) unverified.push({ message });
    for (const register of Object.keys(initial)) {
      const value = final.registers[register];
      if (value === undefined) {
        unverified.push({ register, message: `${register} was not read back` });
        continue;
      }
      if (holds(possibleOf(register)[String(value) as 'true' | 'false'], final.atMs)) continue;
      const everWritten = initial[register] === value || (writes.get(register) ?? []).some((w) => w.value === value);
      (everWritten ? lost : phantom).push({
        register,
        message: everWritten
          ? `${register} reads ${value} at the end, but an acknowledged change made it ${!value}`
          : `${register} reads ${value} at the end; nobody ever asked for that`,
      });
    }
    for (const view of final.idpViews) {
      for (const userId of model.users)
        for (const appId of model.apps) {
          const decided = view.access[accessKey(userId, appId)];
          if (decided === undefined) {
            unverified.push({ instance: view.instance, message: `${view.instance} gave no decision for ${userId} to ${appId}` });
            continue;
          }
          const expected = accessIn(model, (r) => final.registers[r] ?? false, userId, appId);
          if (decided === expected) continue;
          (decided ? phantom : lost).push({
            instance: view.instance,
            message: decided
              ? `${view.instance} would issue to ${userId} for ${appId}, which the directory and the catalog do not grant`
              : `${view.instance} would refuse ${userId} for ${appId}, which the directory and the catalog grant`,
          });
        }
    }
  }

  // Availability inside and outside fault windows, of all sign-ins and of each organisation's.
  const faults = [...history.faults].sort((a, b) => a.startMs - b.startMs);
  const availabilityOf = (ops: readonly SignInOp[]) => {
    const inside = emptyFigures();
    const outside = emptyFigures();
    const steady = emptyFigures();
    const count = (figures: AvailabilityFigures, op: SignInOp) => {
      figures.signIns += 1;
      if (answeredOutcome(op)) figures.answered += 1;
      else if (op.outcome === 'unavailable') figures.unavailable += 1;
      else figures.errors += 1;
    };
    for (const op of ops) {
      if (faults.some((f) => f.startMs <= op.completeMs && op.invokeMs <= f.healMs)) {
        count(inside, op);
        continue;
      }
      count(outside, op);
      if (!faults.some((f) => op.invokeMs >= f.healMs && op.invokeMs < f.healMs + recoveryGoalMs)) count(steady, op);
    }
    for (const figures of [inside, outside, steady]) figures.share = figures.signIns === 0 ? 1 : figures.answered / figures.signIns;
    return { insideFaults: inside, outsideFaults: outside, steady };
  };
  const overall = availabilityOf(signIns);
  const { steady } = overall;
  const byOrganization: OrganizationAvailability[] = (model.organizations ?? []).map((organization) => ({
    organizationId: organization.id,
    name: organization.name,
    ...availabilityOf(signIns.filter((op) => organization.apps.includes(op.appId))),
  }));

  // Recovery after each fault: up to the next fault, or the last sign-in.
  const lastMs = Math.max(0, ...signIns.map((s) => s.completeMs));
  const recoveries: FaultRecovery[] = faults.map((fault, i) => {
    const next = faults[i + 1]?.startMs ?? Infinity;
    const inWindow = signIns.filter((s) => s.invokeMs >= fault.startMs && s.invokeMs < fault.healMs);
    // Sign-ins between the heal and the next fault (one still running when it began is that fault's).
    const after = signIns.filter((s) => s.invokeMs >= fault.healMs && s.completeMs < next).sort((a, b) => a.invokeMs - b.invokeMs);
    // Recovered at the first sign-in that begins `streak` answered ones in a row (or at the first,
    // when every sign-in up to the next fault was answered): one sporadic refusal later is
    // availability, not recovery, and one answer just before the next fault is no recovery.
    let recoveryMs: number | null = null;
    for (let at = 0; at < after.length; at++) {
      const run = after.slice(at, at + streak);
      if (run.every(answeredOutcome) && (run.length === streak || (at === 0 && run.length === after.length))) {
        recoveryMs = Math.max(0, after[at].invokeMs - fault.healMs);
        break;
      }
    }
    return {
      faultId: fault.id,
      kind: fault.kind,
      target: fault.target,
      startMs: fault.startMs,
      healMs: fault.healMs,
      inWindow: inWindow.length,
      notAnsweredInWindow: inWindow.filter((s) => !answeredOutcome(s)).length,
      recoveryMs,
      // A fault healed after the last sign-in: nothing tells whether it recovered.
      measured: after.length > 0 || fault.healMs < lastMs,
    };
  });
  const measured = recoveries.filter((r) => r.measured);
  const byKind: Partial<Record<FaultKind, KindFigures>> = {};
  for (const r of measured) {
    const figures = (byKind[r.kind] ??= { faults: 0, notRecovered: 0, p50Ms: null, maxMs: null });
    figures.faults += 1;
    if (r.recoveryMs === null) figures.notRecovered += 1;
  }
  for (const [kind, figures] of Object.entries(byKind)) {
    const times = measured.filter((r) => r.kind === kind && r.recoveryMs !== null).map((r) => r.recoveryMs as number);
    figures.p50Ms = median(times);
    figures.maxMs = times.length ? Math.max(...times) : null;
  }

  const unrecovered = measured.filter((r) => r.recoveryMs === null);
  const slowest = unrecovered[0] ?? [...measured].sort((a, b) => (b.recoveryMs ?? 0) - (a.recoveryMs ?? 0))[0];
  const percent = (share: number) => `${(share * 100).toFixed(2)}%`;
  const goals: Goal[] = [
    { name: 'no stale assertion', safety: true, met: stale.length === 0, detail: `${stale.length} stale` },
    {
      name: 'no refusal from stale state',
      safety: true,
      met: refusedWhileGranted.length === 0,
      detail: `${refusedWhileGranted.length} refused while granted`,
    },
    { name: 'nothing lost', safety: true, met: lost.length === 0, detail: `${lost.length} lost` },
    { name: 'no phantom access', safety: true, met: phantom.length === 0, detail: `${phantom.length} phantom` },
    { name: 'final state read', safety: true, met: unverified.length === 0, detail: `${unverified.length} unverified` },
    {
      name: `outside fault windows and their recovery allowance >= ${percent(availabilityGoal)} answered`,
      safety: false,
      met: steady.share >= availabilityGoal,
      detail: `${percent(steady.share)} of ${steady.signIns} (${steady.unavailable} unavailable, ${steady.errors} other)`,
    },
    {
      name: `recovery after every fault < ${recoveryGoalMs} ms`,
      safety: false,
      met: unrecovered.length === 0 && measured.every((r) => r.recoveryMs === null || r.recoveryMs < recoveryGoalMs),
      detail:
        measured.length === 0
          ? 'no fault measured'
          : `slowest ${slowest?.recoveryMs === null ? 'not recovered' : `${Math.round(slowest?.recoveryMs ?? 0)} ms`} (${slowest?.kind} ${slowest?.target}); ${unrecovered.length} not recovered`,
    },
    { name: 'no unexpected answer', safety: false, met: unexpected.length === 0, detail: `${unexpected.length} unexpected` },
  ];
  return {
    ops: { signIns: outcomes, admin: adminCounts, followUps: signIns.filter((s) => s.follows !== undefined).length },
    stale,
    refusedWhileGranted,
    lost,
    phantom,
    unverified,
    unexpected,
    availability: { ...overall, byOrganization },
    recoveries,
    byKind,
    goals,
    safe: goals.filter((g) => g.safety).every((g) => g.met),
    allMet: goals.every((g) => g.met),
  };
}
