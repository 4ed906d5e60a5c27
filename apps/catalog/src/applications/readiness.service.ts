import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FreshnessGate } from '@jit/messaging';
import { DomainError, ErrorCode, type ListQuery, type Page } from '@jit/service';
import { REPLICA_FRESHNESS } from '../directory-replica/directory-replica.module';
import { CUSTOM_PREFIX } from './attribute-mappings';
import type { Application } from './application.entity';
import { connectorOf, findApplication, toView, type ApplicationView } from './application-view';
import { HAS_TEXT_PATTERN, requirementsOf, type Lack } from './jit-readiness';

export interface ReadinessReport extends Page<{ userId: string; username: string; email: string; missing: Lack[] }> {
  applicationId: string;
  /** ACTIVATED members of the groups bound to the application. */
  authorisedUsers: number;
}

/**
 * The one statement behind every readiness answer, as CTEs over $1 organisation, $2 application
 * ids, $3 their requirements (requirementsOf, one row each) and $4 HAS_TEXT_PATTERN:
 * `authorised` holds each (application, ACTIVATED member of a bound group) once; `lacking` holds
 * those among them without a value for a requirement, with what they lack in requirement order.
 * A requirement's path is where the directory profile holds the value; null is the user's id.
 */
const AUTHORISED_AND_LACKING = `
  WITH "required" AS (
    SELECT * FROM jsonb_to_recordset($3::jsonb) AS r("application_id" uuid, "position" int, "sp_name" text, "kind" text, "source" text, "path" text[])
  ), "authorised" AS (
    SELECT p."application_id", u."id" AS "user_id", u."profile"
      FROM (SELECT DISTINCT b."application_id", m."user_id"
              FROM "catalog"."application_groups" b
              JOIN "catalog"."directory_memberships" m
                ON m."group_id" = b."group_id" AND m."active" AND m."organization_id" = $1
             WHERE b."organization_id" = $1 AND b."active" AND b."application_id" = ANY($2::uuid[])) p
      JOIN "catalog"."directory_users" u
        ON u."id" = p."user_id" AND NOT u."deleted" AND u."organization_id" = $1 AND u."profile" ->> 'state' = 'ACTIVATED'
  ), "lacking" AS (
    SELECT a."application_id", a."user_id", a."profile" ->> 'username' AS "username", a."profile" ->> 'email' AS "email",
           jsonb_agg(jsonb_build_object('spName', r."sp_name", 'kind', r."kind", 'source', r."source") ORDER BY r."position") AS "missing"
      FROM "authorised" a
      JOIN "required" r ON r."application_id" = a."application_id"
      CROSS JOIN LATERAL (
        SELECT CASE WHEN r."path" IS NULL THEN to_jsonb(a."user_id"::text) ELSE a."profile" #> r."path" END AS "value"
      ) v
     WHERE NOT coalesce(jsonb_typeof(v."value") = 'string' AND (v."value" #>> '{}') ~ $4, false)
     GROUP BY a."application_id", a."user_id", a."profile" ->> 'username', a."profile" ->> 'email'
  )`;

/** Where a user profile (the directory's event payload) holds a source's value; null: the user's id. */
function profilePath(source: string): string[] | null {
  if (source === 'id') return null;
  return source.startsWith(CUSTOM_PREFIX) ? ['customAttributes', source.slice(CUSTOM_PREFIX.length)] : [source];
}

/** The statement's parameters $1-$4 for these applications. */
function readinessParameters(organizationId: string, apps: readonly Application[]): unknown[] {
  const required = apps.flatMap((app) =>
    requirementsOf(app).map((lack, position) => ({
      application_id: app.id,
      position,
      sp_name: lack.spName,
      kind: lack.kind,
      source: lack.source,
      path: profilePath(lack.source),
    })),
  );
  return [organizationId, apps.map((a) => a.id), JSON.stringify(required), HAS_TEXT_PATTERN];
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
    const [row] = await this.dataSource.query<{ authorised: number; total: number; items: ReadinessReport['items'] }[]>(
      `${AUTHORISED_AND_LACKING}
       SELECT (SELECT count(*) FROM "authorised")::int AS "authorised",
              (SELECT count(*) FROM "lacking")::int AS "total",
              coalesce((SELECT jsonb_agg(jsonb_build_object('userId', l."user_id", 'username', l."username", 'email', l."email",
                                                            'missing', l."missing") ORDER BY l."user_id")
                          FROM (SELECT * FROM "lacking" ORDER BY "user_id" LIMIT $5 OFFSET $6) l), '[]'::jsonb) AS "items"`,
      [...readinessParameters(organizationId, [app]), query.limit, query.offset],
    );
    return { applicationId: app.id, authorisedUsers: row?.authorised ?? 0, items: row?.items ?? [], total: row?.total ?? 0 };
  }

  /**
   * The applications' views with their readiness counts, in one statement for all of them (a
   * page of a list). `fresh`: the result of a freshness check made before the caller read what it lists.
   */
  async views(organizationId: string, apps: Application[], fresh?: boolean): Promise<ApplicationView[]> {
    if (apps.length === 0) return [];
    // A list still answers when freshness cannot be confirmed, and says so.
    fresh ??= (await this.freshness.check()).fresh;
    const rows = await this.dataSource.query<{ application_id: string; authorised: number; lacking: number }[]>(
      `${AUTHORISED_AND_LACKING}
       SELECT a."application_id", count(*)::int AS "authorised", count(l."user_id")::int AS "lacking"
         FROM "authorised" a
         LEFT JOIN "lacking" l ON l."application_id" = a."application_id" AND l."user_id" = a."user_id"
        GROUP BY a."application_id"`,
      readinessParameters(organizationId, apps),
    );
    const counts = new Map(rows.map((r) => [r.application_id, r]));
    return apps.map((app) => {
      const count = counts.get(app.id);
      return toView(app, connectorOf(app.connectorId), {
        usersLacking: count?.lacking ?? 0,
        authorisedUsers: count?.authorised ?? 0,
        fresh,
      });
    });
  }
}
