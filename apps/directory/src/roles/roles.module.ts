import { Module, type DynamicModule } from '@nestjs/common';
import type { DirectoryConfig } from '../config';
import { UsersModule } from '../users/users.module';
import { AdminRolesController } from './admin-roles.controller';
import { AdminRolesService } from './admin-roles.service';
import { BOOTSTRAP_ADMINISTRATOR, BootstrapAdministrator, type BootstrapAdministratorSettings } from './bootstrap-administrator.service';

@Module({})
export class RolesModule {
  static register(config: DirectoryConfig): DynamicModule {
    const username = config.BOOTSTRAP_ADMIN_USERNAME;
    const password = config.BOOTSTRAP_ADMIN_PASSWORD;
    const settings: BootstrapAdministratorSettings | null =
      username !== undefined && password !== undefined
        ? { username, password, email: config.BOOTSTRAP_ADMIN_EMAIL ?? `${username}@localhost` }
        : null;
    return {
      module: RolesModule,
      imports: [UsersModule],
      controllers: [AdminRolesController],
      providers: [AdminRolesService, BootstrapAdministrator, { provide: BOOTSTRAP_ADMINISTRATOR, useValue: settings }],
    };
  }
}
