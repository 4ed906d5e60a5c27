import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GroupCommit } from '@jit/persistence';

interface Seen {
  issuer: string;
  requestId: string;
  rememberSeconds: number;
}

/**
 * AuthnRequest IDs already seen, in PostgreSQL so that every IdP instance shares them. An ID is
 * remembered for as long as its IssueInstant would still be accepted.
 *
 * Concurrent sign-ins share one INSERT (group commit): the database sees one statement per round
 * trip, not one per sign-in. The statement still decides each ID on its own, and the same ID twice
 * in one batch counts once, so a replay is refused however the calls were grouped.
 */
@Injectable()
export class ReplayCache {
  private lastPurge = 0;
  private readonly inserts = new GroupCommit<Seen, boolean>((batch) => this.insert(batch));

  constructor(private readonly dataSource: DataSource) {}

  /** Records the ID; false when it was already there (a replay). */
  firstSeen(issuer: string, requestId: string, rememberSeconds: number): Promise<boolean> {
    return this.inserts.submit({ issuer, requestId, rememberSeconds });
  }

  private async insert(batch: readonly Seen[]): Promise<boolean[]> {
    const rows: Array<{ issuer: string; request_id: string }> = await this.dataSource.query(
      `INSERT INTO "idp"."seen_requests" ("issuer", "request_id", "expires_at")
       SELECT t.issuer, t.request_id, now() + make_interval(secs => t.remember)
       FROM unnest($1::text[], $2::text[], $3::float8[]) AS t(issuer, request_id, remember)
       ON CONFLICT DO NOTHING RETURNING "issuer", "request_id"`,
      [batch.map((s) => s.issuer), batch.map((s) => s.requestId), batch.map((s) => s.rememberSeconds)],
    );
    this.purgeNowAndThen();
    // Only the first of two equal IDs in a batch was inserted; the second is a replay.
    const inserted = new Set(rows.map((r) => `${r.issuer}\n${r.request_id}`));
    return batch.map((s) => inserted.delete(`${s.issuer}\n${s.requestId}`));
  }

  private purgeNowAndThen(): void {
    if (Date.now() - this.lastPurge < 60_000) return;
    this.lastPurge = Date.now();
    void this.dataSource.query(`DELETE FROM "idp"."seen_requests" WHERE "expires_at" < now()`).catch(() => undefined);
  }
}
