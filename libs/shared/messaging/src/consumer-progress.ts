import { Injectable } from '@nestjs/common';

interface StreamProgress {
  /** Every sequence up to here is applied (or deliberately terminated). */
  floor: number;
  /** Sequences above the floor that are done, waiting for the gaps below them to close. */
  done: Set<number>;
  /** The highest sequence delivered so far: a delivery above it + 1 skipped sequences. */
  delivered: number;
  running: boolean;
  /** Rebuilding from the producer's snapshot: neither ready nor fresh until it is done. */
  resyncing: boolean;
  /** The stream's last sequence when the consumer started: ready once applied up to here. */
  catchUpTo: number;
  /** What the floor waited for at the previous `stalled` look (null: nothing delivered was pending). */
  lookedAt: number | null;
  /** The consumer is lost and being made again (its node gone, say): nothing is delivered meanwhile. */
  remaking: boolean;
}

/**
 * How far this service's durable consumers have applied each stream. Freshness is judged
 * against the contiguous floor, not the highest sequence seen: a message that was nak'd for a
 * retry keeps the floor below it until it is applied.
 *
 * It also tells when the stream no longer holds what the consumer still needs (SECURITY.md: a
 * consumer that finds the stream trimmed past what it applied resyncs from a snapshot).
 */
@Injectable()
export class ConsumerProgress {
  private readonly streams = new Map<string, StreamProgress>();
  /** Why nothing may be decided from these consumers now (see `suspend`); null when it may. */
  private suspendedBecause: string | null = null;
  /** The error behind the suspension, when there is one (the lease's database connection failed). */
  private suspendedCause: unknown = undefined;

  /**
   * Nothing this instance applied may be trusted until `resume` (a caller that knows the
   * consumers cannot be relied on, whatever they report). Neither ready nor fresh meanwhile,
   * whatever the floors say.
   */
  suspend(reason: string, cause?: unknown): void {
    this.suspendedBecause = reason;
    this.suspendedCause = cause;
  }

  resume(): void {
    this.suspendedBecause = null;
    this.suspendedCause = undefined;
  }

  /** The error given to `suspend`: lets a caller tell "the database is down" from "another instance consumes". */
  suspensionCause(): unknown {
    return this.suspendedCause;
  }

  /** The reason given to `suspend`, or null while the consumers may be decided from. */
  suspension(): string | null {
    return this.suspendedBecause;
  }

  /** Called when a consumer starts, with the floor it applied up to and the stream's last sequence. */
  start(stream: string, ackFloor: number, streamLast = 0): void {
    const current = this.streams.get(stream);
    const floor = Math.max(ackFloor, current?.floor ?? 0);
    this.streams.set(stream, {
      floor,
      done: current?.done ?? new Set(),
      delivered: Math.max(floor, current?.delivered ?? 0),
      running: true,
      resyncing: false,
      catchUpTo: streamLast,
      lookedAt: null,
      remaking: false,
    });
  }

  /** The consumer of `stream` is lost and being made again (true), or delivering again (false). */
  setRemaking(stream: string, remaking: boolean): void {
    const p = this.streams.get(stream);
    if (p) p.remaking = remaking;
  }

  /** Whether the consumer of `stream` is being made again: it delivers nothing, however long a caller waits. */
  isRemaking(stream: string): boolean {
    return this.streams.get(stream)?.remaking ?? false;
  }

  stop(stream: string): void {
    const current = this.streams.get(stream);
    if (current) current.running = false;
  }

  /** Marks a stream sequence as finished (applied, skipped or terminated). */
  complete(stream: string, sequence: number): void {
    const p = this.streams.get(stream);
    if (!p || sequence <= p.floor) return;
    p.done.add(sequence);
    this.closeGaps(p);
  }

  /**
   * Sequences can have holes (a deleted message is never delivered), so the caller may also
   * tell us the consumer's ack floor moved; we never move backwards.
   */
  advanceTo(stream: string, ackFloor: number): void {
    const p = this.streams.get(stream);
    if (!p || ackFloor <= p.floor) return;
    p.floor = ackFloor;
    p.delivered = Math.max(p.delivered, ackFloor);
    for (const seq of p.done) if (seq <= p.floor) p.done.delete(seq);
    this.closeGaps(p);
  }

  /**
   * Whether the stream has lost messages this consumer never applied: its first sequence is
   * above the floor + 1. (An empty stream's first sequence is its last + 1, so a consumer that
   * applied everything before a purge is not behind.)
   */
  trimmedPast(stream: string, firstSeq: number): boolean {
    return firstSeq > this.applied(stream) + 1;
  }

  /**
   * Records a delivery; true when it jumps over sequences never delivered. Those were deleted
   * or trimmed: `trimmedPast` with the stream's first sequence tells which. A redelivery (after
   * a nak) is below the highest delivered and never a jump.
   *
   * So a jump cannot reveal a message that was delivered, nak'd, and trimmed before it came
   * again: the deliveries after it follow the highest delivered, and no redelivery comes. That
   * is what `stalled` is for.
   */
  skipsAhead(stream: string, sequence: number): boolean {
    const p = this.streams.get(stream);
    if (!p) return false;
    const jumped = sequence > Math.max(p.delivered, p.floor) + 1;
    p.delivered = Math.max(p.delivered, sequence);
    return jumped;
  }

  /**
   * Called at a regular interval: true when the floor waits below a sequence already delivered
   * (a message nak'd for a retry, or one still in its handler) and has not moved since the
   * previous call. A redelivery normally closes such a gap within the retry delay; one that does
   * not may never come (the stream lost the message), and then only the stream's first sequence
   * (`trimmedPast`) or the server's ack floor (`advanceTo`, for a deleted message) can tell.
   * Both sequences only grow, so the same answer twice means the floor waited all along.
   */
  stalled(stream: string): boolean {
    const p = this.streams.get(stream);
    if (!p) return false;
    const waitingFor = p.delivered > p.floor ? p.floor + 1 : null;
    const stalled = waitingFor !== null && waitingFor === p.lookedAt;
    p.lookedAt = waitingFor;
    return stalled;
  }

  /** A resync starts: neither ready nor fresh until it ends. */
  beginResync(stream: string): void {
    const p = this.streams.get(stream);
    if (p) p.resyncing = true;
  }

  /**
   * The snapshot taken after reading the stream's bounds is applied: everything below
   * `firstSeq` counts as applied, and the consumer is ready again once it has tailed up to
   * `streamLast`.
   */
  endResync(stream: string, firstSeq: number, streamLast: number): void {
    this.advanceTo(stream, firstSeq - 1);
    const p = this.streams.get(stream);
    if (!p) return;
    p.resyncing = false;
    p.catchUpTo = Math.max(p.catchUpTo, streamLast);
  }

  isResyncing(stream: string): boolean {
    return this.streams.get(stream)?.resyncing ?? false;
  }

  applied(stream: string): number {
    return this.streams.get(stream)?.floor ?? 0;
  }

  /**
   * The sequences above the floor, up to `upTo`, not finished here: what moving the floor to
   * `upTo` would pass over without having applied it. At most `limit` of them (the lowest).
   */
  unfinished(stream: string, upTo: number, limit: number): number[] {
    const p = this.streams.get(stream);
    const found: number[] = [];
    if (!p) return found;
    for (let seq = p.floor + 1; seq <= upTo && found.length < limit; seq++) if (!p.done.has(seq)) found.push(seq);
    return found;
  }

  /** Not suspended, running, not resyncing, and caught up with what the stream held when it started (a restart's backlog). */
  isReady(stream: string): boolean {
    const p = this.streams.get(stream);
    return this.suspendedBecause === null && p !== undefined && p.running && !p.resyncing && p.floor >= p.catchUpTo;
  }

  private closeGaps(p: StreamProgress): void {
    while (p.done.has(p.floor + 1)) {
      p.floor += 1;
      p.done.delete(p.floor);
    }
  }
}
