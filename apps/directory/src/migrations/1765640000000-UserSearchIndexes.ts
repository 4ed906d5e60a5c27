import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /v1/users?search=`: each word is a prefix of the username, email, first or last name,
 * ignoring case. Plain btree indexes with text_pattern_ops answer `lower(x) LIKE 'abc%'` whatever
 * the database's collation, and need no extension (pg_trgm would need a superuser to create it).
 * The list's default order (created_at, id) gets its own index, so that the first page of a large
 * organisation is read in order instead of sorting every user.
 */
export class UserSearchIndexes1765640000000 implements MigrationInterface {
  name = 'UserSearchIndexes1765640000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX "users_org_username_prefix_idx" ON "directory"."users" ("organization_id", "username_lower" text_pattern_ops)`);
    await q.query(`
      CREATE INDEX "users_org_email_prefix_idx" ON "directory"."users" ("organization_id", "email_lower" text_pattern_ops)`);
    await q.query(`
      CREATE INDEX "users_org_firstname_prefix_idx" ON "directory"."users" ("organization_id", lower("firstname") text_pattern_ops)`);
    await q.query(`
      CREATE INDEX "users_org_lastname_prefix_idx" ON "directory"."users" ("organization_id", lower("lastname") text_pattern_ops)`);
    await q.query(`CREATE INDEX "users_org_created_idx" ON "directory"."users" ("organization_id", "created_at", "id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "directory"."users_org_created_idx"`);
    await q.query(`DROP INDEX "directory"."users_org_lastname_prefix_idx"`);
    await q.query(`DROP INDEX "directory"."users_org_firstname_prefix_idx"`);
    await q.query(`DROP INDEX "directory"."users_org_email_prefix_idx"`);
    await q.query(`DROP INDEX "directory"."users_org_username_prefix_idx"`);
  }
}
