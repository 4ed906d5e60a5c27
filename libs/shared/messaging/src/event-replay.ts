import { Injectable } from '@nestjs/common';
import type { StreamContract } from './contract';
import type { RecordedEvent } from './outbox-ledger';

/** Applies one recorded event through the service's handler for it (BusTransport.applyRecorded). */
export type RecordedEventApplier = (stream: StreamContract, event: RecordedEvent) => Promise<void>;

/**
 * Events read from their producer's outbox rather than delivered by the stream, applied through
 * the same handlers as deliveries (docs/decisions/0013). FreshnessGate uses it while a stream
 * cannot be asked: the rows its consumer may not have applied yet are applied from here, and the
 * decision then holds every change committed in its scope.
 *
 * Only for a service whose handlers give the same state in any order and whatever comes twice
 * (the IdP's read model: versioned upserts): the stream delivers each of these events again
 * later, maybe after newer ones. Applying one here does not move the applied floor, which counts
 * deliveries only.
 *
 * Each row is applied once per process (concurrent callers share the attempt), and again only
 * after a failure: what was applied stays applied, or is replaced by something newer.
 */
@Injectable()
export class EventReplay {
  /** Rows remembered at most; the oldest are forgotten first (applying one again changes nothing). */
  static readonly REMEMBERED = 10_000;
  private applier?: RecordedEventApplier;
  /** Row id → its application, settled or in progress. */
  private readonly applied = new Map<string, Promise<void>>();

  /** Called by the process's transport once it can apply events. */
  attach(applier: RecordedEventApplier): void {
    this.applier = applier;
  }

  /** Whether `apply` can work in this process (its transport consumes streams). */
  get attached(): boolean {
    return this.applier !== undefined;
  }

  /**
   * Applies every one of `events` (each once); rejects if any cannot be. Resolves with how many
   * this call applied (the others were applied, or are being applied, for an earlier one).
   */
  async apply(stream: StreamContract, events: readonly RecordedEvent[]): Promise<number> {
    const applier = this.applier;
    if (!applier) throw new Error('no transport applies events in this process');
    const fresh = events.filter((event) => !this.applied.has(event.id)).length;
    await Promise.all(events.map((event) => this.once(applier, stream, event)));
    return fresh;
  }

  private once(applier: RecordedEventApplier, stream: StreamContract, event: RecordedEvent): Promise<void> {
    const known = this.applied.get(event.id);
    if (known) return known;
    const attempt = applier(stream, event);
    this.applied.set(event.id, attempt);
    attempt.catch(() => {
      if (this.applied.get(event.id) === attempt) this.applied.delete(event.id);
    });
    while (this.applied.size > EventReplay.REMEMBERED) this.applied.delete(this.applied.keys().next().value as string);
    return attempt;
  }
}
