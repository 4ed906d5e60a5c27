import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wrong passwords for a login name that matches no account are counted too, in a table of their
 * own (no user row to reference): such a name then locks, answers and costs exactly as a real
 * account does, so neither the answer nor its timing tells an attacker which names exist.
 */
export class LoginLockouts1765100000000 implements MigrationInterface {
  name = 'LoginLockouts1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "directory"."credential_login_lockouts" (
        "organization_id" uuid NOT NULL REFERENCES "directory"."organizations" ("id") ON DELETE CASCADE,
        "login" varchar(256) NOT NULL,
        "failures" integer NOT NULL,
        "window_started_at" timestamptz NOT NULL,
        "locked_until" timestamptz NULL,
        PRIMARY KEY ("organization_id", "login")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "directory"."credential_login_lockouts"`);
  }
}
