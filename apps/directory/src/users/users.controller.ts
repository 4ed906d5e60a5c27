import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, UnsupportedMediaTypeException, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import {
  ApiKeyGuard,
  CurrentCaller,
  IdParam,
  ZodBody,
  ZodParam,
  ZodQuery,
  ZodResponse,
  type Caller,
  RequirePermission,
} from '@jit/service';
import { ApiBody, ApiConsumes } from '@nestjs/swagger';
import { STANDARD_USER_ATTRIBUTES } from '@jit/directory-contracts';
import { AdminAccountsGuard } from '../roles/admin-accounts.guard';
import { ChangePasswordBody, CreateUserBody, SetPasswordBody, UpdateUserBody, UserListQuery, UserListQueryDocumented } from './users.dto';
import { ImportResult, UsersImportService } from './users-import.service';
import { UserGroupsPage, UserPage, UsersService, UserView } from './users.service';

@Controller('v1/users')
@UseGuards(ApiKeyGuard)
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly imports: UsersImportService,
  ) {}

  @Post()
  @RequirePermission('users:write')
  @HttpCode(201)
  @ZodResponse(201, UserView)
  create(@CurrentCaller() caller: Caller, @ZodBody(CreateUserBody) body: CreateUserBody): Promise<UserView> {
    return this.users.create(caller.organizationId, body);
  }

  /** The body is the CSV text (main.ts registers the text/csv parser and its size limit). */
  @Post('import')
  @RequirePermission('users:write')
  @HttpCode(200)
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', description: 'CSV with a header row of attribute names (custom:<name> for custom attributes)' } })
  @ZodResponse(200, ImportResult)
  import(@CurrentCaller() caller: Caller, @Body() body: unknown): Promise<ImportResult> {
    if (typeof body !== 'string') throw new UnsupportedMediaTypeException('Send the file with content-type: text/csv');
    return this.imports.import(caller.organizationId, body);
  }

  @Get()
  @ZodResponse(200, UserPage)
  list(@CurrentCaller() caller: Caller, @ZodQuery(UserListQuery, UserListQueryDocumented) query: UserListQuery): Promise<UserPage> {
    return this.users.list(caller.organizationId, query);
  }

  @Get(':id')
  @ZodResponse(200, UserView)
  get(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<UserView> {
    return this.users.get(caller.organizationId, id);
  }

  @Get(':id/groups')
  @ZodResponse(200, UserGroupsPage)
  groups(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<UserGroupsPage> {
    return this.users.groupsOf(caller.organizationId, id);
  }

  @Patch(':id')
  @UseGuards(AdminAccountsGuard)
  @RequirePermission('users:write')
  @ZodResponse(200, UserView)
  update(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(UpdateUserBody) body: UpdateUserBody,
  ): Promise<UserView> {
    return this.users.update(caller.organizationId, id, body);
  }

  @Put(':id/password')
  @UseGuards(AdminAccountsGuard)
  @RequirePermission('credentials:manage')
  @HttpCode(204)
  async setPassword(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(SetPasswordBody) body: SetPasswordBody,
  ): Promise<void> {
    await this.users.setPassword(caller.organizationId, id, body.password);
  }

  @Post(':id/password/change')
  @UseGuards(AdminAccountsGuard)
  @RequirePermission('credentials:manage')
  @HttpCode(204)
  async changePassword(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(ChangePasswordBody) body: ChangePasswordBody,
  ): Promise<void> {
    await this.users.changePassword(caller.organizationId, id, body.currentPassword, body.newPassword);
  }

  @Delete(':id')
  @UseGuards(AdminAccountsGuard)
  @RequirePermission('users:write')
  @HttpCode(204)
  async remove(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<void> {
    await this.users.remove(caller.organizationId, id);
  }
}

export const UserAttributeNames = z
  .object({
    standard: z.array(z.string()).meta({ description: 'The attributes every user has' }),
    custom: z.array(z.string()).meta({ description: "The custom attribute names the organisation's users hold" }),
  })
  .meta({ id: 'UserAttributeNames' });
export type UserAttributeNames = z.infer<typeof UserAttributeNames>;

/** What a mapping may read from a user: the catalog and the console list it. */
@Controller('v1/user-attributes')
@UseGuards(ApiKeyGuard)
export class UserAttributesController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ZodResponse(200, UserAttributeNames)
  async list(@CurrentCaller() caller: Caller): Promise<UserAttributeNames> {
    return { standard: [...STANDARD_USER_ATTRIBUTES], custom: await this.users.customAttributeNames(caller.organizationId) };
  }
}
