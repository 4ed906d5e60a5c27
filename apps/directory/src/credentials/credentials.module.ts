import { Module } from '@nestjs/common';
import { loadDirectoryConfig } from '../config';
import { UsersModule } from '../users/users.module';
import { CredentialsHandler } from './credentials.handler';
import { CREDENTIALS_POLICY, CredentialsService, credentialsPolicy } from './credentials.service';
import { LockoutController } from './lockout.controller';
import { LockoutService } from './lockout.service';

/**
 * The credential check the IdP's login asks for, with per-account lockout and per-source
 * throttling, and the admin API that shows and lifts an account's lockout.
 */
@Module({
  imports: [UsersModule],
  controllers: [CredentialsHandler, LockoutController],
  providers: [
    CredentialsService,
    LockoutService,
    // AppModule imports this module statically, so it takes its settings from the directory's
    // validated config itself: the same schema, read from the same environment.
    { provide: CREDENTIALS_POLICY, useFactory: () => credentialsPolicy(loadDirectoryConfig()) },
  ],
})
export class CredentialsModule {}
