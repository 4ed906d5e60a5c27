import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { IDP_CONFIG, type IdpConfig } from '../config';

/**
 * AuthnRequest IDs already seen, in PostgreSQL so that every IdP instance shares them. An ID is
 * remembered for as long as its IssueInstant would still be accepted.
 *
 * Its own small pool with synchronous_commit off: the insert is still atomic and immediately
 * visible to every instance (the unique key decides), but it does not wait for the WAL fsync,
 * which on a busy disk took tens of ms and capped sign-ins at ~200/s. The trade-off: if
 * PostgreSQL itself crashes, IDs recorded in the last fraction of a second may be forgotten, so
 * one such request could be answered twice, still only to its registered ACS.
 */
@Injectable()
export class ReplayCache implements OnApplicationShutdown {
  private lastPurge = 0;
  private readonly pool: Pool;

  constructor(@Inject(IDP_CONFIG) config: IdpConfig) {
    this.pool = new Pool({ connectionString: config.DATABASE_URL, max: 4, options: '-c synchronous_commit=off' });
  }

  /** Records the ID; false when it was already there (a replay). */
  async firstSeen(issuer: string, requestId: string, rememberSeconds: number): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO "idp"."seen_requests" ("issuer", "request_id", "expires_at")
       VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT DO NOTHING`,
      [issuer, requestId, rememberSeconds],
    );
    if (Date.now() - this.lastPurge > 60_000) {
      this.lastPurge = Date.now();
      void this.pool.query(`DELETE FROM "idp"."seen_requests" WHERE "expires_at" < now()`).catch(() => undefined);
    }
    return result.rowCount === 1;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
