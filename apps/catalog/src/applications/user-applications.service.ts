import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type FreshnessGate, NatsBus } from '@jit/messaging';
import { DirectoryRpc } from '@jit/directory-contracts';
import { DomainError, ErrorCode, notFound } from '@jit/service';
import { REPLICA_FRESHNESS } from '../directory-replica/directory-replica.module';
import { applicationStatus, connectorOf } from './application-view';
import type { UserApplicationsPage, UserApplicationsQuery } from './applications.dto';

export type UserApplication = UserApplicationsPage['items'][number];

interface Row {
  id: string;
  name: string;
  connector_id: string;
  active: boolean;
  via_groups: { id: string; name: string | null }[];
}

/**
 * The applications a user reaches through their groups (an active membership of a group bound
 * to the application), for the console's user page, from the catalog's copy of the directory.
 * Inactive applications are listed too, with their status: the binding is there, and signs the
 * user in again once the application is switched back on.
 */
@Injectable()
export class UserApplicationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: NatsBus,
    @Inject(REPLICA_FRESHNESS) private readonly freshness: FreshnessGate,
  ) {}

  async list(organizationId: string, userId: string, query: UserApplicationsQuery): Promise<UserApplicationsPage> {
    // After the check, a user created or added to a group a moment ago is in the copy.
    const fresh = await this.freshness.check();
    const [user] = await this.dataSource.query<{ id: string }[]>(
      `SELECT "id" FROM "catalog"."directory_users" WHERE "id" = $1 AND "organization_id" = $2 AND NOT "deleted"`,
      [userId, organizationId],
    );
    if (!user) {
      if (!fresh.fresh) {
        throw new DomainError(
          ErrorCode.NotFresh,
          `Cannot tell whether user ${userId} exists: the catalog's copy of the directory is not confirmed current (${fresh.reason}); try again shortly`,
        );
      }
      throw notFound('User', userId);
    }
    const [page] = await this.dataSource.query<{ total: number; items: Row[] }[]>(
      `WITH "reached" AS (
         SELECT a."id", a."name", a."connector_id", a."active",
                jsonb_agg(jsonb_build_object('id', m."group_id", 'name', g."name") ORDER BY lower(g."name"), m."group_id") AS "via_groups"
           FROM "catalog"."directory_memberships" m
           JOIN "catalog"."application_groups" b
             ON b."group_id" = m."group_id" AND b."active" AND b."organization_id" = $1
           JOIN "catalog"."applications" a
             ON a."id" = b."application_id" AND a."organization_id" = $1 AND ($3::boolean IS NULL OR a."active" = $3)
           LEFT JOIN "catalog"."directory_groups" g ON g."id" = m."group_id"
          WHERE m."user_id" = $2 AND m."active" AND m."organization_id" = $1
          GROUP BY a."id"
       )
       SELECT (SELECT count(*) FROM "reached")::int AS "total",
              coalesce((SELECT jsonb_agg(p ORDER BY lower(p."name"), p."id")
                          FROM (SELECT * FROM "reached" ORDER BY lower("name"), "id" LIMIT $4 OFFSET $5) p), '[]'::jsonb) AS "items"`,
      [organizationId, userId, query.status === undefined ? null : query.status === 'active', query.limit, query.offset],
    );
    const rows = page?.items ?? [];
    const names = await this.groupNames(organizationId, rows);
    const items = rows.map((r) => ({
      id: r.id,
      name: r.name,
      connectorId: r.connector_id,
      supportedFunctionality: [...connectorOf(r.connector_id).supportedFunctionality],
      status: applicationStatus(r),
      viaGroups: r.via_groups.map((g) => ({ id: g.id, name: g.name ?? names.get(g.id) ?? g.id })),
    }));
    return { items, total: page?.total ?? 0 };
  }

  /**
   * The names the copy lacks (groups it kept before it kept names) from the directory, one
   * request per such group: only this page's, and only until the group's next event names it.
   */
  private async groupNames(organizationId: string, rows: Row[]): Promise<Map<string, string>> {
    const unnamed = [...new Set(rows.flatMap((r) => r.via_groups.filter((g) => g.name === null).map((g) => g.id)))];
    const answers = await Promise.all(
      unnamed.map(async (groupId) => [groupId, await this.bus.request(DirectoryRpc.getGroup, { organizationId, groupId })] as const),
    );
    return new Map(answers.flatMap(([id, group]) => (group.found && group.name !== undefined ? [[id, group.name] as const] : [])));
  }
}
