import { Controller, Get, HttpCode, Put, Delete, UseGuards, Inject } from '@nestjs/common';
import { ApiNoContentResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { MFA_FACTOR_KINDS } from '@jit/idp-contracts';
import {
  ApiKeyGuard,
  CurrentCaller,
  DomainError,
  ErrorCode,
  notFound,
  RequirePermission,
  ZodBody,
  ZodParam,
  ZodResponse,
  type Caller,
} from '@jit/service';
import { ReadModelService } from '../read-model/read-model.service';
import { SessionStore } from '../sessions/session-store';
import { MFA_POLICIES, MfaService } from './mfa.service';
import { MfaThrottle } from './mfa-throttle';

export const MfaPolicyBody = z
  .object({
    policy: z.enum(MFA_POLICIES).meta({
      description:
        'off (the default) and optional: nobody has to enrol, and a person who set up a factor gives it at every sign-in; required: everyone gives one, enrolling at their next sign-in. An application with mfaRequired asks for one whatever the policy',
    }),
  })
  .strict()
  .meta({ id: 'MfaPolicy' });
export type MfaPolicyBody = z.infer<typeof MfaPolicyBody>;

export const UserMfa = z
  .object({
    factors: z.array(
      z.object({
        id: z.uuid(),
        kind: z.enum(MFA_FACTOR_KINDS).meta({ description: 'totp: an authenticator app; webauthn: a passkey' }),
        name: z.string().nullable().meta({ description: "a passkey's name, as the person set it; null for an authenticator app" }),
        confirmed: z.boolean().meta({ description: 'false: set up but never confirmed with a code; it does not count' }),
        createdAt: z.iso.datetime(),
        lastUsedAt: z.iso.datetime().nullable(),
      }),
    ),
    recoveryCodesLeft: z.number().int().min(0),
    lockedUntil: z.iso.datetime().nullable().meta({
      description:
        'Too many wrong codes locked the person out of the second step until then (even a right code is refused); null when not locked',
    }),
  })
  .meta({ id: 'UserMfa' });
export type UserMfa = z.infer<typeof UserMfa>;

export const MfaReset = z
  .object({ factorsRemoved: z.number().int().min(0), sessionsEnded: z.number().int().min(0) })
  .meta({ id: 'MfaReset' });
export type MfaReset = z.infer<typeof MfaReset>;

const UserId = z.uuid();

/**
 * The organisation's MFA policy and a person's factors. Setting the policy declares no permission:
 * it changes how everyone signs in, so it is an administrator's (deny by default). Resetting a
 * person's factors is help-desk work: 'credentials:manage', like unlocking and password resets.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class MfaAdminController {
  constructor(
    private readonly mfa: MfaService,
    private readonly sessions: SessionStore,
    @Inject(MfaThrottle) private readonly throttle: MfaThrottle,
    private readonly readModel: ReadModelService,
  ) {}

  /**
   * Whether the person is of the caller's organisation. The throttle counts by person only, so its
   * state is read or lifted only for the caller's own people: another organisation's id is not theirs.
   */
  private ours(caller: Caller, userId: string): boolean {
    return this.readModel.profile(caller.organizationId, userId) !== null;
  }

  /**
   * An admin's second factor is reset or unlocked only by someone who may change roles, as the
   * directory rules for their password and lockout (AdminAccountsGuard): a help-desk person must
   * not strip an administrator's account of its second factor.
   */
  private mayChangeFactorsOf(caller: Caller, userId: string): void {
    if (!caller.actor || !caller.grants || caller.grants.permissions.includes('roles:manage')) return;
    const role = this.readModel.adminRole(caller.organizationId, userId);
    if (!role) return;
    throw new DomainError(
      ErrorCode.Forbidden,
      `Your admin role (${caller.actor.role}) may not change the account of an admin (${role}): ask an administrator`,
    );
  }

  @Get('mfa-policy')
  @ZodResponse(200, MfaPolicyBody)
  async policy(@CurrentCaller() caller: Caller): Promise<MfaPolicyBody> {
    return { policy: await this.mfa.policy(caller.organizationId) };
  }

  @Put('mfa-policy')
  @ZodResponse(200, MfaPolicyBody)
  async setPolicy(@CurrentCaller() caller: Caller, @ZodBody(MfaPolicyBody) body: MfaPolicyBody): Promise<MfaPolicyBody> {
    await this.mfa.setPolicy(caller.organizationId, body.policy);
    return body;
  }

  @Get('users/:id/mfa')
  @ZodResponse(200, UserMfa)
  async factors(@CurrentCaller() caller: Caller, @ZodParam('id', UserId) userId: string): Promise<UserMfa> {
    const who = { organizationId: caller.organizationId, userId };
    const factors = await this.mfa.factors(who);
    return {
      factors: factors.map((f) => ({ ...f, createdAt: f.createdAt.toISOString(), lastUsedAt: f.lastUsedAt?.toISOString() ?? null })),
      recoveryCodesLeft: await this.mfa.recoveryCodesLeft(who),
      lockedUntil: this.ours(caller, userId) ? ((await this.throttle.lockedUntil(userId))?.toISOString() ?? null) : null,
    };
  }

  /**
   * Lifts the person's second-step lockout and forgets their wrong codes; their factors stay (a
   * person who mistyped, not one who lost the device). Audited when there was a lockout to lift.
   */
  @Delete('users/:id/mfa/lockout')
  @RequirePermission('credentials:manage')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Lifted (or there was none): the person may give a code again at once' })
  async unlock(@CurrentCaller() caller: Caller, @ZodParam('id', UserId) userId: string): Promise<void> {
    if (!this.ours(caller, userId)) throw notFound('User', userId);
    this.mayChangeFactorsOf(caller, userId);
    const lockedUntil = await this.throttle.lockedUntil(userId);
    await this.throttle.unlock(userId);
    if (lockedUntil) this.mfa.unlocked({ organizationId: caller.organizationId, userId }, lockedUntil);
  }

  /** Removes every factor and recovery code, lifts an MFA lockout and ends the person's sessions on this instance. */
  @Delete('users/:id/mfa')
  @RequirePermission('credentials:manage')
  @HttpCode(200)
  @ZodResponse(200, MfaReset)
  async reset(@CurrentCaller() caller: Caller, @ZodParam('id', UserId) userId: string): Promise<MfaReset> {
    this.mayChangeFactorsOf(caller, userId);
    const factorsRemoved = await this.mfa.reset({ organizationId: caller.organizationId, userId });
    if (this.ours(caller, userId)) await this.throttle.unlock(userId);
    const sessionsEnded = await this.sessions.endOthers(caller.organizationId, userId, '');
    return { factorsRemoved, sessionsEnded };
  }
}
