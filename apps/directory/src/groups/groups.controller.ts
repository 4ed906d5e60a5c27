import { Controller, Delete, Get, HttpCode, Inject, Patch, Post, Put, UseGuards } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  API_KEY_FINGERPRINT_LENGTH,
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
  ZodResponse,
  hashApiKey,
  type ApiKeyResolver,
  type Caller,
  RequirePermission,
} from '@jit/service';
import { BULK_MEMBERSHIP_RPC_MAX_ITEMS, DirectoryRpc } from '@jit/directory-contracts';
import { AnswerRpc, runAsActor, type RequestOf, type ResponseOf } from '@jit/messaging';
import { AddMemberBody, BulkMembersBody, BulkMembershipResults, CreateGroupBody, RenameGroupBody, SetMembersBody } from './groups.dto';
import { GroupMembersPage, GroupPage, GroupsService, GroupView, MembershipView } from './groups.service';

@Controller('v1/user-groups')
@UseGuards(ApiKeyGuard)
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @RequirePermission('groups:write')
  @HttpCode(201)
  @ZodResponse(201, GroupView)
  create(@CurrentCaller() caller: Caller, @ZodBody(CreateGroupBody) body: CreateGroupBody): Promise<GroupView> {
    return this.groups.create(caller.organizationId, body.name);
  }

  @Get()
  @ZodResponse(200, GroupPage)
  list(@CurrentCaller() caller: Caller, @ZodQuery(ListQuery) query: ListQuery): Promise<GroupPage> {
    return this.groups.list(caller.organizationId, query);
  }

  @Get(':id')
  @ZodResponse(200, GroupView)
  get(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<GroupView> {
    return this.groups.get(caller.organizationId, id);
  }

  @Patch(':id')
  @RequirePermission('groups:write')
  @ZodResponse(200, GroupView)
  rename(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(RenameGroupBody) body: RenameGroupBody,
  ): Promise<GroupView> {
    return this.groups.rename(caller.organizationId, id, body.name);
  }

  @Delete(':id')
  @RequirePermission('groups:write')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<void> {
    await this.groups.remove(caller.organizationId, id);
  }

  @Get(':id/members')
  @ZodResponse(200, GroupMembersPage)
  members(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<GroupMembersPage> {
    return this.groups.members(caller.organizationId, id);
  }

  @Post(':id/members')
  @RequirePermission('groups:write')
  @HttpCode(201)
  @ZodResponse(201, MembershipView)
  async addMember(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(AddMemberBody) body: AddMemberBody,
  ): Promise<MembershipView> {
    const { groupId, userId, changed } = await this.groups.addMember(caller.organizationId, id, body.userId);
    return { groupId, userId, changed };
  }

  /**
   * Many adds and removes in one call (at most 10,000 ids, else 413), one transaction, each item
   * answered; 200 only once every event is stored in JetStream (503 otherwise, change kept).
   */
  @Post(':id/members/bulk')
  @RequirePermission('groups:write')
  @HttpCode(200)
  @ZodResponse(200, BulkMembershipResults)
  bulkMembers(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(BulkMembersBody) body: BulkMembersBody,
  ): Promise<BulkMembershipResults> {
    return this.groups.bulkMembers(caller.organizationId, id, body);
  }

  /** Sets the whole list of members: the same answer and guarantees as the bulk call. */
  @Put(':id/members')
  @RequirePermission('groups:write')
  @ZodResponse(200, BulkMembershipResults)
  setMembers(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(SetMembersBody) body: SetMembersBody,
  ): Promise<BulkMembershipResults> {
    return this.groups.setMembers(caller.organizationId, id, body.userIds);
  }

  @Delete(':id/members/:userId')
  @RequirePermission('groups:write')
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

  /**
   * The same check as the HTTP guard: the API key decides the organisation, and the events of the
   * change name the key as their actor, as they do for the same call over HTTP.
   */
  private async asKey<T>(apiKey: string, work: (organizationId: string) => Promise<T>): Promise<T> {
    const hash = hashApiKey(apiKey);
    const caller = await this.apiKeys.resolve(hash);
    if (!caller) throw new DomainError(ErrorCode.Unauthenticated, 'The apiKey is not valid');
    return runAsActor({ kind: 'api-key', fingerprint: hash.slice(0, API_KEY_FINGERPRINT_LENGTH) }, () => work(caller.organizationId));
  }

  @AnswerRpc(DirectoryRpc.addMember)
  async addMember(@Payload() request: RequestOf<typeof DirectoryRpc.addMember>): Promise<ResponseOf<typeof DirectoryRpc.addMember>> {
    return this.asKey(request.apiKey, (organizationId) => this.groups.addMember(organizationId, request.groupId, request.userId));
  }

  @AnswerRpc(DirectoryRpc.removeMember)
  async removeMember(
    @Payload() request: RequestOf<typeof DirectoryRpc.removeMember>,
  ): Promise<ResponseOf<typeof DirectoryRpc.removeMember>> {
    return this.asKey(request.apiKey, (organizationId) => this.groups.removeMember(organizationId, request.groupId, request.userId));
  }

  @AnswerRpc(DirectoryRpc.bulkMembers)
  async bulkMembers(@Payload() request: RequestOf<typeof DirectoryRpc.bulkMembers>): Promise<ResponseOf<typeof DirectoryRpc.bulkMembers>> {
    const { apiKey, groupId, ...changes } = request;
    return this.asKey(apiKey, (organizationId) => this.groups.bulkMembers(organizationId, groupId, changes, BULK_MEMBERSHIP_RPC_MAX_ITEMS));
  }

  @AnswerRpc(DirectoryRpc.getGroup)
  get(@Payload() request: RequestOf<typeof DirectoryRpc.getGroup>): Promise<ResponseOf<typeof DirectoryRpc.getGroup>> {
    return this.groups.findForRpc(request.organizationId, request.groupId);
  }
}
