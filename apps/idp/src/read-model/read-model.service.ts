import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';
import { ReadApplication, ReadUser } from './read-model.entities';

type Row = Record<string, string | number | boolean | object | null>;

export interface AuthorisationFacts {
  user: { id: string; profile: UserProfile } | null;
  application: { id: string; organizationId: string; snapshot: ApplicationSnapshot } | null;
  /** A member of a group bound to the application. */
  granted: boolean;
}

@Injectable()
export class ReadModelService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes a row only if it is new or the event's version is newer than the stored one, in one
   * statement: replays are no-ops and an older event arriving late never overwrites a newer one.
   */
  async applyVersioned(table: string, keys: Row, values: Row & { version: number }): Promise<void> {
    const row = { ...keys, ...values };
    const columns = Object.keys(row);
    const placeholders = columns.map((_, i) => `$${i + 1}`);
    const updates = Object.keys(values).map((c) => `"${c}" = EXCLUDED."${c}"`);
    await this.dataSource.query(
      `INSERT INTO "idp"."${table}" (${columns.map((c) => `"${c}"`).join(', ')})
       VALUES (${placeholders.join(', ')})
       ON CONFLICT (${Object.keys(keys).map((c) => `"${c}"`).join(', ')})
       DO UPDATE SET ${updates.join(', ')}
       WHERE "${table}"."version" < EXCLUDED."version"`,
      columns.map((c) => {
        const v = row[c];
        return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
      }),
    );
  }

  async application(applicationId: string): Promise<ReadApplication | null> {
    return this.dataSource.getRepository(ReadApplication).findOneBy({ id: applicationId, deleted: false });
  }

  /** Everything one SSO decision needs, in one round trip. */
  async authorisation(organizationId: string, userId: string, applicationId: string): Promise<AuthorisationFacts> {
    const [user, application, grant] = await Promise.all([
      this.dataSource.getRepository(ReadUser).findOneBy({ id: userId, organizationId, deleted: false }),
      this.dataSource.getRepository(ReadApplication).findOneBy({ id: applicationId, organizationId, deleted: false }),
      this.dataSource.query<{ granted: boolean }[]>(
        `SELECT EXISTS (
           SELECT 1
             FROM "idp"."rm_memberships" m
             JOIN "idp"."rm_bindings" b ON b."group_id" = m."group_id" AND b."active"
             LEFT JOIN "idp"."rm_groups" g ON g."id" = m."group_id"
            WHERE m."user_id" = $1 AND m."active" AND m."organization_id" = $3
              AND b."application_id" = $2 AND b."organization_id" = $3
              AND COALESCE(g."deleted", false) = false
         ) AS "granted"`,
        [userId, applicationId, organizationId],
      ),
    ]);
    return {
      user: user?.profile ? { id: user.id, profile: user.profile } : null,
      application: application?.snapshot
        ? { id: application.id, organizationId: application.organizationId, snapshot: application.snapshot }
        : null,
      granted: grant[0]?.granted === true,
    };
  }
}
