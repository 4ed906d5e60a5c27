import { Controller, Delete, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller, IdParam, ListQuery, ZodBody, ZodParam, ZodQuery, type Caller, RequirePermission } from '@jit/service';
import { CreateApiKeyBody } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

@Controller('v1/api-keys')
@UseGuards(ApiKeyGuard)
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @RequirePermission('api-keys:manage')
  @HttpCode(201)
  create(@CurrentCaller() caller: Caller, @ZodBody(CreateApiKeyBody) body: CreateApiKeyBody) {
    return this.apiKeys.create(caller.organizationId, body.name);
  }

  @Get()
  list(@CurrentCaller() caller: Caller, @ZodQuery(ListQuery) query: ListQuery) {
    return this.apiKeys.list(caller.organizationId, query);
  }

  @Delete(':id')
  @RequirePermission('api-keys:manage')
  @HttpCode(204)
  async revoke(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<void> {
    await this.apiKeys.revoke(caller, id);
  }
}
