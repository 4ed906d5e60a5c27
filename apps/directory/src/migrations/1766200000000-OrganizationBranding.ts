import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the sign-in pages show of an organisation besides its name: an optional logo URL (https:,
 * at most 2048 characters, checked by the API) and brand colour (#rrggbb), and the version of the
 * organisation's own events (directory.organization.created/updated.v1). The checks repeat the
 * API's shape rules so that no other writer can store what the IdP would refuse to render.
 */
export class OrganizationBranding1766200000000 implements MigrationInterface {
  name = 'OrganizationBranding1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "directory"."organizations"
        ADD COLUMN "logo_url" text NULL
          CONSTRAINT "organizations_logo_url_check" CHECK (char_length("logo_url") <= 2048 AND "logo_url" LIKE 'https://%'),
        ADD COLUMN "brand_color" text NULL
          CONSTRAINT "organizations_brand_color_check" CHECK ("brand_color" ~ '^#[0-9a-f]{6}$'),
        ADD COLUMN "version" integer NOT NULL DEFAULT 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "directory"."organizations" DROP COLUMN "version", DROP COLUMN "brand_color", DROP COLUMN "logo_url"`);
  }
}
