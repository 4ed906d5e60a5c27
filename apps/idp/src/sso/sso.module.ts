import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { SsoController } from './sso.controller';
import { SsoService } from './sso.service';

/** SP- and IdP-initiated sign-on (`/saml2/:appId/sso`, `/saml2/:appId/init`). */
@Module({ imports: [IdpCommonModule], controllers: [SsoController], providers: [SsoService], exports: [SsoService] })
export class SsoModule {}
