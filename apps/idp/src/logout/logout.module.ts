import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdpCommonModule } from '../common/common.module';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SignOutWalks } from '../sessions/sign-out-walks';
import { LogoutController } from './logout.controller';
import { LogoutService } from './logout.service';
import { SignOutService } from './sign-out.service';

/** Single Logout (SP-initiated) and signing out of the IdP, with the front-channel walk through the session's applications. */
@Module({
  imports: [IdpCommonModule],
  controllers: [LogoutController],
  providers: [
    LogoutService,
    SignOutService,
    {
      provide: SignOutWalks,
      inject: [IDP_CONFIG, DataSource],
      // Bounded like the sessions that wait for a sign-in: a walk lasts about as long as one.
      // In the database: the browser may come back from each SP to any IdP instance.
      useFactory: (c: IdpConfig, dataSource: DataSource) =>
        new SignOutWalks(c.IDP_PENDING_SESSION_SECONDS * 1000, c.IDP_MAX_PENDING_SESSIONS, undefined, dataSource),
    },
  ],
})
export class LogoutModule {}
