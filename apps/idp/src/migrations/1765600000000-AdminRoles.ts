import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each user's admin role, as the directory's events say (directory.user.admin-role-changed.v1):
 * it decides who may sign in to the admin console. A table of its own rather than a column of
 * rm_users, because roles and profiles come in different events that share the user's version
 * sequence, and each must keep its own version for the newer-wins rule.
 *
 * rm_backfills records one-time reads of a producer's snapshot: an IdP that ran before this
 * migration acked the role events without applying them, so it reads every role once from the
 * directory's snapshot and writes `admin_roles` here (ReadModelService.backfillAdminRoles).
 */
export class AdminRoles1765600000000 implements MigrationInterface {
  name = 'AdminRoles1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "idp"."rm_admin_roles" (
        "user_id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "role" text NULL CONSTRAINT "rm_admin_roles_role_check" CHECK ("role" IN ('administrator', 'help-desk', 'read-only'))
      )`);
    await q.query(`
      CREATE TABLE "idp"."rm_backfills" (
        "name" text PRIMARY KEY,
        "completed_at" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "idp"."rm_backfills"`);
    await q.query(`DROP TABLE "idp"."rm_admin_roles"`);
  }
}
