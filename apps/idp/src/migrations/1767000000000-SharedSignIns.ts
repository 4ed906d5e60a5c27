import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a sign-in in progress needs, shared by every IdP instance so that a browser's requests may
 * reach any of them (docs/operations.md, "Several instances of a service"):
 * - `throttles`: the login and MFA throttles' counters (rate-limiter-flexible's RateLimiterPostgres
 *   table, in the shape it expects: `key`, `points`, `expire` in epoch ms). Keys are the limiter's
 *   prefix and a source address, a user id or the SHA-256 of a session id, never a session id.
 * - `pending_sessions`: sessions nobody has signed in to yet (the AuthnRequest waiting for the
 *   login form or the second step), bounded in number and in time by the SessionStore.
 * - `sign_out_walks`: Single Logout walks in progress, keyed by the SHA-256 of their token.
 * Times are epoch milliseconds, as the stores' clocks give them.
 */
export class SharedSignIns1767000000000 implements MigrationInterface {
  name = 'SharedSignIns1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "idp"."throttles" (
        "key" varchar(255) PRIMARY KEY,
        "points" integer NOT NULL DEFAULT 0,
        "expire" bigint
      )`);
    await q.query(`
      CREATE TABLE "idp"."pending_sessions" (
        "id_hash" text PRIMARY KEY,
        "data" jsonb NOT NULL,
        "created_at" bigint NOT NULL,
        "last_seen_at" bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX "pending_sessions_created_at" ON "idp"."pending_sessions" ("created_at")`);
    await q.query(`
      CREATE TABLE "idp"."sign_out_walks" (
        "token_hash" text PRIMARY KEY,
        "walk" jsonb NOT NULL,
        "expires_at" bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX "sign_out_walks_expires_at" ON "idp"."sign_out_walks" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "idp"."sign_out_walks"`);
    await q.query(`DROP TABLE "idp"."pending_sessions"`);
    await q.query(`DROP TABLE "idp"."throttles"`);
  }
}
