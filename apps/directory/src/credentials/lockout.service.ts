import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Outbox } from '@jit/messaging';
import { UsersService } from '../users/users.service';
import { ACCOUNT_WINDOW_SECONDS, clearLockout } from './clear-lockout';
import { CREDENTIALS_POLICY, type CredentialsPolicy } from './credentials.service';

/** GET /v1/users/:id/lockout. */
export const LockoutView = z
  .object({
    locked: z.boolean().meta({ description: 'Whether any address, or every new one, is refused now' }),
    sources: z
      .array(
        z.object({
          source: z.string().nullable().meta({ description: 'The source address; null for checks that named none' }),
          until: z.iso.datetime().meta({ description: "When this address's backoff ends" }),
          failures: z.number().int().meta({ description: 'Wrong passwords in a row from this address' }),
        }),
      )
      .meta({ description: 'The addresses that back off now, the longest first' }),
    accountLimitedUntil: z.iso.datetime().nullable().meta({
      description:
        "When the account's hourly ceiling of wrong passwords ends (it refuses every address but those the person signed in from within 30 days); null when it is not reached",
    }),
  })
  .meta({ id: 'LockoutView' });
export type LockoutView = z.infer<typeof LockoutView>;

/** The lockout of one account as administrators see and lift it (the organisation wall: another's id is 404). */
@Injectable()
export class LockoutService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    @Inject(CREDENTIALS_POLICY) private readonly policy: CredentialsPolicy,
  ) {}

  async state(organizationId: string, userId: string): Promise<LockoutView> {
    await this.users.get(organizationId, userId);
    const sources = await this.dataSource.query<{ source: string; until: Date; failures: number }[]>(
      `SELECT "source", "locked_until" AS "until", "failures" FROM "directory"."credential_backoffs"
       WHERE "organization_id" = $1 AND "account" = $2 AND "locked_until" > now()
       ORDER BY "locked_until" DESC, "source"`,
      [organizationId, userId],
    );
    const [ceiling] = await this.dataSource.query<{ until: Date }[]>(
      `SELECT "window_started_at" + make_interval(secs => $3) AS "until" FROM "directory"."credential_account_limits"
       WHERE "organization_id" = $1 AND "account" = $2 AND "failures" >= $4
         AND "window_started_at" > now() - make_interval(secs => $3)`,
      [organizationId, userId, ACCOUNT_WINDOW_SECONDS, this.policy.accountLimitPerHour],
    );
    return {
      locked: sources.length > 0 || ceiling !== undefined,
      sources: sources.map((s) => ({ source: s.source || null, until: s.until.toISOString(), failures: s.failures })),
      accountLimitedUntil: ceiling ? ceiling.until.toISOString() : null,
    };
  }

  async clear(organizationId: string, userId: string): Promise<void> {
    await this.outbox.run(async (tx) => {
      await this.users.find(tx.manager, organizationId, userId);
      await clearLockout(tx, organizationId, userId, 'admin');
    });
  }
}
