import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UserProfile } from '@jit/directory-contracts';
import { upsertIfNewer } from '@jit/persistence';

type Row = Record<string, string | number | boolean | object | null>;

export interface AuthorisedUser {
  applicationId: string;
  userId: string;
  profile: UserProfile;
}

/**
 * The catalog's copy of the directory users and memberships it needs (JIT readiness, known
 * custom attribute names). It is fed only by DIRECTORY events: the catalog never reads the
 * directory's tables and never polls it.
 */
@Injectable()
export class DirectoryReplicaService {
  constructor(private readonly dataSource: DataSource) {}

  /** Replays are no-ops; an older event arriving late never overwrites a newer one. */
  async applyVersioned(table: 'directory_users' | 'directory_memberships', keys: Row, values: Row & { version: number }): Promise<void> {
    await upsertIfNewer(this.dataSource, { schema: 'catalog', name: table }, keys, values, { touch: 'updated_at' });
  }

  /** The custom attribute names at least one (not deleted) user of the organisation has, sorted. */
  async customAttributeNames(organizationId: string): Promise<string[]> {
    const rows = await this.dataSource.query<{ name: string }[]>(
      `SELECT DISTINCT jsonb_object_keys(u."profile" -> 'customAttributes') AS "name"
         FROM "catalog"."directory_users" u
        WHERE u."organization_id" = $1 AND NOT u."deleted" AND u."profile" IS NOT NULL`,
      [organizationId],
    );
    return rows.map((r) => r.name).sort();
  }

  /**
   * The users authorised for each application: ACTIVATED members of a group bound to it.
   * One query for all the applications of a page.
   */
  async authorisedUsers(organizationId: string, applicationIds: readonly string[]): Promise<AuthorisedUser[]> {
    if (applicationIds.length === 0) return [];
    const rows = await this.dataSource.query<{ application_id: string; user_id: string; profile: UserProfile }[]>(
      `SELECT DISTINCT b."application_id", u."id" AS "user_id", u."profile"
         FROM "catalog"."application_groups" b
         JOIN "catalog"."directory_memberships" m
           ON m."group_id" = b."group_id" AND m."active" AND m."organization_id" = $1
         JOIN "catalog"."directory_users" u
           ON u."id" = m."user_id" AND NOT u."deleted" AND u."organization_id" = $1
        WHERE b."organization_id" = $1 AND b."active" AND b."application_id" = ANY($2::uuid[])
          AND u."profile" ->> 'state' = 'ACTIVATED'
        ORDER BY b."application_id", u."id"`,
      [organizationId, applicationIds],
    );
    return rows.map((r) => ({ applicationId: r.application_id, userId: r.user_id, profile: r.profile }));
  }
}
