import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdpCommonModule } from '../common/common.module';
import { SsoModule } from '../sso/sso.module';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { databaseThrottleStore } from '../common/throttle-limiter';
import { LoginController } from './login.controller';
import { LoginThrottle } from './login-throttle';
import { LoginService } from './login.service';

/** The login page and the user portal; a sign-in that an SSO waits for ends in SsoService.issue. */
@Module({
  imports: [IdpCommonModule, SsoModule],
  controllers: [LoginController],
  providers: [
    LoginService,
    {
      provide: LoginThrottle,
      inject: [IDP_CONFIG, DataSource],
      useFactory: (c: IdpConfig, dataSource: DataSource) =>
        new LoginThrottle(
          {
            perSource: c.IDP_LOGIN_FAILURES_PER_SOURCE,
            perSession: c.IDP_LOGIN_FAILURES_PER_SESSION,
            windowSeconds: c.IDP_LOGIN_THROTTLE_SECONDS,
          },
          databaseThrottleStore(dataSource),
        ),
    },
  ],
})
export class LoginModule {}
