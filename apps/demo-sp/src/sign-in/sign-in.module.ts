import { Module, type DynamicModule } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { JitProvisioningService } from '../accounts/jit-provisioning.service';
import { spEndpoints, type DemoSpConfig } from '../config';
import { IdpMetadataService } from '@jit/sp-metadata';
import { HOME_SETTINGS, SignInController, type HomeSettings } from './sign-in.controller';
import { SignInService } from './sign-in.service';

@Module({})
export class SignInModule {
  static register(config: DemoSpConfig): DynamicModule {
    const sp = spEndpoints(config);
    const settings: HomeSettings = {
      mode: config.DEMO_SP_JIT_MODE,
      spEntityId: sp.entityId,
      idpUrl: config.DEMO_SP_IDP_URL,
      trustedAppId: config.DEMO_SP_APP_ID,
    };
    return {
      module: SignInModule,
      imports: [AccountsModule.register(config)],
      controllers: [SignInController],
      providers: [
        { provide: HOME_SETTINGS, useValue: settings },
        {
          provide: SignInService,
          useFactory: (metadata: IdpMetadataService, jit: JitProvisioningService) =>
            new SignInService(
              {
                sp,
                trustedAppId: config.DEMO_SP_APP_ID,
                idpInitiated: config.DEMO_SP_IDP_INITIATED,
                signing:
                  config.DEMO_SP_SIGNING_KEY && config.DEMO_SP_SIGNING_CERTIFICATE
                    ? { privateKey: config.DEMO_SP_SIGNING_KEY, certificate: config.DEMO_SP_SIGNING_CERTIFICATE }
                    : undefined,
              },
              metadata,
              jit,
            ),
          inject: [IdpMetadataService, JitProvisioningService],
        },
      ],
    };
  }
}
