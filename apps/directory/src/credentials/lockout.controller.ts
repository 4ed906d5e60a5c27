import { Controller, Delete, Get, HttpCode, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentCaller, IdParam, ZodParam, ZodResponse, type Caller, RequirePermission } from '@jit/service';
import { AdminAccountsGuard } from '../roles/admin-accounts.guard';
import { LockoutService, LockoutView } from './lockout.service';

/**
 * An account's lockout, for administrators: which addresses back off and whether the hourly
 * ceiling holds, and lifting it (a person who cannot wait, after the admin has made sure it is them).
 */
@Controller('v1/users')
@UseGuards(ApiKeyGuard)
export class LockoutController {
  constructor(private readonly lockouts: LockoutService) {}

  @Get(':id/lockout')
  @ZodResponse(200, LockoutView)
  state(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<LockoutView> {
    return this.lockouts.state(caller.organizationId, id);
  }

  @Delete(':id/lockout')
  @UseGuards(AdminAccountsGuard)
  @RequirePermission('credentials:manage')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Lifted (or there was none): the right password works at once from every address' })
  async clear(@CurrentCaller() caller: Caller, @ZodParam('id', IdParam) id: string): Promise<void> {
    await this.lockouts.clear(caller.organizationId, id);
  }
}
