import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyGuard, CurrentCaller, DomainError, ErrorCode, ZodPipe, ZodResponse, type Caller, RequirePermission } from '@jit/service';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SigningKeysService } from './signing-keys.service';

const RotationBody = z.object({ activatesAt: z.iso.datetime().optional() }).strict();

/** The scheduled key: its certificate is published in metadata at once and signs from activatesAt. */
export const ScheduledKey = z
  .object({
    id: z.uuid(),
    certificatePem: z.string().meta({ description: 'Give it to SPs that do not read metadata' }),
    activatesAt: z.iso.datetime().meta({ description: 'When it starts signing' }),
  })
  .meta({ id: 'ScheduledKey' });
export type ScheduledKey = z.infer<typeof ScheduledKey>;

/** `POST /v1/signing-keys/rotation`: schedules the organisation's next signing key. */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class KeyRotationController {
  constructor(
    private readonly keys: SigningKeysService,
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
  ) {}

  @Post('signing-keys/rotation')
  @RequirePermission('signing-keys:manage')
  @HttpCode(201)
  @ZodResponse(201, ScheduledKey)
  async rotate(
    @CurrentCaller() caller: Caller,
    @Body(new ZodPipe(RotationBody)) body: z.infer<typeof RotationBody>,
  ): Promise<ScheduledKey> {
    // SPs refresh metadata on their own schedule: the next certificate must be out there first.
    const notice = this.config.IDP_KEY_ROTATION_MIN_NOTICE_SECONDS * 1000;
    const activatesAt = body.activatesAt ? new Date(body.activatesAt) : new Date(Date.now() + Math.max(notice, 7 * 86_400_000));
    if (activatesAt.getTime() < Date.now() + notice) {
      throw new DomainError(
        ErrorCode.ValidationFailed,
        `activatesAt must be at least ${this.config.IDP_KEY_ROTATION_MIN_NOTICE_SECONDS} s ahead, so that SPs see the certificate before it signs`,
        [{ field: 'activatesAt', message: 'too soon' }],
      );
    }
    const next = await this.keys.scheduleRotation(caller.organizationId, activatesAt);
    return { id: next.id, certificatePem: next.certificatePem, activatesAt: next.activatesAt.toISOString() };
  }
}
