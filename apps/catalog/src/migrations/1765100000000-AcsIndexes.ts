import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each ACS URL with the index an AuthnRequest names it by (AssertionConsumerServiceIndex): the
 * `index` attribute of the SP's metadata, or the URL's position when the admin listed them.
 * Existing applications get their positions, the index the IdP has used for them so far.
 */
export class AcsIndexes1765100000000 implements MigrationInterface {
  name = 'AcsIndexes1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."applications" ADD COLUMN "acs_indexes" jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`
      UPDATE "catalog"."applications" a
         SET "acs_indexes" = (
           SELECT coalesce(jsonb_agg(jsonb_build_object('index', u.position - 1, 'url', u.url) ORDER BY u.position), '[]'::jsonb)
             FROM jsonb_array_elements_text(a."acs_urls") WITH ORDINALITY AS u(url, position)
         )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."applications" DROP COLUMN "acs_indexes"`);
  }
}
