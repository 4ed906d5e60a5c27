import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { EventNotConfirmedError, Outbox } from '@jit/messaging';
import { DomainError } from '@jit/service';
import { OrganizationsService } from '../organizations/organizations.service';
import { PasswordHasher } from '../users/password-check';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AdminRolesService } from './admin-roles.service';

/** BOOTSTRAP_ADMIN_USERNAME, _PASSWORD and _EMAIL (its default already applied); null when unset. */
export interface BootstrapAdministratorSettings {
  username: string;
  password: string;
  email: string;
}
export const BOOTSTRAP_ADMINISTRATOR = Symbol('BOOTSTRAP_ADMINISTRATOR');

/**
 * The first administrator's names until the organisation gives them real ones. Not the role's
 * word twice: "Administrator Administrator" is what the console's header showed beside the role.
 */
export const BOOTSTRAP_ADMINISTRATOR_NAMES = { firstname: 'First', lastname: 'Administrator', displayname: 'First administrator' } as const;

/**
 * The first administrator, a person: created in the default organisation at start when that
 * organisation has no administrator yet, and never changed afterwards (its password, name and role
 * belong to the organisation from then on). Runs after OrganizationsService's own start, which
 * creates the default organisation: Nest runs the hooks of a global module (OrganizationsModule)
 * before those of the others.
 */
@Injectable()
export class BootstrapAdministrator implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdministrator.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly organizations: OrganizationsService,
    private readonly users: UsersService,
    private readonly roles: AdminRolesService,
    private readonly passwords: PasswordHasher,
    @Inject(BOOTSTRAP_ADMINISTRATOR) private readonly settings: BootstrapAdministratorSettings | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings) return;
    const organizationId = await this.organizations.defaultOrganizationId();
    if (!organizationId) {
      this.logger.warn('BOOTSTRAP_ADMIN_USERNAME is set, but there is no default organisation: set BOOTSTRAP_ADMIN_API_KEY to create it');
      return;
    }
    // Most starts find the administrator there already: no password hashing for them.
    if (await hasAdministrator(this.dataSource.manager, organizationId)) return this.unchanged(organizationId);
    const passwordHash = await this.passwords.hash(this.settings.password);
    let created: User | null = null;
    try {
      created = await this.outbox.run(async (tx) => {
        // The lock OrganizationsService takes too: concurrent starts create one administrator.
        await tx.manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['directory.bootstrap']);
        if (await hasAdministrator(tx.manager, organizationId)) return null;
        const { username, email } = this.settings as BootstrapAdministratorSettings;
        const user = this.users.newUser(organizationId, { username, email, ...BOOTSTRAP_ADMINISTRATOR_NAMES }, passwordHash);
        await this.users.insertNew(tx, user);
        await this.roles.assign(tx, user, 'administrator');
        return user;
      });
    } catch (error) {
      // A user of that name exists already (an ordinary person): never make them administrator.
      if (error instanceof DomainError) {
        this.logger.error(`The bootstrap administrator ${this.settings.username} was not created: ${error.message}`);
        return;
      }
      if (!(error instanceof EventNotConfirmedError)) throw error;
      // Committed; only NATS did not confirm. The outbox relay publishes its events later.
      this.logger.warn(`The bootstrap administrator is created, but its events wait for NATS: ${error.message}`);
      return;
    }
    if (!created) return this.unchanged(organizationId);
    this.logger.log(`Created the bootstrap administrator ${created.username} (user ${created.id}) in organisation ${organizationId}`);
  }

  private unchanged(organizationId: string): void {
    this.logger.log(
      `Organisation ${organizationId} has an administrator already: BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD change nothing`,
    );
  }
}

const hasAdministrator = async (manager: EntityManager, organizationId: string): Promise<boolean> =>
  manager.getRepository(User).existsBy({ organizationId, adminRole: 'administrator' });
