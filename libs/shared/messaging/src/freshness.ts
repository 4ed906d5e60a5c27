import { type NatsBus, describe } from './bus';
import { withinMs } from './consumer-lag';
import type { ConsumerProgress } from './consumer-progress';
import type { StreamContract } from './contract';

export type FreshnessResult =
  | { fresh: true; waitedMs: number }
  /** `cause`: the error that suspended the consumers, when one did (see ConsumerProgress.suspend). */
  | { fresh: false; reason: string; lag: Record<string, number>; cause?: unknown };

/**
 * Proves that a consumer has applied everything its streams held when the caller arrived
 * (SECURITY.md, "Immediately" is a freshness contract). It asks each stream for its last
 * sequence and waits, a bounded time, for the applied floor to reach it.
 *
 * Concurrent callers share one stream lookup, but only one that was *sent after they arrived*:
 * a lookup already in flight may predate the change whose 2xx the caller has seen.
 */
export class FreshnessGate {
  private inFlight?: Promise<Map<string, number>>;
  private next?: Promise<Map<string, number>>;

  constructor(
    private readonly bus: NatsBus,
    private readonly progress: ConsumerProgress,
    private readonly streams: readonly StreamContract[],
    private readonly maxWaitMs: number,
    private readonly lookupTimeoutMs = 500,
  ) {}

  async check(): Promise<FreshnessResult> {
    const started = Date.now();
    // Another instance may hold the consumers: what this one applied proves nothing.
    const suspended = this.progress.suspension();
    if (suspended !== null) return this.suspended(suspended);
    let targets: Map<string, number>;
    try {
      targets = await this.lookupAfterNow();
    } catch (error) {
      return { fresh: false, reason: `cannot reach NATS to confirm freshness (${describe(error)})`, lag: {} };
    }
    const deadline = started + this.maxWaitMs;
    for (;;) {
      const lost = this.progress.suspension();
      if (lost !== null) return this.suspended(lost);
      // A resync's floor says nothing about what the snapshot has brought in so far.
      const resyncing = this.streams.filter((s) => this.progress.isResyncing(s.name)).map((s) => s.name);
      if (resyncing.length > 0) return { fresh: false, reason: `resyncing ${resyncing.join(', ')} from a snapshot`, lag: {} };
      const lag: Record<string, number> = {};
      for (const [name, last] of targets) {
        const behind = last - this.progress.applied(name);
        if (behind > 0) lag[name] = behind;
      }
      if (Object.keys(lag).length === 0) return { fresh: true, waitedMs: Date.now() - started };
      if (Date.now() >= deadline) {
        return { fresh: false, reason: `read model is behind its streams after ${this.maxWaitMs} ms`, lag };
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private suspended(reason: string): FreshnessResult {
    const cause = this.progress.suspensionCause();
    return { fresh: false, reason, lag: {}, ...(cause === undefined ? {} : { cause }) };
  }

  /** Joins the next lookup to start, never one already on the wire. */
  private lookupAfterNow(): Promise<Map<string, number>> {
    if (!this.inFlight) return this.start();
    this.next ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<Map<string, number>> {
    const lookup = Promise.all(
      this.streams.map(async (s) => [s.name, await withinMs(this.bus.lastSequence(s), this.lookupTimeoutMs)] as const),
    ).then((entries) => new Map(entries));
    this.inFlight = lookup;
    void lookup
      .catch(() => undefined)
      .finally(() => {
        if (this.inFlight === lookup) this.inFlight = undefined;
      });
    return lookup;
  }
}
