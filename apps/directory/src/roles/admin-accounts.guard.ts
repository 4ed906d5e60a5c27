import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCode, type Caller } from '@jit/service';
import { User } from '../users/user.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An admin's own account is changed only by someone who may change roles: a help-desk person
 * who could reset an administrator's password, change their email or lift their lockout could
 * sign in as them and hold every right. Runs after ApiKeyGuard on the routes that change one
 * user (`:id`); API keys and administrators pass, an id that is no UUID is left to the route's
 * own validation.
 */
@Injectable()
export class AdminAccountsGuard implements CanActivate {
  constructor(private readonly dataSource: DataSource) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ caller?: Caller; params?: Record<string, string> }>();
    const caller = request.caller;
    const id = request.params?.id;
    if (!caller?.actor || !caller.grants || caller.grants.permissions.includes('roles:manage')) return true;
    if (!id || !UUID.test(id)) return true;
    const target = await this.dataSource.getRepository(User).findOne({
      select: { id: true, adminRole: true },
      where: { id, organizationId: caller.organizationId },
    });
    if (!target?.adminRole) return true;
    throw new DomainError(
      ErrorCode.Forbidden,
      `Your admin role (${caller.actor.role}) may not change the account of an admin (${target.adminRole}): ask an administrator`,
    );
  }
}
