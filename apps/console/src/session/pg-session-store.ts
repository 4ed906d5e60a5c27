import { Store, type SessionData } from 'express-session';
import { LessThan, type DataSource } from 'typeorm';
import { SessionRow } from './session-row.entity';

/** Used when a session has no cookie expiry (ours always has one: 8 hours). */
const DEFAULT_TTL_MS = 8 * 3600_000;

/**
 * express-session's store on the console's own table (`console.sessions`): sessions survive a
 * restart and are shared by every instance behind one address. An expired row reads as no session
 * and is deleted by `prune` (run with the activity retention job).
 */
export class PgSessionStore extends Store {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    this.repository()
      .findOneBy({ sid })
      .then(
        (row) => callback(null, row && row.expiresAt.getTime() > Date.now() ? (row.data as unknown as SessionData) : null),
        (error: unknown) => callback(error),
      );
  }

  override set(sid: string, session: SessionData, callback?: (error?: unknown) => void): void {
    this.dataSource
      .query(
        `INSERT INTO "console"."sessions" ("sid", "data", "expires_at") VALUES ($1, $2, $3)
         ON CONFLICT ("sid") DO UPDATE SET "data" = EXCLUDED."data", "expires_at" = EXCLUDED."expires_at"`,
        [sid, JSON.stringify(session), expiryOf(session)],
      )
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  override touch(sid: string, session: SessionData, callback?: () => void): void {
    this.repository()
      .update({ sid }, { expiresAt: expiryOf(session) })
      .then(
        () => callback?.(),
        // A touch that fails only shortens the session; the request goes on.
        () => callback?.(),
      );
  }

  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.repository()
      .delete({ sid })
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  /** Deletes the expired sessions; answers how many. */
  async prune(now = new Date()): Promise<number> {
    const result = await this.repository().delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }

  private repository() {
    return this.dataSource.getRepository(SessionRow);
  }
}

function expiryOf(session: SessionData): Date {
  const expires = session.cookie?.expires;
  return expires ? new Date(expires) : new Date(Date.now() + DEFAULT_TTL_MS);
}
