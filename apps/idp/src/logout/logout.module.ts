import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { LogoutController } from './logout.controller';
import { LogoutService } from './logout.service';

/** SP-initiated Single Logout. */
@Module({ imports: [IdpCommonModule], controllers: [LogoutController], providers: [LogoutService] })
export class LogoutModule {}
