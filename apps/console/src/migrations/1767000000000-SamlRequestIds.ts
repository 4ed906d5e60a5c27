import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The AuthnRequest IDs the console sent and has not yet seen answered (passport-saml's cache
 * provider, SamlRequestIds): in the database, so that the IdP's Response may reach any console
 * instance, whichever sent the request.
 */
export class SamlRequestIds1767000000000 implements MigrationInterface {
  name = 'SamlRequestIds1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "console"."saml_request_ids" (
        "id" text PRIMARY KEY,
        "value" text NOT NULL,
        "expires_at" timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX "saml_request_ids_expires_at" ON "console"."saml_request_ids" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "console"."saml_request_ids"`);
  }
}
