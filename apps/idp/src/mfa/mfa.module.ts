import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { MfaAdminController } from './mfa-admin.controller';

/** The admin API of multi-factor sign-in: the organisation's policy, a person's factors and their reset. */
@Module({ imports: [IdpCommonModule], controllers: [MfaAdminController] })
export class MfaModule {}
