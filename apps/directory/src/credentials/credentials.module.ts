import { Module } from '@nestjs/common';
import { loadDirectoryConfig } from '../config';
import { UsersModule } from '../users/users.module';
import { CredentialsHandler } from './credentials.handler';
import { CREDENTIALS_POLICY, CredentialsService, credentialsPolicy } from './credentials.service';

/** The credential check the IdP's login asks for, with per-account lockout and per-source throttling. */
@Module({
  imports: [UsersModule],
  controllers: [CredentialsHandler],
  providers: [
    CredentialsService,
    // AppModule imports this module statically, so it takes its settings from the directory's
    // validated config itself: the same schema, read from the same environment.
    { provide: CREDENTIALS_POLICY, useFactory: () => credentialsPolicy(loadDirectoryConfig()) },
  ],
})
export class CredentialsModule {}
