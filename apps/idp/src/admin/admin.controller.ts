import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyGuard, CurrentCaller, DomainError, ErrorCode, IdParam, ZodPipe, type Caller } from '@jit/service';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SigningKeysService } from '../keys/signing-keys.service';
import { SsoService } from '../sso/sso.service';

const PreviewQuery = z.object({ userId: IdParam });
const RotationBody = z.object({ activatesAt: z.iso.datetime().optional() }).strict();

/** The IdP's admin API (x-api-key of the organisation; other organisations' ids answer 404). */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class AdminController {
  constructor(
    private readonly sso: SsoService,
    private readonly keys: SigningKeysService,
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
  ) {}

  @Get('applications/:id/preview')
  async preview(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(IdParam)) id: string,
    @Query(new ZodPipe(PreviewQuery)) query: z.infer<typeof PreviewQuery>,
  ) {
    const preview = await this.sso.preview(caller.organizationId, id, query.userId);
    if (!preview) throw new DomainError(ErrorCode.NotFound, `Application ${id} or user ${query.userId} was not found`);
    return preview;
  }

  @Post('signing-keys/rotation')
  @HttpCode(201)
  async rotate(@CurrentCaller() caller: Caller, @Body(new ZodPipe(RotationBody)) body: z.infer<typeof RotationBody>) {
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
