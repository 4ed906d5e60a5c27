import { Injectable } from '@nestjs/common';
import { buildIdpMetadata, buildIdpMetadataSet } from '@jit/saml';
import { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import { SigningKeysService } from '../keys/signing-keys.service';
import { sloUrlOf } from '../logout/slo-url';
import type { ReadApplicationView } from '../read-model/read-model.service';

/** The IdP's SAML metadata, per application and per organisation, with every published certificate. */
@Injectable()
export class MetadataService {
  constructor(
    private readonly fresh: FreshReadModel,
    private readonly urls: IdpUrls,
    private readonly keys: SigningKeysService,
  ) {}

  /** Decided from the application's own events; the signing keys are the IdP's own rows. */
  async application(applicationId: string): Promise<string | null> {
    await this.fresh.requireFreshForApi({ applicationId });
    const app = this.fresh.readModel.application(applicationId);
    if (!app) return null;
    return buildIdpMetadata(this.descriptor(app, await this.keys.publishedCertificates(app.organizationId)));
  }

  /** An organisation's metadata: one EntityDescriptor per active application, its keys in each. */
  async organization(organizationId: string): Promise<string | null> {
    // Its catalog applications, and its console's, which the organisation's existence brings.
    await this.fresh.requireFreshForApi({ applicationsOf: organizationId, organisationExists: organizationId });
    const apps = this.fresh.readModel.applicationsOf(organizationId);
    if (apps.length === 0) return null;
    const certificatePems = await this.keys.publishedCertificates(organizationId);
    return buildIdpMetadataSet(
      this.urls.organizationEntityId(organizationId),
      apps.map((app) => this.descriptor(app, certificatePems)),
    );
  }

  private descriptor(app: ReadApplicationView, certificatePems: string[]) {
    return {
      entityId: this.urls.entityId(app.id),
      ssoRedirectUrl: this.urls.ssoUrl(app.id),
      ssoPostUrl: this.urls.ssoUrl(app.id),
      // Only an application with its own SLO address can take part in Single Logout: advertised
      // for any other, its SP would send LogoutRequests the IdP cannot answer.
      sloRedirectUrl: sloUrlOf(app.snapshot) ? this.urls.sloUrl(app.id) : undefined,
      certificatePems,
      nameIdFormats: [app.snapshot.nameIdFormat],
      wantAuthnRequestsSigned: app.snapshot.requireSignedRequests,
    };
  }
}
