import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wrong passwords are counted per (account, source address) instead of per account, so that a
 * stranger elsewhere cannot lock a person out of their own address, plus an hourly ceiling per
 * account across all sources, so that an attack from many addresses still slows down (addresses
 * the account signed in from within 30 days are spared it). An
 * account is a user id, or `login:` and the lower-cased name for a login name that matches no
 * account: both are counted by the same statements, so neither answers nor timing tell them apart.
 * The earlier per-account counters go: their counts do not carry over (at worst a running
 * lockout ends early).
 */
export class SourceBackoff1765300000000 implements MigrationInterface {
  name = 'SourceBackoff1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "directory"."credential_login_lockouts"`);
    await q.query(`DROP TABLE "directory"."credential_lockouts"`);
    // "source" is '' for a check that names no source address. A row is a pair's run of failures,
    // or its last success: an address the owner signed in from recently is spared the ceiling.
    await q.query(`
      CREATE TABLE "directory"."credential_backoffs" (
        "organization_id" uuid NOT NULL REFERENCES "directory"."organizations" ("id") ON DELETE CASCADE,
        "account" varchar(300) NOT NULL,
        "source" varchar(64) NOT NULL,
        "failures" integer NOT NULL,
        "last_failure_at" timestamptz NULL,
        "locked_until" timestamptz NULL,
        "last_success_at" timestamptz NULL,
        PRIMARY KEY ("organization_id", "account", "source")
      )`);
    await q.query(`
      CREATE TABLE "directory"."credential_account_limits" (
        "organization_id" uuid NOT NULL REFERENCES "directory"."organizations" ("id") ON DELETE CASCADE,
        "account" varchar(300) NOT NULL,
        "failures" integer NOT NULL,
        "window_started_at" timestamptz NOT NULL,
        PRIMARY KEY ("organization_id", "account")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "directory"."credential_account_limits"`);
    await q.query(`DROP TABLE "directory"."credential_backoffs"`);
    await q.query(`
      CREATE TABLE "directory"."credential_lockouts" (
        "user_id" uuid PRIMARY KEY REFERENCES "directory"."users" ("id") ON DELETE CASCADE,
        "failures" integer NOT NULL,
        "window_started_at" timestamptz NOT NULL,
        "locked_until" timestamptz NULL
      )`);
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
}
