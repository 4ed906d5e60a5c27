import type { DataSource } from 'typeorm';
import type { StreamContract } from './contract';

/**
 * A NATS subject filter (`*` one token, `>` the rest) as an anchored PostgreSQL regular
 * expression over the outbox's `subject`. Tokens other than wildcards are matched literally.
 */
export function subjectFilterPattern(filter: string): string {
  const tokens = filter.split('.').map((token, i, all) => {
    if (token === '*') return '[^.]+';
    if (token === '>' && i === all.length - 1) return '.+';
    return token.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
  });
  return `^${tokens.join('\\.')}$`;
}

/** An event as its producer's outbox holds it: the row's id, the subject it is (or will be) published on, its body. */
export interface RecordedEvent {
  id: string;
  subject: string;
  payload: unknown;
}

/**
 * The producers' outboxes as a record of what their streams were told (docs/decisions/0012).
 * Every event of a stream with an `outboxSchema` is a row there, committed with its change before
 * it is published, so before any 2xx that waited for it; once JetStream acknowledges it, the row is
 * marked with its sequence in the stream. While the stream cannot be asked (no leader, NATS out
 * of reach), a consumer that has applied up to `floor` has applied every acknowledged event on
 * `filters` except those of the rows that are unmarked, have no sequence, or have one above the
 * floor: `unsettled` reads those, for the consumer to apply from here (EventReplay,
 * docs/decisions/0013). An unmarked row is among them even when its change was answered 503: the
 * change is committed and will be published.
 *
 * Rows deleted by the outbox's retention are not here: FreshnessGate asks only when a lookup it
 * sent minutes ago proved the floor past everything older.
 */
export class OutboxLedger {
  constructor(private readonly dataSource: DataSource) {}

  /** Whether `stream` has an outbox this can read. */
  covers(stream: StreamContract): boolean {
    return stream.outboxSchema !== undefined;
  }

  /**
   * The events on `filters` that a consumer at `floor` may not have applied (acknowledged or not),
   * oldest first, at most `limit` of them.
   */
  async unsettled(stream: StreamContract, filters: readonly string[], floor: number, limit: number): Promise<RecordedEvent[]> {
    if (stream.outboxSchema === undefined) throw new Error(`stream ${stream.name} has no outbox to read`);
    if (filters.length === 0) return [];
    return this.dataSource.query<RecordedEvent[]>(
      `SELECT "id", "subject", "payload" FROM "${stream.outboxSchema}"."outbox"
        WHERE ("published_at" IS NULL OR "stream_sequence" IS NULL OR "stream_sequence" > $1)
          AND "subject" ~ ANY($2::text[])
        ORDER BY "position"
        LIMIT $3`,
      [floor, filters.map(subjectFilterPattern), limit],
    );
  }
}
