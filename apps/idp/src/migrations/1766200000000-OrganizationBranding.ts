import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each organisation's name, logo URL and brand colour, as the directory's organization.created
 * and organization.updated events say: the sign-in pages, the second-step pages and the portal
 * show them. An IdP that ran before this migration acked the created events without applying them
 * (or ran before they existed): it reads every organisation once from the directory's snapshot
 * and records `organizations` in rm_backfills (ReadModelService.backfill).
 */
export class OrganizationBranding1766200000000 implements MigrationInterface {
  name = 'OrganizationBranding1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "idp"."rm_organizations" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "deleted" boolean NOT NULL,
        "name" text NULL,
        "logo_url" text NULL,
        "brand_color" text NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "idp"."rm_organizations"`);
  }
}
