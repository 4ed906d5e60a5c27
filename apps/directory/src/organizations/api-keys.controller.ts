import { Controller, Delete, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiKeyGuard,
  CurrentCaller,
  IdParam,
  ListQuery,
  ZodBody,
  ZodParam,
  ZodQuery,
  ZodResponse,
  type Caller,
  RequirePermission,
} from '@jit/service';
import { CreateApiKeyBody } from './api-keys.dto';
import { ApiKeyPage, ApiKeysService, CreatedApiKey } from './api-keys.service';

@Controller('v1/api-keys')
@UseGuards(ApiKeyGuard)
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @RequirePermission('api-keys:manage')
  @HttpCode(201)
  @ZodResponse(201, CreatedApiKey)
  create(@CurrentCaller() caller: Caller, @ZodBody(CreateApiKeyBody) body: CreateApiKeyBody): Promise<CreatedApiKey> {
    return this.apiKeys.create(caller.organizationId, body.name);
  }

  @Get()
  @ZodResponse(200, ApiKeyPage)
  list(@CurrentCaller() caller: Caller, @ZodQuery(ListQuery) query: ListQuery): Promise<ApiKeyPage> {
    return this.apiKeys.list(caller.organizationId, query);
  }

  @Delete(':id')
  @RequirePermission('api-keys:manage')
  @HttpCode(204)
  async revoke(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<void> {
    await this.apiKeys.revoke(caller, id);
  }
}
