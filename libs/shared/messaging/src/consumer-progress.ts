import { Injectable } from '@nestjs/common';

interface StreamProgress {
  /** Every sequence up to here is applied (or deliberately terminated). */
  floor: number;
  /** Sequences above the floor that are done, waiting for the gaps below them to close. */
  done: Set<number>;
  ready: boolean;
}

/**
 * How far this service's durable consumers have applied each stream. Freshness is judged
 * against the contiguous floor, not the highest sequence seen: a message that was nak'd for a
 * retry keeps the floor below it until it is applied.
 */
@Injectable()
export class ConsumerProgress {
  private readonly streams = new Map<string, StreamProgress>();

  /** Called when a consumer starts, with the consumer's ack floor from the server. */
  start(stream: string, ackFloor: number): void {
    const current = this.streams.get(stream);
    const floor = Math.max(ackFloor, current?.floor ?? 0);
    this.streams.set(stream, { floor, done: current?.done ?? new Set(), ready: true });
  }

  stop(stream: string): void {
    const current = this.streams.get(stream);
    if (current) current.ready = false;
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

  isReady(stream: string): boolean {
    return this.streams.get(stream)?.ready ?? false;
  }

  snapshot(): Record<string, { applied: number; ready: boolean }> {
    return Object.fromEntries(
      [...this.streams].map(([name, p]) => [name, { applied: p.floor, ready: p.ready }]),
    );
  }
}
