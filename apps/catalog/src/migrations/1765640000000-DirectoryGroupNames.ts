import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console's user page names the groups through which a user reaches each application, so
 * the copy of the directory keeps each group's name from its created/renamed events (and the
 * snapshot). Rows written before this have none until the group's next event; readers ask the
 * directory for those.
 */
export class DirectoryGroupNames1765640000000 implements MigrationInterface {
  name = 'DirectoryGroupNames1765640000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."directory_groups" ADD COLUMN "name" text NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."directory_groups" DROP COLUMN "name"`);
  }
}
