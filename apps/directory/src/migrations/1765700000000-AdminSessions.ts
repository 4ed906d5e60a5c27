import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin console's sessions: a token per signed-in person, stored as its SHA-256 only (the
 * token is 32 random bytes, so a fast hash keeps it safe). The row holds no role: whether the
 * token still works is decided from the user's current state and role at every use. A deleted
 * user's sessions go with them; closing one sets `revoked_at`.
 */
export class AdminSessions1765700000000 implements MigrationInterface {
  name = 'AdminSessions1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "directory"."admin_sessions" (
        "token_hash" char(64) PRIMARY KEY,
        "organization_id" uuid NOT NULL REFERENCES "directory"."organizations" ("id") ON DELETE CASCADE,
        "user_id" uuid NOT NULL REFERENCES "directory"."users" ("id") ON DELETE CASCADE,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "revoked_at" timestamptz NULL
      )`);
    await q.query(`CREATE INDEX "admin_sessions_user_idx" ON "directory"."admin_sessions" ("user_id")`);
    await q.query(`CREATE INDEX "admin_sessions_expires_idx" ON "directory"."admin_sessions" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "directory"."admin_sessions"`);
  }
}
