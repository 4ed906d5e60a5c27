import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyGuard, CurrentCaller, DomainError, ErrorCode, IdParam, ZodPipe, ZodResponse, type Caller } from '@jit/service';
import { AssertionPreview, PreviewService } from './preview.service';

const PreviewQuery = z.object({ userId: IdParam });

/** `GET /v1/applications/:id/preview?userId=` (x-api-key of the organisation; other organisations' ids answer 404). */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class PreviewController {
  constructor(private readonly previews: PreviewService) {}

  @Get('applications/:id/preview')
  @ZodResponse(200, AssertionPreview)
  async preview(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(IdParam)) id: string,
    @Query(new ZodPipe(PreviewQuery)) query: z.infer<typeof PreviewQuery>,
  ): Promise<AssertionPreview> {
    const preview = await this.previews.preview(caller.organizationId, id, query.userId);
    if (!preview) throw new DomainError(ErrorCode.NotFound, `Application ${id} or user ${query.userId} was not found`);
    return preview;
  }
}
