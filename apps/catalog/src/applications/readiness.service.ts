import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FreshnessGate } from '@jit/messaging';
import { z } from 'zod';
import { DomainError, ErrorCode, PageOf, type ListQuery } from '@jit/service';
import { REPLICA_FRESHNESS } from '../directory-replica/directory-replica.module';
import type { Application } from './application.entity';
import { connectorOf, findApplication, toListItem } from './application-view';
import type { ApplicationListItem } from './applications.dto';
import { requirementsOf } from './jit-readiness';

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

/**
 * An application's two readiness counts for `app` (an SQL expression of its id), each from its
 * partial index of `catalog.application_audience` (migration 1766300000000): its ACTIVATED pairs,
 * and those that lack a value it requires.
 */
const countsOf = (app: string) => `
  (SELECT count(*) FROM "catalog"."application_audience" a WHERE a."application_id" = ${app} AND a."activated")::int AS "authorised",
  (SELECT count(*) FROM "catalog"."application_audience" a
    WHERE a."application_id" = ${app} AND a."activated" AND a."lacking")::int AS "lacking"`;

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
    // The application's (application, user) pairs, kept as events and bindings arrive (migration
    // 1766300000000): counted and paged from its two partial indexes, without reading the
    // memberships or the users (but the page's).
    const [row] = await this.dataSource.query<
      { authorised: number; lacking: number; items: { userId: string; username: string; email: string; present: string[] }[] }[]
    >(
      `SELECT ${countsOf('$1')},
              coalesce((SELECT jsonb_agg(jsonb_build_object('userId', l."user_id", 'username', d."profile" ->> 'username',
                                                            'email', d."profile" ->> 'email', 'present', l."present_sources") ORDER BY l."user_id")
                          FROM (SELECT a."user_id", a."present_sources" FROM "catalog"."application_audience" a
                                 WHERE a."application_id" = $1 AND a."activated" AND a."lacking"
                                 ORDER BY a."user_id" LIMIT $2 OFFSET $3) l
                          JOIN "catalog"."directory_users" d ON d."id" = l."user_id"), '[]'::jsonb) AS "items"`,
      [app.id, query.limit, query.offset],
    );
    // What a user lacks, in requirement order (the user's id every user has).
    const requirements = requirementsOf(app).filter((r) => r.source !== 'id');
    return {
      applicationId: app.id,
      authorisedUsers: row?.authorised ?? 0,
      items: (row?.items ?? []).map(({ present, ...user }) => ({
        ...user,
        missing: requirements.filter((r) => !present.includes(r.source)),
      })),
      total: row?.lacking ?? 0,
    };
  }

  /**
   * The applications' views with their readiness counts, in one statement for all of them (a
   * page of a list). `fresh`: the result of a freshness check made before the caller read what it lists.
   */
  async views(apps: Application[], fresh?: boolean): Promise<ApplicationListItem[]> {
    if (apps.length === 0) return [];
    // A list still answers when freshness cannot be confirmed, and says so.
    fresh ??= (await this.freshness.check()).fresh;
    const rows = await this.dataSource.query<{ application_id: string; authorised: number; lacking: number }[]>(
      `SELECT r."id" AS "application_id", ${countsOf('r."id"')} FROM unnest($1::uuid[]) AS r("id")`,
      [apps.map((app) => app.id)],
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
