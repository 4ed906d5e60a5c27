/**
 * What a chaos run records: every operation with the times it was invoked and completed (ms since
 * the run started, one clock: the runner's), its result and the instance that served it, and every
 * fault window. The checker reads nothing else.
 *
 * The state the workload changes is a set of boolean registers, each written by exactly one kind
 * of admin call:
 * - `member:<userId>:<groupId>`  the person is in the group (add / remove a member)
 * - `bound:<groupId>:<appId>`    the group is authorised for the application (bind / unbind)
 * - `active:<userId>`            the person's state is ACTIVATED (reactivate / suspend)
 * A person may sign in to an application while active and in some group bound to it.
 */

export type Register = string;

export const memberRegister = (userId: string, groupId: string): Register => `member:${userId}:${groupId}`;
export const boundRegister = (groupId: string, appId: string): Register => `bound:${groupId}:${appId}`;
export const activeRegister = (userId: string): Register => `active:${userId}`;

/** One organisation of a run and the people, groups and applications it holds (each id is in one). */
export interface ModelOrganization {
  id: string;
  name: string;
  users: string[];
  groups: string[];
  apps: string[];
}

/**
 * The people, groups and applications of a run, of every organisation together: the registers are
 * their combinations (ids are UUIDs, so a register names one organisation's objects; one that
 * combines two organisations' is never written and reads false at the end).
 */
export interface Model {
  users: string[];
  groups: string[];
  apps: string[];
  /** Which organisation holds what (absent in histories recorded with one organisation). */
  organizations?: ModelOrganization[];
}

/** Every register of a model and its value before the first operation (nobody in a group, no binding, everybody active). */
export function initialRegisters(model: Model): Record<Register, boolean> {
  const registers: Record<Register, boolean> = {};
  for (const u of model.users) {
    registers[activeRegister(u)] = true;
    for (const g of model.groups) registers[memberRegister(u, g)] = false;
  }
  for (const g of model.groups) for (const a of model.apps) registers[boundRegister(g, a)] = false;
  return registers;
}

/** Whether `userId` may sign in to `appId` in a state where each register reads `value(r)`. */
export function accessIn(model: Model, value: (r: Register) => boolean, userId: string, appId: string): boolean {
  return value(activeRegister(userId)) && model.groups.some((g) => value(memberRegister(userId, g)) && value(boundRegister(g, appId)));
}

export type AdminKind = 'add-member' | 'remove-member' | 'bind' | 'unbind' | 'suspend' | 'reactivate';

/**
 * `ok`: 2xx, the change is acknowledged. `fail`: a definite refusal (4xx), nothing changed.
 * `info`: unknown (503, a cut connection, a timeout): the change may or may not take effect, at any
 * time after it was invoked (the directory keeps a change NATS did not confirm and publishes it later).
 */
export type AdminResult = 'ok' | 'fail' | 'info';

export interface AdminOp {
  type: 'admin';
  id: number;
  kind: AdminKind;
  register: Register;
  /** The value the call writes into `register`. */
  value: boolean;
  invokeMs: number;
  completeMs: number;
  result: AdminResult;
  /** HTTP status, or undefined when no answer came. */
  status?: number;
  /** The answer's error code or the transport error, for a reader of the history. */
  detail?: string;
  /** The instance that answered (or was tried last). */
  instance: string;
  /** A setup step (before the workload and the nemesis start). */
  setup?: boolean;
}

/**
 * `issued`: a signed assertion an SP (node-saml) accepted, for this person. `denied`: a decision
 * against access (403). `unavailable`: refused for unavailability (503, no instance ready, a cut
 * connection, a timeout). `error`: any other answer (500, 429, an assertion the SP rejects).
 */
export type SignInOutcome = 'issued' | 'denied' | 'unavailable' | 'error';

export interface SignInOp {
  type: 'sign-in';
  id: number;
  userId: string;
  appId: string;
  invokeMs: number;
  completeMs: number;
  outcome: SignInOutcome;
  status?: number;
  detail?: string;
  instance: string;
  /** The admin op this sign-in was started right after (the "next sign-in after a 2xx" probe). */
  follows?: number;
  /** The assertion named another person than the one signing in. */
  wrongSubject?: boolean;
}

export type FaultKind = 'kill-service' | 'pause-service' | 'partition-service-nats' | 'kill-nats' | 'kill-postgres';

export interface FaultWindow {
  id: number;
  kind: FaultKind;
  /** What was hit: `idp@23001`, `nats`, `nats:n2`, `postgres`. */
  target: string;
  /** When the fault began (kill, SIGSTOP, cut). */
  startMs: number;
  /** When it was undone and the component was back (restarted and listening, SIGCONT, joined). */
  healMs: number;
  detail?: string;
}

/** What the system holds once the run is over, every fault healed and every instance ready again. */
export interface FinalRead {
  atMs: number;
  /** Each register as read back from the directory and the catalog. */
  registers: Record<Register, boolean>;
  /** Each IdP instance's decision (its assertion preview) for every person and application. */
  idpViews: { instance: string; access: Record<string, boolean> }[];
  /** Anything that could not be read (the check then fails: nothing unproven passes). */
  errors: string[];
}

export interface History {
  seed: number;
  seconds: number;
  startedAt: string;
  model: Model;
  ops: (AdminOp | SignInOp)[];
  faults: FaultWindow[];
  final?: FinalRead;
  /** How the run was set up (instances, NATS topology), for the reader. */
  setup: Record<string, unknown>;
}

export const accessKey = (userId: string, appId: string): string => `${userId}:${appId}`;
