import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may use each application, kept as the directory's events and the bindings arrive instead of
 * worked out on every JIT readiness request. The readiness statement joined the bound groups'
 * memberships (100,000 for an application everyone may use) with every user of the organisation
 * on each call; it now reads one application's rows of `catalog.application_audience`.
 *
 * A row is an (application, user) pair with `grants` > 0: the number of the application's active
 * bindings of a group the user is an active member of. It carries the user's `activated` and
 * `present_sources` (migration 1766200000000), and `lacking`: the user has no value for one of the
 * application's `required_sources` (a new column of applications, written by the catalog from
 * jit-readiness.ts's rule whenever it writes an application). A report counts and pages from two
 * partial indexes (`activated`; `activated AND lacking`) without reading a row.
 *
 * PostgreSQL keeps the table, in the transaction of every write that changes it, whichever code
 * writes (an event applied, a binding, a resync, a group's deletion): statement triggers with
 * transition tables, so a batch of 500 rows is one set of statements, not 500.
 *
 * - A membership switched on or off adds or takes one grant for each active binding of its
 *   group; a binding switched on or off, one for each active member of its group. A binding and a
 *   membership of the same group written at the same time would each miss the other (neither sees
 *   the other's uncommitted row), so both take an advisory lock on the group first (memberships
 *   shared, bindings exclusive); the statements after it see what the other committed.
 * - A pair's user facts are read under a FOR SHARE lock on the user's row, and a change of the
 *   facts updates the user's pairs from the user trigger: each waits for the other, so a pair
 *   never keeps facts older than its user's. A membership's user row exists before the
 *   membership (the catalog applies the DIRECTORY stream in order; a resync writes users first);
 *   a pair without one starts as not ACTIVATED.
 * - `lacking` is worked out under a FOR SHARE lock on the application's row, taken before any
 *   pair is written; a change of `required_sources` (an UPDATE, which waits for those locks and
 *   holds its row until commit) works out its pairs again from the applications trigger.
 * - An application's deletion takes its pairs with it (foreign key).
 */
export class ApplicationAudience1766300000000 implements MigrationInterface {
  name = 'ApplicationAudience1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "catalog"."application_audience" (
        "application_id" uuid NOT NULL REFERENCES "catalog"."applications" ("id") ON DELETE CASCADE,
        "user_id" uuid NOT NULL,
        "organization_id" uuid NOT NULL,
        "grants" integer NOT NULL,
        "activated" boolean NOT NULL,
        "present_sources" text[] NOT NULL,
        "lacking" boolean NOT NULL,
        PRIMARY KEY ("application_id", "user_id")
      )`);
    await q.query(`CREATE INDEX "application_audience_user_idx" ON "catalog"."application_audience" ("user_id")`);
    await q.query(
      `CREATE INDEX "application_audience_authorised_idx" ON "catalog"."application_audience" ("application_id", "user_id") WHERE "activated"`,
    );
    await q.query(
      `CREATE INDEX "application_audience_lacking_idx" ON "catalog"."application_audience" ("application_id", "user_id") WHERE "activated" AND "lacking"`,
    );
    await q.query(`ALTER TABLE "catalog"."applications" ADD COLUMN "required_sources" text[] NOT NULL DEFAULT '{}'`);
    // jit-readiness.ts's requiredSources, as it was when this migration was written: the NameID's
    // source and each enabled, required, non-constant attribute's, without the user's id.
    await q.query(`
      UPDATE "catalog"."applications" p
         SET "required_sources" = ARRAY(
               SELECT DISTINCT s."source" COLLATE "C"
                 FROM (SELECT p."name_id_source" AS "source"
                        UNION ALL
                       SELECT m->>'source'
                         FROM jsonb_array_elements(p."attributes") m
                        WHERE (m->>'enabled')::boolean AND (m->>'required')::boolean
                          AND m->>'constant' IS NULL AND m->>'source' IS NOT NULL) s
                WHERE s."source" <> 'id'
                ORDER BY 1)`);

    // One advisory lock per group, in hash order so that two writers cannot deadlock on them.
    await q.query(`
      CREATE FUNCTION "catalog"."audience_lock_groups"(groups uuid[], exclusive boolean) RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
          IF exclusive THEN
            PERFORM pg_advisory_xact_lock(hashtext('catalog.application_audience'), k)
               FROM (SELECT DISTINCT hashtext(g::text) AS k FROM unnest(groups) g ORDER BY 1) s;
          ELSE
            PERFORM pg_advisory_xact_lock_shared(hashtext('catalog.application_audience'), k)
               FROM (SELECT DISTINCT hashtext(g::text) AS k FROM unnest(groups) g ORDER BY 1) s;
          END IF;
        END $$`);

    // Adds each delta to its (application, user) pair's grants; a pair left with none goes.
    await q.query(`
      CREATE FUNCTION "catalog"."audience_add"(apps uuid[], users uuid[], orgs uuid[], deltas integer[]) RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
          IF coalesce(cardinality(apps), 0) = 0 THEN RETURN; END IF;
          PERFORM 1 FROM "catalog"."applications" WHERE "id" = ANY(apps) ORDER BY "id" FOR SHARE;
          PERFORM 1 FROM "catalog"."directory_users" WHERE "id" = ANY(users) ORDER BY "id" FOR SHARE;
          WITH "d" AS (
            SELECT x."application_id", x."user_id", x."organization_id", sum(x."delta")::int AS "delta"
              FROM unnest(apps, users, orgs, deltas) AS x("application_id", "user_id", "organization_id", "delta")
             GROUP BY 1, 2, 3
          ), "fewer" AS (
            UPDATE "catalog"."application_audience" a SET "grants" = a."grants" + d."delta"
              FROM "d" WHERE d."delta" < 0 AND a."application_id" = d."application_id" AND a."user_id" = d."user_id"
          )
          INSERT INTO "catalog"."application_audience" AS a
                 ("application_id", "user_id", "organization_id", "grants", "activated", "present_sources", "lacking")
          SELECT d."application_id", d."user_id", d."organization_id", d."delta",
                 coalesce(u."activated", false), coalesce(u."present_sources", '{}'),
                 NOT coalesce(u."present_sources", '{}') @> p."required_sources"
            FROM "d"
            JOIN "catalog"."applications" p ON p."id" = d."application_id"
            LEFT JOIN "catalog"."directory_users" u ON u."id" = d."user_id"
           WHERE d."delta" > 0
           ORDER BY 1, 2
          ON CONFLICT ("application_id", "user_id") DO UPDATE SET "grants" = a."grants" + EXCLUDED."grants";
          DELETE FROM "catalog"."application_audience" a
           USING unnest(apps, users) AS x("application_id", "user_id")
           WHERE a."application_id" = x."application_id" AND a."user_id" = x."user_id" AND a."grants" <= 0;
        END $$`);

    await q.query(`
      CREATE FUNCTION "catalog"."audience_memberships_changed"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          groups uuid[];
          users uuid[];
          deltas integer[];
        BEGIN
          IF TG_OP = 'INSERT' THEN
            SELECT array_agg(n."group_id"), array_agg(n."user_id"), array_agg(1) INTO groups, users, deltas
              FROM "new_rows" n WHERE n."active";
          ELSIF TG_OP = 'UPDATE' THEN
            SELECT array_agg(n."group_id"), array_agg(n."user_id"), array_agg(CASE WHEN n."active" THEN 1 ELSE -1 END)
              INTO groups, users, deltas
              FROM "new_rows" n JOIN "old_rows" o USING ("group_id", "user_id") WHERE n."active" <> o."active";
          ELSE
            SELECT array_agg(o."group_id"), array_agg(o."user_id"), array_agg(-1) INTO groups, users, deltas
              FROM "old_rows" o WHERE o."active";
          END IF;
          IF groups IS NULL THEN RETURN NULL; END IF;
          PERFORM "catalog"."audience_lock_groups"(groups, false);
          PERFORM "catalog"."audience_add"(array_agg(b."application_id"), array_agg(c."user_id"), array_agg(b."organization_id"), array_agg(c."delta"))
             FROM unnest(groups, users, deltas) AS c("group_id", "user_id", "delta")
             JOIN "catalog"."application_groups" b ON b."group_id" = c."group_id" AND b."active";
          RETURN NULL;
        END $$`);

    await q.query(`
      CREATE FUNCTION "catalog"."audience_bindings_changed"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          apps uuid[];
          groups uuid[];
          orgs uuid[];
          deltas integer[];
        BEGIN
          IF TG_OP = 'INSERT' THEN
            SELECT array_agg(n."application_id"), array_agg(n."group_id"), array_agg(n."organization_id"), array_agg(1)
              INTO apps, groups, orgs, deltas FROM "new_rows" n WHERE n."active";
          ELSIF TG_OP = 'UPDATE' THEN
            SELECT array_agg(n."application_id"), array_agg(n."group_id"), array_agg(n."organization_id"),
                   array_agg(CASE WHEN n."active" THEN 1 ELSE -1 END)
              INTO apps, groups, orgs, deltas
              FROM "new_rows" n JOIN "old_rows" o USING ("application_id", "group_id") WHERE n."active" <> o."active";
          ELSE
            SELECT array_agg(o."application_id"), array_agg(o."group_id"), array_agg(o."organization_id"), array_agg(-1)
              INTO apps, groups, orgs, deltas FROM "old_rows" o WHERE o."active";
          END IF;
          IF groups IS NULL THEN RETURN NULL; END IF;
          PERFORM "catalog"."audience_lock_groups"(groups, true);
          PERFORM "catalog"."audience_add"(array_agg(c."application_id"), array_agg(m."user_id"), array_agg(c."organization_id"), array_agg(c."delta"))
             FROM unnest(apps, groups, orgs, deltas) AS c("application_id", "group_id", "organization_id", "delta")
             JOIN "catalog"."directory_memberships" m ON m."group_id" = c."group_id" AND m."active";
          RETURN NULL;
        END $$`);

    await q.query(`
      CREATE FUNCTION "catalog"."audience_users_changed"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
          users uuid[];
        BEGIN
          IF TG_OP = 'INSERT' THEN
            SELECT array_agg(n."id") INTO users FROM "new_rows" n;
          ELSE
            SELECT array_agg(n."id") INTO users
              FROM "new_rows" n JOIN "old_rows" o USING ("id")
             WHERE n."activated" IS DISTINCT FROM o."activated" OR n."present_sources" IS DISTINCT FROM o."present_sources";
          END IF;
          IF users IS NULL THEN RETURN NULL; END IF;
          PERFORM 1 FROM "catalog"."applications"
            WHERE "id" IN (SELECT a."application_id" FROM "catalog"."application_audience" a WHERE a."user_id" = ANY(users))
            ORDER BY "id" FOR SHARE;
          UPDATE "catalog"."application_audience" a
             SET "activated" = u."activated", "present_sources" = u."present_sources",
                 "lacking" = NOT u."present_sources" @> p."required_sources"
            FROM "catalog"."directory_users" u, "catalog"."applications" p
           WHERE u."id" = ANY(users) AND a."user_id" = u."id" AND p."id" = a."application_id"
             AND (a."activated", a."present_sources") IS DISTINCT FROM (u."activated", u."present_sources");
          RETURN NULL;
        END $$`);

    await q.query(`
      CREATE FUNCTION "catalog"."audience_requirements_changed"() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE "catalog"."application_audience" a SET "lacking" = NOT a."present_sources" @> n."required_sources"
            FROM "new_rows" n JOIN "old_rows" o USING ("id")
           WHERE n."required_sources" IS DISTINCT FROM o."required_sources" AND a."application_id" = n."id"
             AND a."lacking" IS DISTINCT FROM (NOT a."present_sources" @> n."required_sources");
          RETURN NULL;
        END $$`);
    await q.query(`
      CREATE TRIGGER "applications_audience_update" AFTER UPDATE ON "catalog"."applications"
        REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT
        EXECUTE FUNCTION "catalog"."audience_requirements_changed"()`);

    for (const [table, fn] of [
      ['directory_memberships', 'audience_memberships_changed'],
      ['application_groups', 'audience_bindings_changed'],
      ['directory_users', 'audience_users_changed'],
    ] as const) {
      for (const event of table === 'directory_users' ? ['INSERT', 'UPDATE'] : ['INSERT', 'UPDATE', 'DELETE']) {
        const tables =
          event === 'INSERT'
            ? 'NEW TABLE AS "new_rows"'
            : event === 'DELETE'
              ? 'OLD TABLE AS "old_rows"'
              : 'OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"';
        await q.query(`
          CREATE TRIGGER "${table}_audience_${event.toLowerCase()}" AFTER ${event} ON "catalog"."${table}"
            REFERENCING ${tables} FOR EACH STATEMENT EXECUTE FUNCTION "catalog"."${fn}"()`);
      }
    }

    await q.query(`
      INSERT INTO "catalog"."application_audience"
             ("application_id", "user_id", "organization_id", "grants", "activated", "present_sources", "lacking")
      SELECT b."application_id", m."user_id", b."organization_id", count(*)::int,
             coalesce(u."activated", false), coalesce(u."present_sources", '{}'),
             NOT coalesce(u."present_sources", '{}') @> p."required_sources"
        FROM "catalog"."application_groups" b
        JOIN "catalog"."applications" p ON p."id" = b."application_id"
        JOIN "catalog"."directory_memberships" m ON m."group_id" = b."group_id" AND m."active"
        LEFT JOIN "catalog"."directory_users" u ON u."id" = m."user_id"
       WHERE b."active"
       GROUP BY b."application_id", m."user_id", b."organization_id", u."activated", u."present_sources", p."required_sources"`);
    await q.query('ANALYZE "catalog"."application_audience"');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['directory_memberships', 'application_groups', 'directory_users']) {
      for (const event of ['insert', 'update', 'delete']) {
        await q.query(`DROP TRIGGER IF EXISTS "${table}_audience_${event}" ON "catalog"."${table}"`);
      }
    }
    await q.query(`DROP TRIGGER IF EXISTS "applications_audience_update" ON "catalog"."applications"`);
    for (const fn of [
      'audience_requirements_changed',
      'audience_users_changed',
      'audience_bindings_changed',
      'audience_memberships_changed',
    ]) {
      await q.query(`DROP FUNCTION "catalog"."${fn}"()`);
    }
    await q.query(`DROP FUNCTION "catalog"."audience_add"(uuid[], uuid[], uuid[], integer[])`);
    await q.query(`DROP FUNCTION "catalog"."audience_lock_groups"(uuid[], boolean)`);
    await q.query(`DROP TABLE "catalog"."application_audience"`);
    await q.query(`ALTER TABLE "catalog"."applications" DROP COLUMN "required_sources"`);
  }
}
