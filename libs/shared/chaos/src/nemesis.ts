import type { FaultKind, FaultWindow } from './history';
import type { Prng } from './prng';
import { ClusterNats, type ChaosSystem, type Instance } from './system';
import { sleep, type Recorder } from './workload';

/** One fault of the schedule, chosen before the run from the seed. */
export interface PlannedFault {
  /** Quiet time before it, after the previous fault healed. */
  gapMs: number;
  kind: FaultKind;
  /** `kill-service`: which service; `pause-service` and `partition-service-nats`: any. */
  service?: 'directory' | 'catalog' | 'idp';
  /** Which instance of it (index, modulo the count). */
  instance: number;
  /** How long a pause, a partition or a downed NATS or PostgreSQL lasts; a killed instance restarts at once. */
  durationMs: number;
  partition?: 'cut' | 'blackhole';
}

/** The kinds of fault, each taken once per round in a seeded order, so that a short run still sees them all. */
const ROUND: { kind: FaultKind; service?: PlannedFault['service'] }[] = [
  { kind: 'kill-service', service: 'idp' },
  { kind: 'kill-service', service: 'directory' },
  { kind: 'kill-service', service: 'catalog' },
  { kind: 'pause-service' },
  { kind: 'partition-service-nats' },
  { kind: 'kill-nats' },
  { kind: 'kill-postgres' },
];

/** The schedule of a run: enough rounds to fill any length; the nemesis stops at the deadline. */
export function planFaults(rng: Prng, count = 200): PlannedFault[] {
  const plan: PlannedFault[] = [];
  while (plan.length < count) {
    for (const { kind, service } of rng.shuffle(ROUND)) {
      plan.push({
        gapMs: Math.round(rng.between(2000, 4000)),
        kind,
        service: service ?? rng.pick(['directory', 'catalog', 'idp'] as const),
        instance: Math.floor(rng.next() * 8),
        durationMs: Math.round(kind === 'kill-nats' || kind === 'kill-postgres' ? rng.between(300, 1500) : rng.between(1000, 3000)),
        ...(kind === 'partition-service-nats' ? { partition: rng.pick(['cut', 'blackhole'] as const) } : {}),
      });
    }
  }
  return plan;
}

/**
 * Carries out the schedule, one fault at a time, until the deadline, and writes each fault's
 * window (from the fault to the heal, the component back) to the history.
 */
export class Nemesis {
  private stopped = false;

  constructor(
    private readonly system: ChaosSystem,
    private readonly recorder: Recorder,
    private readonly log: (line: string) => void,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /** Faults begin until `quietMs` before `untilMs`, so that the recovery after the last one is seen too. */
  async run(plan: readonly PlannedFault[], untilMs: number, quietMs = 4000): Promise<void> {
    const lastStart = untilMs - quietMs;
    for (const fault of plan) {
      await this.wait(fault.gapMs, lastStart);
      if (this.stopped || this.recorder.now() >= lastStart) return;
      await this.inflict(fault);
    }
  }

  private async wait(ms: number, untilMs: number): Promise<void> {
    const end = Math.min(this.recorder.now() + ms, untilMs);
    while (!this.stopped && this.recorder.now() < end) await sleep(Math.min(100, end - this.recorder.now()));
  }

  private pickInstance(fault: PlannedFault): Instance {
    const of = this.system.of(fault.service ?? 'idp');
    const instance = of[fault.instance % of.length];
    if (!instance) throw new Error(`no ${fault.service} instance`);
    return instance;
  }

  /** Starts the instance until a process stays up (at most 5 tries): what each failed start said. */
  private async restart(instance: Instance): Promise<string[]> {
    const failures: string[] = [];
    for (;;) {
      try {
        await instance.start('live');
        return failures;
      } catch (error) {
        const said = (error as Error).message.split('\n').find((line) => /error|timeout/i.test(line)) ?? (error as Error).message;
        failures.push(said.slice(0, 200));
        this.log(`  ${instance.name} failed to start: ${said.slice(0, 200)}`);
        if (failures.length >= 5) throw error;
        await sleep(500);
      }
    }
  }

  private async inflict(fault: PlannedFault): Promise<void> {
    let target = '';
    let detail: string | undefined;
    const startMs = this.recorder.now();
    switch (fault.kind) {
      case 'kill-service': {
        const instance = this.pickInstance(fault);
        target = instance.name;
        await instance.kill();
        // Restarted at once, as a supervisor would (again when the new process exits while
        // starting); healed once a new process answers /health.
        const failures = await this.restart(instance);
        if (failures.length) detail = `restarted after ${failures.length} failed start(s): ${failures.join(' | ')}`;
        break;
      }
      case 'pause-service': {
        const instance = this.pickInstance(fault);
        target = instance.name;
        instance.pause();
        await sleep(fault.durationMs);
        instance.resume();
        break;
      }
      case 'partition-service-nats': {
        const instance = this.pickInstance(fault);
        target = instance.name;
        detail = fault.partition;
        for (const relay of instance.relays) {
          if (fault.partition === 'blackhole') relay.blackhole();
          else relay.cut();
        }
        await sleep(fault.durationMs);
        for (const relay of instance.relays) await relay.heal();
        break;
      }
      case 'kill-nats': {
        const nats = this.system.nats;
        // In a cluster, the leader of the DIRECTORY stream when there is one: the node whose loss costs most.
        const leader = nats instanceof ClusterNats ? await nats.leaderOf('chaos_DIRECTORY') : undefined;
        const node = leader && nats.nodes.includes(leader) ? leader : (nats.nodes[fault.instance % nats.nodes.length] ?? 'nats');
        target = nats.kind === 'single' ? 'nats' : `nats:${node}`;
        await nats.kill(node);
        await sleep(fault.durationMs);
        await nats.restart(node);
        break;
      }
      case 'kill-postgres': {
        target = 'postgres';
        await this.system.postgres.kill();
        await sleep(fault.durationMs);
        await this.system.postgres.start();
        break;
      }
    }
    const window: FaultWindow = {
      id: this.recorder.id(),
      kind: fault.kind,
      target,
      startMs,
      healMs: this.recorder.now(),
      ...(detail ? { detail } : {}),
    };
    this.recorder.faults.push(window);
    this.log(
      `  fault ${window.kind} ${window.target}${detail ? ` (${detail})` : ''}: ${(window.startMs / 1000).toFixed(1)} s, healed after ${Math.round(window.healMs - window.startMs)} ms`,
    );
  }
}
