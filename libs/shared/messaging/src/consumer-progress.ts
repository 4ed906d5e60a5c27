import { Injectable } from '@nestjs/common';

interface StreamProgress {
  /** Every sequence up to here is applied (or deliberately terminated). */
  floor: number;
  /** Sequences above the floor that are done, waiting for the gaps below them to close. */
  done: Set<number>;
  running: boolean;
  /** The stream's last sequence when the consumer started: ready once applied up to here. */
  catchUpTo: number;
}

/**
 * How far this service's durable consumers have applied each stream. Freshness is judged
 * against the contiguous floor, not the highest sequence seen: a message that was nak'd for a
 * retry keeps the floor below it until it is applied.
 */
@Injectable()
export class ConsumerProgress {
  private readonly streams = new Map<string, StreamProgress>();

  /** Called when a consumer starts, with its ack floor and the stream's last sequence. */
  start(stream: string, ackFloor: number, streamLast = 0): void {
    const current = this.streams.get(stream);
    const floor = Math.max(ackFloor, current?.floor ?? 0);
    this.streams.set(stream, { floor, done: current?.done ?? new Set(), running: true, catchUpTo: streamLast });
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
    while (p.done.has(p.floor + 1)) {
      p.floor += 1;
      p.done.delete(p.floor);
    }
  }

  /**
   * Sequences can have holes (a deleted message is never delivered), so the caller may also
   * tell us the consumer's ack floor moved; we never move backwards.
   */
  advanceTo(stream: string, ackFloor: number): void {
    const p = this.streams.get(stream);
    if (!p || ackFloor <= p.floor) return;
    p.floor = ackFloor;
    for (const seq of p.done) if (seq <= p.floor) p.done.delete(seq);
    while (p.done.has(p.floor + 1)) {
      p.floor += 1;
      p.done.delete(p.floor);
    }
  }

  applied(stream: string): number {
    return this.streams.get(stream)?.floor ?? 0;
  }

  /** Running, and caught up with what the stream held when it started (a restart's backlog). */
  isReady(stream: string): boolean {
    const p = this.streams.get(stream);
    return p !== undefined && p.running && p.floor >= p.catchUpTo;
  }
}
