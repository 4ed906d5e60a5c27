import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed-in IdP sessions, shared by every IdP instance (SessionStore): a session made on one
 * instance works on the others. Keyed by the SHA-256 of the session id, never the id itself (the
 * cookie's value): a reader of the table cannot take a session over. Times are epoch milliseconds,
 * as the store's clock gives them.
 */
export class SharedSessions1766000000000 implements MigrationInterface {
  name = 'SharedSessions1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "idp"."sessions" (
        "id_hash" text PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "data" jsonb NOT NULL,
        "created_at" bigint NOT NULL,
        "last_seen_at" bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX "sessions_user" ON "idp"."sessions" ("organization_id", "user_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "idp"."sessions"`);
  }
}
