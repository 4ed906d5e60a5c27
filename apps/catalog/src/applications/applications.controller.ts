import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller, IdParam, ListQuery, ZodPipe, type Caller } from '@jit/service';
import { BindGroupBody, CreateApplicationBody, CreateFromMetadataBody, ReadinessQuery, UpdateApplicationBody } from './applications.dto';
import { ApplicationsService } from './applications.service';

@Controller('v1/applications')
@UseGuards(ApiKeyGuard)
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentCaller() caller: Caller, @Body(new ZodPipe(CreateApplicationBody)) body: CreateApplicationBody) {
    return this.applications.create(caller.organizationId, body);
  }

  /** The same as POST /v1/applications with metadataXml, which is required here. */
  @Post('from-metadata')
  @HttpCode(201)
  createFromMetadata(@CurrentCaller() caller: Caller, @Body(new ZodPipe(CreateFromMetadataBody)) body: CreateApplicationBody) {
    return this.applications.create(caller.organizationId, body);
  }

  @Get()
  list(@CurrentCaller() caller: Caller, @Query(new ZodPipe(ListQuery)) query: ListQuery) {
    return this.applications.list(caller.organizationId, query);
  }

  @Get(':id')
  get(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(IdParam)) id: string) {
    return this.applications.get(caller.organizationId, id);
  }

  @Get(':id/jit-readiness')
  readiness(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(IdParam)) id: string,
    @Query(new ZodPipe(ReadinessQuery)) query: ReadinessQuery,
  ) {
    return this.applications.readiness(caller.organizationId, id, query);
  }

  @Patch(':id')
  update(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(IdParam)) id: string,
    @Body(new ZodPipe(UpdateApplicationBody)) body: UpdateApplicationBody,
  ) {
    return this.applications.update(caller.organizationId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(IdParam)) id: string): Promise<void> {
    await this.applications.remove(caller.organizationId, id);
  }

  @Get(':id/user-groups')
  groups(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(IdParam)) id: string) {
    return this.applications.groupsOf(caller.organizationId, id);
  }

  @Post(':id/user-groups')
  @HttpCode(201)
  bind(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(IdParam)) id: string,
    @Body(new ZodPipe(BindGroupBody)) body: BindGroupBody,
  ) {
    return this.applications.bindGroup(caller.organizationId, id, body.groupId);
  }

  @Delete(':id/user-groups/:groupId')
  @HttpCode(204)
  async unbind(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(IdParam)) id: string,
    @Param('groupId', new ZodPipe(IdParam)) groupId: string,
  ): Promise<void> {
    await this.applications.unbindGroup(caller.organizationId, id, groupId);
  }
}

@Controller('v1/user-groups')
@UseGuards(ApiKeyGuard)
export class GroupApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Get(':id/applications')
  list(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(IdParam)) id: string) {
    return this.applications.applicationsOfGroup(caller.organizationId, id);
  }
}
