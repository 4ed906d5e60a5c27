import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyGuard, CurrentCaller, DomainError, ErrorCode, IdParam, ZodPipe, type Caller } from '@jit/service';
import { SigningKeysService } from '../keys/signing-keys.service';
import { SsoService } from '../sso/sso.service';

const PreviewQuery = z.object({ userId: IdParam });
/** At least a minute ahead, so that metadata carries the next certificate before it signs. */
const RotationBody = z.object({ activatesAt: z.iso.datetime().optional() }).strict();

/** The IdP's admin API (x-api-key of the organisation; other organisations' ids answer 404). */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class AdminController {
  constructor(
    private readonly sso: SsoService,
    private readonly keys: SigningKeysService,
  ) {}

  @Get('applications/:id/preview')
  async preview(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(IdParam)) id: string, @Query(new ZodPipe(PreviewQuery)) query: z.infer<typeof PreviewQuery>) {
    const preview = await this.sso.preview(caller.organizationId, id, query.userId);
    if (!preview) throw new DomainError(ErrorCode.NotFound, `Application ${id} or user ${query.userId} was not found`);
    return preview;
  }

  @Post('signing-keys/rotation')
  @HttpCode(201)
  async rotate(@CurrentCaller() caller: Caller, @Body(new ZodPipe(RotationBody)) body: z.infer<typeof RotationBody>) {
    const activatesAt = body.activatesAt ? new Date(body.activatesAt) : new Date(Date.now() + 7 * 86_400_000);
    if (activatesAt.getTime() < Date.now() + 60_000) {
      throw new DomainError(ErrorCode.ValidationFailed, 'activatesAt must be at least a minute ahead, so that SPs see the certificate first', [{ field: 'activatesAt', message: 'too soon' }]);
    }
    const next = await this.keys.scheduleRotation(caller.organizationId, activatesAt);
    return { id: next.id, certificatePem: next.certificatePem, activatesAt: next.activatesAt.toISOString() };
  }
}
