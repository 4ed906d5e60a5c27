import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The groups in the catalog's copy of the directory: which ids exist in which organisation, and
 * a tombstone for each deleted one, so that a deleted group's bindings go and it cannot be bound
 * again. Groups created before this table are not in it until the directory vouches for one
 * (see DirectoryReplicaService.holdGroup).
 */
export class DirectoryGroups1764900000000 implements MigrationInterface {
  name = 'DirectoryGroups1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "catalog"."directory_groups" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "deleted" boolean NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "catalog"."directory_groups"`);
  }
}
