import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsBus } from '@jit/messaging';
import { ServiceKitModule } from '@jit/service';
import { IDP_CONFIG, type IdpConfig } from './config';
import { SigningKey } from './keys/signing-key.entity';
import { Initial1764300000000 } from './migrations/1764300000000-Initial';
import { READ_MODEL_ENTITIES } from './read-model/read-model.entities';
import { IDP_CONSUMES, SsoModule } from './sso/sso.module';

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
          migrations: [Initial1764300000000],
          bus,
          consumes: IDP_CONSUMES,
        }),
        SsoModule,
      ],
      providers: [{ provide: IDP_CONFIG, useValue: config }],
      exports: [IDP_CONFIG],
    };
  }
}
