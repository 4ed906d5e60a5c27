import { Injectable } from '@nestjs/common';
import { DirectoryEvents, type AdminRole } from '@jit/directory-contracts';
import { Outbox, type OutboxTransaction } from '@jit/messaging';
import { User } from '../users/user.entity';
import { toView, UsersService, type UserView } from '../users/users.service';
import { endAdminSessions } from './admin-sessions.service';
import { refuseLosingLastAdministrator } from './last-administrator';

/** Who holds which admin role: set by API keys, announced to other services by an event. */
@Injectable()
export class AdminRolesService {
  constructor(
    private readonly outbox: Outbox,
    private readonly users: UsersService,
  ) {}

  /** Setting the role a user already holds changes nothing and emits nothing. */
  async setRole(organizationId: string, id: string, role: AdminRole | null): Promise<UserView> {
    return this.outbox.run(async (tx) => {
      const user = await this.users.find(tx.manager, organizationId, id, true);
      await this.assign(tx, user, role);
      return toView(user);
    });
  }

  /** Gives `user` (locked, or inserted, in this transaction) its role: a new version and its event. */
  async assign(tx: OutboxTransaction, user: User, role: AdminRole | null): Promise<void> {
    if (user.adminRole === role) return;
    if (role !== 'administrator') await refuseLosingLastAdministrator(tx.manager, user, 'role');
    const previousRole = user.adminRole;
    user.adminRole = role;
    user.version += 1;
    await tx.manager.save(User, user);
    if (role === null) await endAdminSessions(tx.manager, user.id);
    tx.emit(DirectoryEvents.userAdminRoleChanged, {
      organizationId: user.organizationId,
      userId: user.id,
      version: user.version,
      occurredAt: new Date().toISOString(),
      role,
      previousRole,
    });
  }
}
