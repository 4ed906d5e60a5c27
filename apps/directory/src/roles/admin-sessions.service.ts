import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DirectoryRpc, ROLE_PERMISSIONS, personCaller, type AdminRole } from '@jit/directory-contracts';
import type { RequestOf, ResponseOf } from '@jit/messaging';
import { hashApiKey, newAdminSessionToken, type Caller } from '@jit/service';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';

/**
 * Ends every open session of a person, in the caller's transaction: one who is suspended or loses
 * their role is refused at once anyway (resolution reads their row), but must not find their old
 * token working again the day they are reactivated or given a role back.
 */
export async function endAdminSessions(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`UPDATE "directory"."admin_sessions" SET "revoked_at" = now() WHERE "user_id" = $1 AND "revoked_at" IS NULL`, [
    userId,
  ]);
}

/** A console session lasts a working day at most; the console's cookie lives as long. */
export const ADMIN_SESSION_HOURS = 8;

/**
 * The admin console's sessions. The console asks for one once the IdP signed a person in; every
 * service then checks the token here (the directory over NATS for the others), and the answer is
 * read from the user's row at each check: a person suspended, deleted or stripped of their role
 * loses every session at once, without anyone having to find and close them.
 */
@Injectable()
export class AdminSessionsService {
  constructor(private readonly dataSource: DataSource) {}

  async open(request: RequestOf<typeof DirectoryRpc.openAdminSession>): Promise<ResponseOf<typeof DirectoryRpc.openAdminSession>> {
    const manager = this.dataSource.manager;
    const user = await manager.findOneBy(User, { id: request.userId, organizationId: request.organizationId });
    const organization = user ? await manager.findOneBy(Organization, { id: user.organizationId }) : null;
    if (!user || !organization) return { ok: false, reason: 'not_found' };
    if (user.state !== 'ACTIVATED') return { ok: false, reason: 'not_active' };
    if (!user.adminRole) return { ok: false, reason: 'no_admin_role' };
    const token = newAdminSessionToken();
    const expiresAt = new Date(Date.now() + ADMIN_SESSION_HOURS * 3_600_000);
    // Expired rows serve nothing; whoever opens a session sweeps the day-old ones (indexed).
    await manager.query(`DELETE FROM "directory"."admin_sessions" WHERE "expires_at" < now() - interval '1 day'`);
    await manager.query(
      `INSERT INTO "directory"."admin_sessions" ("token_hash", "organization_id", "user_id", "expires_at") VALUES ($1, $2, $3, $4)`,
      [hashApiKey(token), user.organizationId, user.id, expiresAt],
    );
    return {
      ok: true,
      token,
      expiresAt: expiresAt.toISOString(),
      role: user.adminRole,
      permissions: [...ROLE_PERMISSIONS[user.adminRole]],
      user: {
        id: user.id,
        username: user.username,
        email: user.email,
        firstname: user.firstname ?? '',
        lastname: user.lastname ?? '',
        displayname: user.displayname ?? '',
      },
      organization: { id: organization.id, name: organization.name },
    };
  }

  /** Sign-out: the token stops working at once here (within a second in the other services). */
  async close(token: string): Promise<{ closed: boolean }> {
    const [, affected] = await this.dataSource.query<[unknown, number]>(
      `UPDATE "directory"."admin_sessions" SET "revoked_at" = now() WHERE "token_hash" = $1 AND "revoked_at" IS NULL`,
      [hashApiKey(token)],
    );
    return { closed: affected > 0 };
  }

  /** The guard's Caller for a session (see person). */
  async resolve(tokenHash: string): Promise<Caller | null> {
    const found = await this.person(tokenHash);
    return found ? personCaller(found.organizationId, found.actor) : null;
  }

  /** The session's person as they are now: null once it expired or closed, or they are no longer an active admin. */
  async person(
    tokenHash: string,
  ): Promise<{ organizationId: string; actor: { userId: string; username: string; role: AdminRole } } | null> {
    const rows = await this.dataSource.query<{ organization_id: string; id: string; username: string; admin_role: AdminRole }[]>(
      `SELECT u."organization_id", u."id", u."username", u."admin_role"
         FROM "directory"."admin_sessions" s
         JOIN "directory"."users" u ON u."id" = s."user_id" AND u."organization_id" = s."organization_id"
        WHERE s."token_hash" = $1 AND s."revoked_at" IS NULL AND s."expires_at" > now()
          AND u."state" = 'ACTIVATED' AND u."admin_role" IS NOT NULL`,
      [tokenHash],
    );
    const row = rows[0];
    return row ? { organizationId: row.organization_id, actor: { userId: row.id, username: row.username, role: row.admin_role } } : null;
  }
}
