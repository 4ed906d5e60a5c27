import { Module, type DynamicModule } from '@nestjs/common';
import { RemoteApiKeyResolver } from '@jit/directory-contracts';
import type { NatsBus } from '@jit/messaging';
import { ApiKeyModule, ServiceKitModule } from '@jit/service';
import { IDP_CONFIG, type IdpConfig } from './config';
import { SigningKey } from './keys/signing-key.entity';
import { Initial1764300000000 } from './migrations/1764300000000-Initial';
import { SsoOptions1764600000000 } from './migrations/1764600000000-SsoOptions';
import { ConsumerPositions1765000000000 } from './migrations/1765000000000-ConsumerPositions';
import { AdminRoles1765600000000 } from './migrations/1765600000000-AdminRoles';
import { SharedSessions1766000000000 } from './migrations/1766000000000-SharedSessions';
import { Mfa1766000000000 } from './migrations/1766000000000-Mfa';
import { Passkeys1766100000000 } from './migrations/1766100000000-Passkeys';
import { OrganizationBranding1766200000000 } from './migrations/1766200000000-OrganizationBranding';
import { OutboxStreamSequence1767200000000 } from './migrations/1767200000000-OutboxStreamSequence';
import { SharedSignIns1767000000000 } from './migrations/1767000000000-SharedSignIns';
import { READ_MODEL_ENTITIES } from './read-model/read-model.entities';
import { AccountModule } from './account/account.module';
import { KeyRotationModule } from './keys/key-rotation.module';
import { LoginModule } from './login/login.module';
import { LogoutModule } from './logout/logout.module';
import { MetadataModule } from './metadata/metadata.module';
import { MfaModule } from './mfa/mfa.module';
import { PreviewModule } from './preview/preview.module';
import { IDP_CONSUMES } from './read-model/consumed-streams';
import { ReadModelModule } from './read-model/read-model.module';
import { SsoModule } from './sso/sso.module';
import { IdpReadinessModule } from './common/readiness.module';

export const IDP_SCHEMA = 'idp';

@Module({})
export class AppModule {
  static register(config: IdpConfig, bus: NatsBus): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        ServiceKitModule.forRoot({
          service: 'idp',
          config,
          schema: IDP_SCHEMA,
          entities: [...READ_MODEL_ENTITIES, SigningKey],
          migrations: [
            Initial1764300000000,
            SsoOptions1764600000000,
            ConsumerPositions1765000000000,
            AdminRoles1765600000000,
            SharedSessions1766000000000,
            Mfa1766000000000,
            Passkeys1766100000000,
            OrganizationBranding1766200000000,
            SharedSignIns1767000000000,
            OutboxStreamSequence1767200000000,
          ],
          // Audit events that NATS did not acknowledge at once wait here for the relay.
          outbox: true,
          bus,
          consumes: IDP_CONSUMES,
        }),
        // Admin API keys are the directory's: asked by hash over NATS and cached briefly.
        ApiKeyModule.register(new RemoteApiKeyResolver(bus)),
        ReadModelModule,
        IdpReadinessModule,
        MetadataModule,
        SsoModule,
        LoginModule,
        LogoutModule,
        AccountModule,
        PreviewModule,
        KeyRotationModule,
        MfaModule,
      ],
      providers: [{ provide: IDP_CONFIG, useValue: config }],
      exports: [IDP_CONFIG],
    };
  }
}
