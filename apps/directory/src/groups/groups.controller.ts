import { Controller, Delete, Get, HttpCode, Inject, Patch, Post, UseGuards } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  API_KEY_RESOLVER,
  ApiKeyGuard,
  CurrentCaller,
  DomainError,
  ErrorCode,
  IdParam,
  ListQuery,
  ZodBody,
  ZodParam,
  ZodQuery,
  hashApiKey,
  type ApiKeyResolver,
  type Caller,
} from '@jit/service';
import { DirectoryRpc } from '@jit/directory-contracts';
import { AnswerRpc, type RequestOf, type ResponseOf } from '@jit/messaging';
import { AddMemberBody, CreateGroupBody, RenameGroupBody } from './groups.dto';
import { GroupsService } from './groups.service';

@Controller('v1/user-groups')
@UseGuards(ApiKeyGuard)
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentCaller() caller: Caller, @ZodBody(CreateGroupBody) body: CreateGroupBody) {
    return this.groups.create(caller.organizationId, body.name);
  }

  @Get()
  list(@CurrentCaller() caller: Caller, @ZodQuery(ListQuery) query: ListQuery) {
    return this.groups.list(caller.organizationId, query);
  }

  @Get(':id')
  get(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string) {
    return this.groups.get(caller.organizationId, id);
  }

  @Patch(':id')
  rename(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string, @ZodBody(RenameGroupBody) body: RenameGroupBody) {
    return this.groups.rename(caller.organizationId, id, body.name);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<void> {
    await this.groups.remove(caller.organizationId, id);
  }

  @Get(':id/members')
  members(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string) {
    return this.groups.members(caller.organizationId, id);
  }

  @Post(':id/members')
  @HttpCode(201)
  async addMember(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(AddMemberBody) body: AddMemberBody,
  ): Promise<{ groupId: string; userId: string }> {
    const { groupId, userId } = await this.groups.addMember(caller.organizationId, id, body.userId);
    return { groupId, userId };
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  async removeMember(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodParam('userId', IdParam) userId: string,
  ): Promise<void> {
    await this.groups.removeMember(caller.organizationId, id, userId);
  }
}

@Controller()
export class GroupsHandler {
  constructor(
    private readonly groups: GroupsService,
    @Inject(API_KEY_RESOLVER) private readonly apiKeys: ApiKeyResolver,
  ) {}

  /** The same check as the HTTP guard: the API key decides the organisation. */
  private async organizationOf(apiKey: string): Promise<string> {
    const caller = await this.apiKeys.resolve(hashApiKey(apiKey));
    if (!caller) throw new DomainError(ErrorCode.Unauthenticated, 'The apiKey is not valid');
    return caller.organizationId;
  }

  @AnswerRpc(DirectoryRpc.addMember)
  async addMember(@Payload() request: RequestOf<typeof DirectoryRpc.addMember>): Promise<ResponseOf<typeof DirectoryRpc.addMember>> {
    return this.groups.addMember(await this.organizationOf(request.apiKey), request.groupId, request.userId);
  }

  @AnswerRpc(DirectoryRpc.removeMember)
  async removeMember(
    @Payload() request: RequestOf<typeof DirectoryRpc.removeMember>,
  ): Promise<ResponseOf<typeof DirectoryRpc.removeMember>> {
    return this.groups.removeMember(await this.organizationOf(request.apiKey), request.groupId, request.userId);
  }

  @AnswerRpc(DirectoryRpc.getGroup)
  get(@Payload() request: RequestOf<typeof DirectoryRpc.getGroup>): Promise<ResponseOf<typeof DirectoryRpc.getGroup>> {
    return this.groups.findForRpc(request.organizationId, request.groupId);
  }
}
