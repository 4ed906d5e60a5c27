import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Counters of the credential check, kept in PostgreSQL so that every directory instance shares them. */
export class CredentialThrottling1764700000000 implements MigrationInterface {
  name = 'CredentialThrottling1764700000000';

  async up(q: QueryRunner): Promise<void> {
    // Per user: consecutive wrong passwords and the lock they led to. Our own table, not the rate
    // limiter's, because the lock must commit in the same transaction as its userLockedOut event.
    await q.query(`
      CREATE TABLE "directory"."credential_lockouts" (
        "user_id" uuid PRIMARY KEY REFERENCES "directory"."users" ("id") ON DELETE CASCADE,
        "failures" integer NOT NULL,
        "window_started_at" timestamptz NOT NULL,
        "locked_until" timestamptz NULL
      )`);
    // Per source address: rate-limiter-flexible's RateLimiterPostgres layout (expire in epoch ms).
    // Created here rather than by the library at start, so that the schema stays in migrations.
    await q.query(`
      CREATE TABLE "directory"."credential_source_limits" (
        "key" varchar(255) PRIMARY KEY,
        "points" integer NOT NULL DEFAULT 0,
        "expire" bigint NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "directory"."credential_source_limits"`);
    await q.query(`DROP TABLE "directory"."credential_lockouts"`);
  }
}
