import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsBus } from '@jit/messaging';
import { ServiceKitModule } from '@jit/service';
import type { DirectoryConfig } from './config';
import { Initial1764300000000 } from './migrations/1764300000000-Initial';
import { ApiKeyNames1764600000000 } from './migrations/1764600000000-ApiKeyNames';
import { CredentialThrottling1764700000000 } from './migrations/1764700000000-CredentialThrottling';
import { LoginLockouts1765100000000 } from './migrations/1765100000000-LoginLockouts';
import { SourceBackoff1765300000000 } from './migrations/1765300000000-SourceBackoff';
import { AdminRoles1765500000000 } from './migrations/1765500000000-AdminRoles';
import { UserSearchIndexes1765640000000 } from './migrations/1765640000000-UserSearchIndexes';
import { AdminSessions1765700000000 } from './migrations/1765700000000-AdminSessions';
import { OrganizationBranding1766200000000 } from './migrations/1766200000000-OrganizationBranding';
import { OutboxStreamSequence1767200000000 } from './migrations/1767200000000-OutboxStreamSequence';
import { ApiKey, Organization } from './organizations/organization.entity';
import { OrganizationsModule } from './organizations/organizations.module';
import { CredentialsModule } from './credentials/credentials.module';
import { Membership, UserGroup } from './groups/group.entity';
import { GroupsModule } from './groups/groups.module';
import { RolesModule } from './roles/roles.module';
import { SnapshotModule } from './snapshot/snapshot.module';
import { User } from './users/user.entity';
import { UsersModule } from './users/users.module';

export const DIRECTORY_SCHEMA = 'directory';
export const DIRECTORY_ENTITIES = [Organization, ApiKey, User, UserGroup, Membership];
export const DIRECTORY_MIGRATIONS = [
  Initial1764300000000,
  ApiKeyNames1764600000000,
  CredentialThrottling1764700000000,
  LoginLockouts1765100000000,
  SourceBackoff1765300000000,
  AdminRoles1765500000000,
  UserSearchIndexes1765640000000,
  AdminSessions1765700000000,
  OrganizationBranding1766200000000,
  OutboxStreamSequence1767200000000,
];

@Module({})
export class AppModule {
  static register(config: DirectoryConfig, bus: NatsBus): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'directory',
          config,
          schema: DIRECTORY_SCHEMA,
          entities: DIRECTORY_ENTITIES,
          migrations: DIRECTORY_MIGRATIONS,
          bus,
          outbox: true,
        }),
        OrganizationsModule.register(config.BOOTSTRAP_ADMIN_API_KEY),
        UsersModule,
        RolesModule.register(config),
        GroupsModule,
        CredentialsModule,
        SnapshotModule,
      ],
    };
  }
}
