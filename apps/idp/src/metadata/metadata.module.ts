import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { MetadataController } from './metadata.controller';
import { MetadataService } from './metadata.service';

/** `GET /saml2/:appId/metadata` and `GET /saml2/organizations/:organizationId/metadata`. */
@Module({ imports: [IdpCommonModule], controllers: [MetadataController], providers: [MetadataService] })
export class MetadataModule {}
