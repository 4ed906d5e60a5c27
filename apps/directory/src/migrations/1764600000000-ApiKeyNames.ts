import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys get a name so that an organisation can tell its keys apart when it revokes one. */
export class ApiKeyNames1764600000000 implements MigrationInterface {
  name = 'ApiKeyNames1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "directory"."api_keys" ADD COLUMN "name" text NOT NULL DEFAULT ''`);
    await q.query(`UPDATE "directory"."api_keys" SET "name" = 'bootstrap' WHERE "bootstrap"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "directory"."api_keys" DROP COLUMN "name"`);
  }
}
