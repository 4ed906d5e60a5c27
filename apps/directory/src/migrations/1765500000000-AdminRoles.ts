import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A person's admin role in their organisation: at most one, NULL for an ordinary person. The
 * partial index serves the last-administrator check and `?adminRole=` without weighing on the
 * many users who hold no role.
 */
export class AdminRoles1765500000000 implements MigrationInterface {
  name = 'AdminRoles1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "directory"."users"
        ADD COLUMN "admin_role" text NULL
        CONSTRAINT "users_admin_role_check" CHECK ("admin_role" IN ('administrator', 'help-desk', 'read-only'))`);
    await q.query(`
      CREATE INDEX "users_org_admin_role_idx" ON "directory"."users" ("organization_id", "admin_role")
        WHERE "admin_role" IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "directory"."users_org_admin_role_idx"`);
    await q.query(`ALTER TABLE "directory"."users" DROP COLUMN "admin_role"`);
  }
}
