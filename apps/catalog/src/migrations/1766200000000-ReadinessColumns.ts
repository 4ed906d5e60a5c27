import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What JIT readiness asks of each user, computed when the row is written instead of on every
 * request. The readiness statement used to read every user's profile (a jsonb of several hundred
 * bytes) and run a regular expression per required attribute per user, for 100,000 users on a
 * report of an application authorised for everyone; it now compares two narrow columns:
 *
 * - `activated`: not a tombstone and in state ACTIVATED (who may be authorised at all);
 * - `present_sources`: the profile's keys whose value has text (`custom:<name>` for a custom
 *   attribute, read inside `customAttributes`), the rule `jit-readiness.ts` states: something other than white space, exactly
 *   what JavaScript's String.prototype.trim leaves (its list of white space written out: \s
 *   follows the server's locale). A value that is not a string counts as its JSON text, as
 *   `#>>` reads it; JSON null is no value.
 *
 * And the bound groups' active memberships are read from a partial index on (group, user),
 * without their rows. The state statistics of 1765650000000 served the old filter on
 * `profile ->> 'state'`; the plain column's own statistics replace them.
 */
export class ReadinessColumns1766200000000 implements MigrationInterface {
  name = 'ReadinessColumns1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION "catalog"."profile_present_sources"(profile jsonb) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT coalesce(array_agg(s."source" ORDER BY s."source"), '{}')
            FROM (SELECT e."key" AS "source", e."value" FROM jsonb_each(
                    CASE WHEN jsonb_typeof(profile) = 'object' THEN profile - 'customAttributes' ELSE '{}' END) e
                  UNION ALL
                  SELECT 'custom:' || c."key", c."value" FROM jsonb_each(
                    CASE WHEN jsonb_typeof(profile -> 'customAttributes') = 'object' THEN profile -> 'customAttributes' ELSE '{}' END) c) s
           WHERE (s."value" #>> '{}') ~ '[^\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]'
        $$`);
    await q.query(`
      ALTER TABLE "catalog"."directory_users"
        ADD COLUMN "activated" boolean GENERATED ALWAYS AS (NOT "deleted" AND coalesce("profile" ->> 'state' = 'ACTIVATED', false)) STORED,
        ADD COLUMN "present_sources" text[] GENERATED ALWAYS AS ("catalog"."profile_present_sources"("profile")) STORED`);
    // 1765650000000 made the statistics object in the connection's current schema, not "catalog".
    const [stats] = (await q.query(
      `SELECT quote_ident(n."nspname") || '.' || quote_ident(s."stxname") AS "name"
         FROM "pg_statistic_ext" s JOIN "pg_namespace" n ON n."oid" = s."stxnamespace"
        WHERE s."stxrelid" = '"catalog"."directory_users"'::regclass AND s."stxname" = 'directory_users_state_stats'`,
    )) as { name: string }[];
    if (stats !== undefined) await q.query(`DROP STATISTICS ${stats.name}`);
    await q.query(
      `CREATE INDEX "directory_memberships_active_idx" ON "catalog"."directory_memberships" ("group_id", "user_id") WHERE "active"`,
    );
    await q.query('ANALYZE "catalog"."directory_users", "catalog"."directory_memberships"');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "catalog"."directory_memberships_active_idx"`);
    await q.query(`CREATE STATISTICS "catalog"."directory_users_state_stats" ON ("profile" ->> 'state') FROM "catalog"."directory_users"`);
    await q.query(`ALTER TABLE "catalog"."directory_users" DROP COLUMN "present_sources", DROP COLUMN "activated"`);
    await q.query(`DROP FUNCTION "catalog"."profile_present_sources"(jsonb)`);
  }
}
