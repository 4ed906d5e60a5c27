import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How the portal shows an application: its own sign-in URL, whether it is shown, its label and colour. */
export class PortalOptions1765300000000 implements MigrationInterface {
  name = 'PortalOptions1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "catalog"."applications" ADD COLUMN "launch_url" text, ADD COLUMN "portal_visible" boolean NOT NULL DEFAULT true, ` +
        `ADD COLUMN "portal_label" text, ADD COLUMN "portal_color" text`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "catalog"."applications" DROP COLUMN "portal_color", DROP COLUMN "portal_label", DROP COLUMN "portal_visible", DROP COLUMN "launch_url"`,
    );
  }
}
