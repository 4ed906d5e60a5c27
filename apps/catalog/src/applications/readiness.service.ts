import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FreshnessGate } from '@jit/messaging';
import { z } from 'zod';
import { DomainError, ErrorCode, PageOf, type ListQuery } from '@jit/service';
import { REPLICA_FRESHNESS } from '../directory-replica/directory-replica.module';
import type { Application } from './application.entity';
import { connectorOf, findApplication, toListItem } from './application-view';
import type { ApplicationListItem } from './applications.dto';
import { requirementsOf, type Lack } from './jit-readiness';

/** `GET /v1/applications/{id}/jit-readiness`: the authorised users who lack a value the application requires. */
export const ReadinessReport = PageOf(
  z.object({
    userId: z.uuid(),
    username: z.string(),
    email: z.string(),
    missing: z
      .array(
        z.object({
          spName: z.string().nullable().meta({ description: 'The SP attribute name, or null for the NameID' }),
          kind: z.enum(['attribute', 'nameId']),
          source: z.string().meta({ description: 'The directory attribute it is read from (custom:<name> for a custom one)' }),
        }),
      )
      .meta({ description: 'What the user has no value for' }),
  }),
)
  .extend({
    applicationId: z.uuid(),
    authorisedUsers: z.number().int().meta({ description: 'ACTIVATED members of the groups bound to the application' }),
  })
  .meta({ id: 'ReadinessReport' });
export type ReadinessReport = z.infer<typeof ReadinessReport>;

interface ReadinessStatement {
  /** The CTEs; `authorised` has one row per (application, ACTIVATED member of a bound group) with `lacking`. */
  sql: string;
  parameters: unknown[];
  /** Per application, its requirements with the bit of `lacking` that says a user lacks each. */
  requirements: Map<string, { lack: Lack; bit: number }[]>;
}

/**
 * The one statement behind every readiness answer, a report or a list page's counts. Each
 * distinct source the applications require gets a bit; each user's `lacks` has a bit set for
 * each source missing from the user's `present_sources` (kept by PostgreSQL as the row is
 * written: migration 1766200000000 states the rule of a value being there), and a pair's
 * `lacking` is that ANDed with the application's `mask`: a user is not ready for an application
 * when any bit is set. The user's id (`id`) is always there.
 * Parameters: $1 organisation, $2 application ids, $3 masks, then one per source read from the
 * profile. No requirement at all: every user is ready (B'').
 */
function readinessStatement(organizationId: string, apps: readonly Application[]): ReadinessStatement {
  const sources: string[] = [];
  const requirements = new Map(
    apps.map((app) => [
      app.id,
      requirementsOf(app).map((lack) => {
        if (!sources.includes(lack.source)) sources.push(lack.source);
        return { lack, bit: sources.indexOf(lack.source) };
      }),
    ]),
  );
  const profileSources = sources.filter((source) => source !== 'id');
  const lacks = sources
    .map((source) =>
      source === 'id'
        ? "B'0'"
        : `CASE WHEN u."present_sources" @> ARRAY[$${4 + profileSources.indexOf(source)}::text] THEN B'0' ELSE B'1' END`,
    )
    .join(' || ');
  const masks = apps.map((app) => {
    const bits = new Set((requirements.get(app.id) ?? []).map((r) => r.bit));
    return { application_id: app.id, mask: sources.map((_, bit) => (bits.has(bit) ? '1' : '0')).join('') };
  });
  const sql = `
    WITH "masks" AS (
      SELECT * FROM jsonb_to_recordset($3::jsonb) AS n("application_id" uuid, "mask" varbit)
    ), "pairs" AS (
      -- The bound groups' active members, from the partial index on (group, user) alone. A
      -- binding's group is the organisation's (the catalog checks it when binding), and so are
      -- its memberships.
      SELECT DISTINCT b."application_id", m."user_id"
        FROM "catalog"."application_groups" b
        JOIN "catalog"."directory_memberships" m ON m."group_id" = b."group_id" AND m."active"
       WHERE b."organization_id" = $1 AND b."active" AND b."application_id" = ANY($2::uuid[])
    ), "authorised" AS (
      SELECT p."application_id", p."user_id", u."lacks" & n."mask" AS "lacking"
        FROM "pairs" p
        -- OFFSET 0: each user's bits are made once, not once per application. All the
        -- organisation's ACTIVATED users, in one scan: narrowing to those of the page's applications
        -- made PostgreSQL, which cannot estimate that set, look each of them up by id instead.
        JOIN (SELECT u."id", ${lacks || "B''"} AS "lacks"
                FROM "catalog"."directory_users" u
               WHERE u."organization_id" = $1 AND u."activated"
              OFFSET 0) u ON u."id" = p."user_id"
        JOIN "masks" n ON n."application_id" = p."application_id"
    )`;
  return { sql, parameters: [organizationId, apps.map((a) => a.id), JSON.stringify(masks), ...profileSources], requirements };
}

/** What a user lacks for an application, in requirement order, from the statement's `lacking` bits ('0101'). */
function missingOf(requirements: { lack: Lack; bit: number }[], lacking: string): Lack[] {
  return requirements.filter((r) => lacking[r.bit] === '1').map((r) => r.lack);
}

/** JIT readiness, read from the catalog's copy of the directory: one application's report, and the counts lists show. */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REPLICA_FRESHNESS) private readonly freshness: FreshnessGate,
  ) {}

  /**
   * The authorised users (ACTIVATED members of a bound group) who lack a value for an enabled
   * required attribute or for the NameID source, each with what they lack, by user id. Read from
   * the catalog's copy of the directory after confirming it has applied everything the DIRECTORY
   * stream held when the request arrived; if it cannot confirm that, 503 instead of a stale answer.
   */
  async readiness(organizationId: string, id: string, query: ListQuery): Promise<ReadinessReport> {
    const app = await findApplication(this.dataSource.manager, organizationId, id);
    const fresh = await this.freshness.check();
    if (!fresh.fresh) {
      throw new DomainError(ErrorCode.NotFresh, `The catalog's copy of the directory is not confirmed current: ${fresh.reason}`);
    }
    const statement = readinessStatement(organizationId, [app]);
    const next = statement.parameters.length;
    const [row] = await this.dataSource.query<
      { authorised: number; total: number; items: { userId: string; username: string; email: string; lacking: string }[] }[]
    >(
      `${statement.sql}
       SELECT (SELECT count(*) FROM "authorised")::int AS "authorised",
              (SELECT count(*) FROM "authorised" WHERE position(B'1' IN "lacking") > 0)::int AS "total",
              coalesce((SELECT jsonb_agg(jsonb_build_object('userId', l."user_id", 'username', d."profile" ->> 'username',
                                                            'email', d."profile" ->> 'email', 'lacking', l."lacking"::text) ORDER BY l."user_id")
                          FROM (SELECT * FROM "authorised" WHERE position(B'1' IN "lacking") > 0 ORDER BY "user_id" LIMIT $${next + 1} OFFSET $${next + 2}) l
                          JOIN "catalog"."directory_users" d ON d."id" = l."user_id"), '[]'::jsonb) AS "items"`,
      [...statement.parameters, query.limit, query.offset],
    );
    const requirements = statement.requirements.get(app.id) ?? [];
    return {
      applicationId: app.id,
      authorisedUsers: row?.authorised ?? 0,
      items: (row?.items ?? []).map(({ lacking, ...user }) => ({ ...user, missing: missingOf(requirements, lacking) })),
      total: row?.total ?? 0,
    };
  }

  /**
   * The applications' views with their readiness counts, in one statement for all of them (a
   * page of a list). `fresh`: the result of a freshness check made before the caller read what it lists.
   */
  async views(organizationId: string, apps: Application[], fresh?: boolean): Promise<ApplicationListItem[]> {
    if (apps.length === 0) return [];
    // A list still answers when freshness cannot be confirmed, and says so.
    fresh ??= (await this.freshness.check()).fresh;
    const statement = readinessStatement(organizationId, apps);
    const rows = await this.dataSource.query<{ application_id: string; authorised: number; lacking: number }[]>(
      `${statement.sql}
       SELECT "application_id", count(*)::int AS "authorised", count(*) FILTER (WHERE position(B'1' IN "lacking") > 0)::int AS "lacking"
         FROM "authorised"
        GROUP BY "application_id"`,
      statement.parameters,
    );
    const counts = new Map(rows.map((r) => [r.application_id, r]));
    return apps.map((app) => {
      const count = counts.get(app.id);
      return toListItem(app, connectorOf(app.connectorId), {
        usersLacking: count?.lacking ?? 0,
        authorisedUsers: count?.authorised ?? 0,
        fresh,
      });
    });
  }
}
