import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';

/** The signed-in person's account page: profile, change of password, sessions. */
@Module({
  imports: [IdpCommonModule],
  controllers: [AccountController],
  providers: [AccountService],
})
export class AccountModule {}
