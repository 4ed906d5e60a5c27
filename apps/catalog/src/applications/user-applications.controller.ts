import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller, IdParam, ZodParam, ZodQuery, ZodResponse, type Caller } from '@jit/service';
import { UserApplicationsPage, UserApplicationsQuery } from './applications.dto';
import { UserApplicationsService } from './user-applications.service';

/** A directory user's applications, as the catalog binds them, for the console's user page. */
@Controller('v1/users')
@UseGuards(ApiKeyGuard)
export class UserApplicationsController {
  constructor(private readonly applications: UserApplicationsService) {}

  @Get(':id/applications')
  @ZodResponse(200, UserApplicationsPage)
  list(
    @CurrentCaller() caller: Caller,
    @ZodParam('id', IdParam) id: string,
    @ZodQuery(UserApplicationsQuery) query: UserApplicationsQuery,
  ): Promise<UserApplicationsPage> {
    return this.applications.list(caller.organizationId, id, query);
  }
}
