import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * AuthnRequest IDs already seen, in PostgreSQL so that every IdP instance shares them. An ID is
 * remembered for as long as its IssueInstant would still be accepted.
 */
@Injectable()
export class ReplayCache {
  private lastPurge = 0;

  constructor(private readonly dataSource: DataSource) {}

  /** Records the ID; false when it was already there (a replay). */
  async firstSeen(issuer: string, requestId: string, rememberSeconds: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO "idp"."seen_requests" ("issuer", "request_id", "expires_at")
       VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT DO NOTHING RETURNING 1`,
      [issuer, requestId, rememberSeconds],
    );
    if (Date.now() - this.lastPurge > 60_000) {
      this.lastPurge = Date.now();
      void this.dataSource.query(`DELETE FROM "idp"."seen_requests" WHERE "expires_at" < now()`).catch(() => undefined);
    }
    return rows.length === 1;
  }
}
