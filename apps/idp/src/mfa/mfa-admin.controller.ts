import { Controller, Get, HttpCode, Put, Delete, UseGuards, Inject } from '@nestjs/common';
import { z } from 'zod';
import { MFA_FACTOR_KINDS } from '@jit/idp-contracts';
import { ApiKeyGuard, CurrentCaller, RequirePermission, ZodBody, ZodParam, ZodResponse, type Caller } from '@jit/service';
import { SessionStore } from '../sessions/session-store';
import { MFA_POLICIES, MfaService } from './mfa.service';
import { MfaThrottle } from './mfa-throttle';

export const MfaPolicyBody = z
  .object({
    policy: z.enum(MFA_POLICIES).meta({
      description:
        'off: no second step; optional: people who set up a factor give it; required: everyone gives one, enrolling at their next sign-in',
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
  ) {}

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
    };
  }

  /** Removes every factor and recovery code, lifts an MFA lockout and ends the person's sessions on this instance. */
  @Delete('users/:id/mfa')
  @RequirePermission('credentials:manage')
  @HttpCode(200)
  @ZodResponse(200, MfaReset)
  async reset(@CurrentCaller() caller: Caller, @ZodParam('id', UserId) userId: string): Promise<MfaReset> {
    const factorsRemoved = await this.mfa.reset({ organizationId: caller.organizationId, userId });
    await this.throttle.unlock(userId);
    const sessionsEnded = await this.sessions.endOthers(caller.organizationId, userId, '');
    return { factorsRemoved, sessionsEnded };
  }
}
