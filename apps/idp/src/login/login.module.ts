import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { SsoModule } from '../sso/sso.module';
import { LoginController } from './login.controller';
import { LoginService } from './login.service';

/** The login page and the user portal; a sign-in that an SSO waits for ends in SsoService.issue. */
@Module({ imports: [IdpCommonModule, SsoModule], controllers: [LoginController], providers: [LoginService] })
export class LoginModule {}
