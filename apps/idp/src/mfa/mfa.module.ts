import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { MfaAdminController } from './mfa-admin.controller';
import { PasskeyAssetsController } from './passkey-assets.controller';

/** The admin API of multi-factor sign-in (the organisation's policy, a person's factors and their reset) and the passkey pages' scripts. */
@Module({ imports: [IdpCommonModule], controllers: [MfaAdminController, PasskeyAssetsController] })
export class MfaModule {}
