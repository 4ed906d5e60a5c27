import { Controller, Put, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller, IdParam, ZodBody, ZodParam, ZodResponse, type Caller, RequirePermission } from '@jit/service';
import { SetAdminRoleBody } from './admin-roles.dto';
import { UserView } from '../users/users.service';
import { AdminRolesService } from './admin-roles.service';

@Controller('v1/users')
@UseGuards(ApiKeyGuard)
export class AdminRolesController {
  constructor(private readonly roles: AdminRolesService) {}

  /** Any API key of the organisation may set roles: machines keep every right. */
  @Put(':id/admin-role')
  @RequirePermission('roles:manage')
  @ZodResponse(200, UserView)
  setRole(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodBody(SetAdminRoleBody) body: SetAdminRoleBody,
  ): Promise<UserView> {
    return this.roles.setRole(caller.organizationId, id, body.role);
  }
}
