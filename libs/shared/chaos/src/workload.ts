import { performance } from 'node:perf_hooks';
import {
  activeRegister,
  boundRegister,
  memberRegister,
  type AdminKind,
  type AdminOp,
  type AdminResult,
  type FaultWindow,
  type ModelOrganization,
  type Register,
  type SignInOp,
} from './history';
import type { Prng } from './prng';
import type { Router } from './router';
import type { ServiceName } from './system';
import { describe, type Person, type SpClient } from './sp-client';

/** The one clock of a run (ms since it began) and the list every operation and fault is written to. */
export class Recorder {
  private readonly t0 = performance.now();
  private nextId = 0;
  readonly ops: (AdminOp | SignInOp)[] = [];
  readonly faults: FaultWindow[] = [];

  now(): number {
    return performance.now() - this.t0;
  }

  id(): number {
    return ++this.nextId;
  }
}

/** An organisation as the workload acts in it: its objects and the API key its admin calls carry. */
export interface WorkloadOrganization extends ModelOrganization {
  apiKey: string;
}

export interface AdminTarget {
  userId?: string;
  groupId?: string;
  appId?: string;
}

const WRITES: Record<AdminKind, { service: ServiceName; value: boolean }> = {
  'add-member': { service: 'directory', value: true },
  'remove-member': { service: 'directory', value: false },
  bind: { service: 'catalog', value: true },
  unbind: { service: 'catalog', value: false },
  suspend: { service: 'directory', value: false },
  reactivate: { service: 'directory', value: true },
};

export interface WorkloadOptions {
  adminWorkers: number;
  signInWorkers: number;
  /** Chance that an acknowledged admin change is followed at once by a sign-in it affects. */
  followUpChance: number;
  requestTimeoutMs: number;
}

/**
 * The workload: admin changes (memberships, bindings, user state) through the directory and
 * catalog instances, and concurrent sign-ins through the IdP instances, each recorded with its
 * invoke and complete times, result and instance. Each change or sign-in is within one
 * organisation, drawn among all of them, and an admin call carries that organisation's key. The
 * seeded generators choose what is done; the machine decides the timing.
 */
export class Workload {
  /** What the acknowledged changes say (the workload's guess, to aim follow-up sign-ins at people a change affects). */
  private readonly believed = new Map<Register, boolean>();

  constructor(
    private readonly organizations: readonly WorkloadOrganization[],
    private readonly people: Map<string, Person>,
    private readonly sps: Map<string, SpClient>,
    private readonly router: Router,
    private readonly recorder: Recorder,
    private readonly options: WorkloadOptions,
  ) {}

  /** One admin change in `organization` (made with its key), recorded. */
  async admin(organization: WorkloadOrganization, kind: AdminKind, target: AdminTarget, setup = false): Promise<AdminOp> {
    const { userId = '', groupId = '', appId = '' } = target;
    const { service, value } = WRITES[kind];
    const register = {
      'add-member': () => memberRegister(userId, groupId),
      'remove-member': () => memberRegister(userId, groupId),
      bind: () => boundRegister(groupId, appId),
      unbind: () => boundRegister(groupId, appId),
      suspend: () => activeRegister(userId),
      reactivate: () => activeRegister(userId),
    }[kind]();
    const json = (body: unknown) => ({
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'x-api-key': organization.apiKey },
    });
    const key = { headers: { 'x-api-key': organization.apiKey } };
    const [method, path, init] = {
      'add-member': () => ['POST', `/v1/user-groups/${groupId}/members`, json({ userId })] as const,
      'remove-member': () => ['DELETE', `/v1/user-groups/${groupId}/members/${userId}`, key] as const,
      bind: () => ['POST', `/v1/applications/${appId}/user-groups`, json({ groupId })] as const,
      unbind: () => ['DELETE', `/v1/applications/${appId}/user-groups/${groupId}`, key] as const,
      suspend: () => ['PATCH', `/v1/users/${userId}`, json({ state: 'SUSPENDED' })] as const,
      reactivate: () => ['PATCH', `/v1/users/${userId}`, json({ state: 'ACTIVATED' })] as const,
    }[kind]();
    const invokeMs = this.recorder.now();
    const answer = await this.router.request(service, path, { method, ...init, timeoutMs: this.options.requestTimeoutMs });
    let result: AdminResult;
    let status: number | undefined;
    let detail: string | undefined;
    if (answer.response) {
      status = answer.response.status;
      const text = await answer.response.text().catch(() => '');
      // 2xx: acknowledged. 4xx: refused, nothing changed. 5xx: unknown (a 503 may have kept the change for the relay).
      result = status < 300 ? 'ok' : status < 500 ? 'fail' : 'info';
      if (result !== 'ok') detail = text.slice(0, 200);
    } else {
      // A cut connection or a timeout: the call may have been carried out.
      result = 'info';
      detail = describe(answer.error);
    }
    const op: AdminOp = {
      type: 'admin',
      id: this.recorder.id(),
      kind,
      register,
      value,
      invokeMs,
      completeMs: this.recorder.now(),
      result,
      status,
      detail,
      instance: answer.instance,
      ...(setup ? { setup } : {}),
    };
    this.recorder.ops.push(op);
    if (result === 'ok') this.believed.set(register, value);
    return op;
  }

  /** Each person's browser signs in to one application at a time (a second flow would replace the first's form). */
  private readonly browsers = new Map<string, Promise<unknown>>();

  /** One sign-in, recorded (invoked once the person's browser is free). */
  async signIn(userId: string, appId: string, follows?: number): Promise<SignInOp> {
    const previous = this.browsers.get(userId) ?? Promise.resolve();
    const turn = previous.then(() => this.signInNow(userId, appId, follows));
    this.browsers.set(
      userId,
      turn.catch(() => undefined),
    );
    return turn;
  }

  private async signInNow(userId: string, appId: string, follows?: number): Promise<SignInOp> {
    const person = this.people.get(userId);
    const sp = this.sps.get(appId);
    if (!person || !sp) throw new Error(`unknown person ${userId} or application ${appId}`);
    const invokeMs = this.recorder.now();
    const answer = await sp.signIn(person);
    const op: SignInOp = {
      type: 'sign-in',
      id: this.recorder.id(),
      userId,
      appId,
      invokeMs,
      completeMs: this.recorder.now(),
      outcome: answer.outcome,
      status: answer.status,
      detail: answer.detail,
      instance: answer.instance,
      ...(follows === undefined ? {} : { follows }),
      ...(answer.wrongSubject ? { wrongSubject: true } : {}),
    };
    this.recorder.ops.push(op);
    return op;
  }

  /** Runs the admin and sign-in workers until `untilMs` (the recorder's clock). */
  async run(rng: Prng, untilMs: number): Promise<void> {
    const workers: Promise<void>[] = [];
    for (let i = 0; i < this.options.adminWorkers; i++) workers.push(this.adminWorker(rng.fork(), untilMs));
    for (let i = 0; i < this.options.signInWorkers; i++) workers.push(this.signInWorker(rng.fork(), untilMs));
    await Promise.all(workers);
  }

  private async adminWorker(rng: Prng, untilMs: number): Promise<void> {
    while (this.recorder.now() < untilMs) {
      const began = this.recorder.now();
      const organization = rng.pick(this.organizations);
      const { users, groups, apps } = organization;
      const kind = rng.weighted<AdminKind>({ 'add-member': 3, 'remove-member': 2, bind: 2, unbind: 1, suspend: 0.7, reactivate: 1.5 });
      const target = { userId: rng.pick(users), groupId: rng.pick(groups), appId: rng.pick(apps) };
      const op = await this.admin(organization, kind, target);
      if (op.result === 'ok' && rng.next() < this.options.followUpChance) {
        // The next sign-in after the 2xx, by someone the change concerns.
        const members = users.filter((u) => this.believed.get(memberRegister(u, target.groupId)));
        const userId = kind === 'bind' || kind === 'unbind' ? rng.pick(members.length ? members : users) : target.userId;
        await this.signIn(userId, kind === 'bind' || kind === 'unbind' ? target.appId : rng.pick(apps), op.id);
      }
      await pace(began, rng.between(150, 350), this.recorder);
    }
  }

  private async signInWorker(rng: Prng, untilMs: number): Promise<void> {
    while (this.recorder.now() < untilMs) {
      const began = this.recorder.now();
      const { users, apps } = rng.pick(this.organizations);
      await this.signIn(rng.pick(users), rng.pick(apps));
      await pace(began, rng.between(100, 250), this.recorder);
    }
  }
}

/**
 * Each worker's turn takes at least `ms`: a refusal that comes at once (no instance ready) does not
 * turn into a flood of attempts that would outweigh the rest of the run in the shares.
 */
function pace(began: number, ms: number, recorder: Recorder): Promise<void> {
  return sleep(Math.max(0, began + ms - recorder.now()));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
