import { Controller, Delete, Get, HttpCode, Patch, Post, UseGuards } from '@nestjs/common';
import {
  ApiKeyGuard,
  CurrentCaller,
  IdParam,
  RequirePermission,
  ZodBody,
  ZodParam,
  ZodQuery,
  ZodResponse,
  type Caller,
} from '@jit/service';
import {
  ApplicationListPage,
  ApplicationListQuery,
  ApplicationView,
  BindGroupBody,
  CreateApplicationBody,
  CreateFromMetadataBody,
  ReadinessQuery,
  UpdateApplicationBody,
} from './applications.dto';
import { ApplicationsService } from './applications.service';
import { BindingsService, BoundGroupsPage, GroupBinding } from './bindings.service';
import { ReadinessReport, ReadinessService } from './readiness.service';

@Controller('v1/applications')
@UseGuards(ApiKeyGuard)
export class ApplicationsController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly bindings: BindingsService,
    private readonly jitReadiness: ReadinessService,
  ) {}

  @Post()
  @RequirePermission('applications:write')
  @HttpCode(201)
  @ZodResponse(201, ApplicationView)
  create(@CurrentCaller() caller: Caller, @ZodBody(CreateApplicationBody) body: CreateApplicationBody): Promise<ApplicationView> {
    return this.applications.create(caller.organizationId, body);
  }

  /** The same as POST /v1/applications with metadataXml, which is required here. */
  @Post('from-metadata')
  @RequirePermission('applications:write')
  @HttpCode(201)
  @ZodResponse(201, ApplicationView)
  createFromMetadata(
    @CurrentCaller() caller: Caller,
    @ZodBody(CreateFromMetadataBody) body: CreateApplicationBody,
  ): Promise<ApplicationView> {
    return this.applications.create(caller.organizationId, body);
  }

  @Get()
  @ZodResponse(200, ApplicationListPage)
  list(@CurrentCaller() caller: Caller, @ZodQuery(ApplicationListQuery) query: ApplicationListQuery): Promise<ApplicationListPage> {
    return this.applications.list(caller.organizationId, query);
  }

  @Get(':id')
  @ZodResponse(200, ApplicationView)
  get(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<ApplicationView> {
    return this.applications.get(caller.organizationId, id);
  }

  @Get(':id/jit-readiness')
  @ZodResponse(200, ReadinessReport)
  readiness(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodQuery(ReadinessQuery) query: ReadinessQuery,
  ): Promise<ReadinessReport> {
    return this.jitReadiness.readiness(caller.organizationId, id, query);
  }

  @Patch(':id')
  @RequirePermission('applications:write')
  @ZodResponse(200, ApplicationView)
  update(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(UpdateApplicationBody) body: UpdateApplicationBody,
  ): Promise<ApplicationView> {
    return this.applications.update(caller.organizationId, id, body);
  }

  @Delete(':id')
  @RequirePermission('applications:write')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<void> {
    await this.applications.remove(caller.organizationId, id);
  }

  @Get(':id/user-groups')
  @ZodResponse(200, BoundGroupsPage)
  groups(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<BoundGroupsPage> {
    return this.bindings.groupsOf(caller.organizationId, id);
  }

  @Post(':id/user-groups')
  @RequirePermission('applications:write')
  @HttpCode(201)
  @ZodResponse(201, GroupBinding)
  bind(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(BindGroupBody) body: BindGroupBody,
  ): Promise<GroupBinding> {
    return this.bindings.bindGroup(caller.organizationId, id, body.groupId);
  }

  @Delete(':id/user-groups/:groupId')
  @RequirePermission('applications:write')
  @HttpCode(204)
  async unbind(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodParam('groupId', IdParam) groupId: string,
  ): Promise<void> {
    await this.bindings.unbindGroup(caller.organizationId, id, groupId);
  }
}

@Controller('v1/user-groups')
@UseGuards(ApiKeyGuard)
export class GroupApplicationsController {
  constructor(private readonly bindings: BindingsService) {}

  @Get(':id/applications')
  @ZodResponse(200, ApplicationListPage)
  list(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<ApplicationListPage> {
    return this.bindings.applicationsOfGroup(caller.organizationId, id);
  }
}
