import { type NatsBus, describe } from './bus';
import { withinMs } from './consumer-lag';
import type { ConsumerProgress } from './consumer-progress';
import { unscopedFilters, type StreamContract } from './contract';
import type { EventReplay } from './event-replay';
import type { OutboxLedger, RecordedEvent } from './outbox-ledger';

/**
 * What one decision depends on: for each stream (by contract name), the subject filters (without
 * the deployment prefix, wildcards allowed) whose events can change it. A stream not named is
 * waited for whole; one named with no filter holds nothing the decision needs.
 */
export type FreshnessScope = Readonly<Record<string, readonly string[]>>;

export type FreshnessResult =
  /**
   * `fromOutbox`: proven from the producers' outboxes while a stream could not be asked;
   * `replayed`: how many of their rows this check applied from there (docs/decisions/0013).
   */
  | { fresh: true; waitedMs: number; fromOutbox?: true; replayed?: number }
  /** `cause`: the error that suspended the consumers (see ConsumerProgress.suspend), or that kept the outbox from being read. */
  | { fresh: false; reason: string; lag: Record<string, number>; cause?: unknown };

/**
 * Proves that a consumer has applied everything its streams held when the caller arrived
 * (SECURITY.md, "Immediately" is a freshness contract). It asks each stream for its last
 * sequence and waits, a bounded time (`maxWaitMs`, counted once the targets are known), for the
 * applied floor to reach it.
 *
 * With a scope (docs/decisions/0009-scoped-freshness.md), a stream the floor has not reached is
 * asked again for the last sequence on the scope's subjects (and on subjects published before
 * events carried a scope), and the floor need only reach that: every event up to the floor is
 * applied, so every event that can change the decision is. Another organisation's import
 * behind the floor does not hold the decision; an event of the scope behind it still does.
 *
 * Concurrent callers share one stream lookup, and one lookup per subject filter, but only one
 * that was *sent after they arrived*: a lookup already in flight may predate the change whose
 * 2xx the caller has seen.
 *
 * With an OutboxLedger, a stream that cannot be asked (no leader, NATS out of reach) is proven
 * from its producer's outbox instead (`fromOutbox`, docs/decisions/0012), and with an EventReplay
 * the scope's changes the consumer has not applied yet are applied from there (0013), also when
 * the stream answered and its consumer, being made again, is still behind after the bounded wait.
 */
export class FreshnessGate {
  /**
   * How old an answered lookup may be for the outbox fallback: under the hour that
   * `addOutboxStreamSequence` leaves rows without a sequence, and under the outbox's retention
   * (a day at least), with room for the clocks of PostgreSQL and this process to differ. Every
   * event acknowledged after such a lookup still has its row, with its sequence or none.
   */
  static readonly OUTBOX_FALLBACK_WINDOW_MS = 50 * 60_000;
  /**
   * For this long after a lookup failed, a decision is first tried from the outboxes without a
   * lookup (each would wait its whole timeout during an election): the outbox proof holds whatever
   * the stream's state, and only when it refuses is the stream asked.
   */
  static readonly OUTBOX_FIRST_MS = 1_000;
  /**
   * Rows one stream's outbox may have pending in a decision's scope for the decision to apply them
   * (EventReplay); more, and it is refused. A person's or an application's changes of the last
   * seconds are a few; a scope of whole streams (an organisation not known yet) may be anything.
   */
  static readonly MAX_REPLAYED = 100;
  private lookupFailed: { at: number; error: unknown } = { at: -Infinity, error: undefined };

  private inFlight?: Promise<Map<string, number>>;
  /** Per stream, whole-stream lookups answered (one a minute at most, oldest first): the answer and when it was sent. */
  private readonly answered = new Map<string, Array<{ last: number; sentAt: number }>>();
  private next?: Promise<Map<string, number>>;
  /** Lookups of one stream's last sequence on one filter, keyed by stream and filter. */
  private readonly filtered = new Map<string, { inFlight?: Promise<number>; next?: Promise<number> }>();
  private readonly unscoped: Map<string, string[]>;

  constructor(
    private readonly bus: NatsBus,
    private readonly progress: ConsumerProgress,
    private readonly streams: readonly StreamContract[],
    private readonly maxWaitMs: number,
    private readonly lookupTimeoutMs = 500,
    /** Where to prove freshness while a stream cannot be asked; without one, the answer is then 503. */
    private readonly ledger?: OutboxLedger,
    /** Applies the outbox's rows the consumer has not; without one, a decision with such a row in its scope is refused. */
    private readonly replay?: EventReplay,
  ) {
    this.unscoped = new Map(streams.map((s) => [s.name, unscopedFilters(s)]));
  }

  /** Without a scope, or on a server that cannot look one up cheaply (NatsBus.scopedLookups), every stream is waited for whole. */
  async check(scope?: FreshnessScope): Promise<FreshnessResult> {
    const started = Date.now();
    // Another instance may hold the consumers: what this one applied proves nothing.
    const suspended = this.progress.suspension();
    if (suspended !== null) return this.suspended(suspended);
    if (this.ledger && started - this.lookupFailed.at < FreshnessGate.OUTBOX_FIRST_MS) {
      const proven = await this.fromOutbox(scope, unreachable(this.lookupFailed.error), started);
      if (proven.fresh) return proven;
    }
    let targets: Map<string, number>;
    try {
      targets = await this.lookupAfterNow();
    } catch (error) {
      this.lookupFailed = { at: Date.now(), error };
      return this.fromOutbox(scope, unreachable(error), started);
    }
    // Where the server scans every subject for a filter (2.9), the whole stream it is: exact, unscoped.
    if (scope && this.bus.scopedLookups()) {
      try {
        targets = await this.narrowed(targets, scope);
      } catch (error) {
        this.lookupFailed = { at: Date.now(), error };
        return this.fromOutbox(scope, unreachable(error), started);
      }
    }
    // The bound is on waiting for the consumer, from when the targets are known: the lookups'
    // own round trips (to the stream's leader, on another node in a cluster) have their own
    // timeout, and counting them here refused sign-ins the consumer was not late for.
    const deadline = Date.now() + this.maxWaitMs;
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
        const behind = `read model is behind its streams after ${this.maxWaitMs} ms`;
        // The stream answered and the consumer cannot deliver (being made again on another node
        // after an election, say): the changes it lacks in the scope are in the outboxes too
        // (docs/decisions/0013). A consumer that is only slow is waited for, as before.
        const remaking = Object.keys(lag).some((name) => this.progress.isRemaking(name));
        if (!this.replay || !remaking) return { fresh: false, reason: behind, lag };
        const proven = await this.fromOutbox(scope, behind, started);
        return proven.fresh ? proven : { ...proven, lag };
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /**
   * The scope's targets for the streams whose floor is below their last sequence now (the
   * others are proven already): the newest sequence on any of the scope's subjects, or on a
   * subject without a scope. Never above the stream's own target, which it only lowers.
   */
  private async narrowed(targets: Map<string, number>, scope: FreshnessScope): Promise<Map<string, number>> {
    const narrowed = new Map(targets);
    await Promise.all(
      this.streams.map(async (stream) => {
        const filters = scope[stream.name];
        const last = targets.get(stream.name) ?? 0;
        if (filters === undefined || last <= this.progress.applied(stream.name)) return;
        const all = [...filters, ...(this.unscoped.get(stream.name) ?? [])];
        const found = await Promise.all(all.map((filter) => this.filteredAfterNow(stream, filter)));
        narrowed.set(stream.name, Math.min(last, Math.max(0, ...found)));
      }),
    );
    return narrowed;
  }

  /** As lookupAfterNow, for one stream's last sequence on one filter. */
  private filteredAfterNow(stream: StreamContract, filter: string): Promise<number> {
    const key = `${stream.name} ${filter}`;
    let slot = this.filtered.get(key);
    if (!slot) this.filtered.set(key, (slot = {}));
    const entry = slot;
    const start = (): Promise<number> => {
      const lookup = withinMs(this.bus.lastSequenceMatching(stream, filter), this.lookupTimeoutMs);
      entry.inFlight = lookup;
      void lookup
        .catch(() => undefined)
        .finally(() => {
          if (entry.inFlight === lookup) entry.inFlight = undefined;
          if (!entry.inFlight && !entry.next) this.filtered.delete(key);
        });
      return lookup;
    };
    if (!entry.inFlight) return start();
    entry.next ??= entry.inFlight
      .catch(() => undefined)
      .then(() => {
        entry.next = undefined;
        return start();
      });
    return entry.next;
  }

  /**
   * Whether a decision waiting for `streamName` could be proven from the outboxes now, were the
   * stream out of reach: what `fromOutbox` checks before it reads them (for /ready, which must
   * not read PostgreSQL's outboxes on every probe). The rows may still refuse a decision.
   */
  provableFromOutbox(streamName: string): boolean {
    const stream = this.streams.find((s) => s.name === streamName);
    return stream !== undefined && this.outboxPrecondition(stream, Date.now(), this.progress.applied(streamName)) === null;
  }

  /** Why the outboxes cannot prove `stream` now (a refusal), or null when they may. */
  private outboxPrecondition(stream: StreamContract, now: number, floor: number): { reason: string; lag: Record<string, number> } | null {
    if (!this.ledger?.covers(stream) || this.progress.isResyncing(stream.name)) return { reason: '', lag: {} };
    const answered = this.answered.get(stream.name)?.find((a) => now - a.sentAt <= FreshnessGate.OUTBOX_FALLBACK_WINDOW_MS);
    if (!answered) return { reason: `; ${stream.name} was last answered too long ago to prove it from the outbox`, lag: {} };
    if (floor < answered.last) return { reason: '', lag: { [stream.name]: answered.last - floor } };
    return null;
  }

  /** Keeps an answered lookup when the newest kept is a minute old, and drops those past the window. */
  private remember(stream: string, last: number, sentAt: number): void {
    const kept = this.answered.get(stream) ?? [];
    if (kept.length === 0 || sentAt - kept[kept.length - 1].sentAt >= 60_000) kept.push({ last, sentAt });
    while (kept.length > 0 && sentAt - kept[0].sentAt > FreshnessGate.OUTBOX_FALLBACK_WINDOW_MS) kept.shift();
    this.answered.set(stream, kept);
  }

  /**
   * A stream could not be asked (no leader during a NATS election, or NATS out of reach), or, with
   * a replay, its consumer is being made again and still behind after the bounded wait: proves
   * freshness from the producers' outboxes instead (OutboxLedger, docs/decisions/0012 and 0013),
   * or refuses with `why` and what the outboxes said. For each stream the decision waits for, it
   * needs a lookup sent within OUTBOX_FALLBACK_WINDOW_MS whose answer the floor has reached (every
   * event acknowledged before it is applied: the oldest kept, the lowest answer). The outbox rows on the scope's subjects
   * that are unmarked, without a sequence, or above the floor are every other change committed in
   * the scope, acknowledged or not: they are applied from the outbox (EventReplay), and the
   * decision then holds every one of them. Without a replay, or with more than MAX_REPLAYED of
   * them, any such row refuses.
   */
  private async fromOutbox(scope: FreshnessScope | undefined, why: string, started: number): Promise<FreshnessResult> {
    if (!this.ledger) return { fresh: false, reason: why, lag: {} };
    const ledger = this.ledger;
    const now = Date.now();
    const checks: Array<{ stream: StreamContract; filters: readonly string[]; floor: number }> = [];
    for (const stream of this.streams) {
      const filters = scope?.[stream.name];
      if (filters !== undefined && filters.length === 0) continue;
      const floor = this.progress.applied(stream.name);
      const refused = this.outboxPrecondition(stream, now, floor);
      if (refused) return { fresh: false, reason: `${why}${refused.reason}`, lag: refused.lag };
      const all = filters === undefined ? stream.subjects : [...filters, ...(this.unscoped.get(stream.name) ?? [])];
      checks.push({ stream, filters: all, floor });
    }
    // Without a replay there is nothing to do with a pending row: any one refuses.
    const limit = this.replay ? FreshnessGate.MAX_REPLAYED : 0;
    let pending: Array<{ stream: StreamContract; events: RecordedEvent[] }>;
    try {
      pending = await Promise.all(
        checks.map(async (c) => ({ stream: c.stream, events: await ledger.unsettled(c.stream, c.filters, c.floor, limit + 1) })),
      );
    } catch (ledgerError) {
      return {
        fresh: false,
        reason: `${why}; the outbox could not be read (${describe(ledgerError)})`,
        lag: {},
        cause: ledgerError,
      };
    }
    pending = pending.filter((p) => p.events.length > 0);
    const tooMany = pending.filter((p) => p.events.length > limit).map((p) => p.stream.name);
    if (tooMany.length > 0) {
      const names = tooMany.join(', ');
      const what = this.replay
        ? `more than ${limit} changes to ${names} are not applied yet`
        : `a change to ${names} may not be applied yet`;
      return { fresh: false, reason: `${why}; ${what}`, lag: {} };
    }
    // Rows are left only with a replay (without one, any refused above), and usually none are.
    const replay = this.replay;
    if (!replay || pending.length === 0) return { fresh: true, waitedMs: Date.now() - started, fromOutbox: true };
    let counts: number[];
    try {
      // Bounded like a lookup: a handler held up (a lock, a slow database) refuses, and the
      // application goes on for the next decision to join.
      counts = await withinMs(Promise.all(pending.map((p) => replay.apply(p.stream, p.events))), this.lookupTimeoutMs);
    } catch (replayError) {
      return {
        fresh: false,
        reason: `${why}; a change the outbox holds could not be applied (${describe(replayError)})`,
        lag: {},
        cause: replayError,
      };
    }
    const replayed = counts.reduce((sum, n) => sum + n, 0);
    return { fresh: true, waitedMs: Date.now() - started, fromOutbox: true, ...(replayed > 0 ? { replayed } : {}) };
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
    const sentAt = Date.now();
    const lookup = Promise.all(
      this.streams.map(async (s) => {
        const last = await withinMs(this.bus.lastSequence(s), this.lookupTimeoutMs);
        this.remember(s.name, last, sentAt);
        return [s.name, last] as const;
      }),
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

function unreachable(error: unknown): string {
  return `cannot reach NATS to confirm freshness (${describe(error)})`;
}
