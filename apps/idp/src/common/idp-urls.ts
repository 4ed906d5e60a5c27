import { Inject, Injectable } from '@nestjs/common';
import { IDP_CONFIG, type IdpConfig } from '../config';

/** The IdP's own addresses per application: its entity ID and endpoints, all built from IDP_BASE_URL. */
@Injectable()
export class IdpUrls {
  constructor(@Inject(IDP_CONFIG) private readonly config: IdpConfig) {}

  entityId(applicationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/${applicationId}`;
  }

  ssoUrl(applicationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/${applicationId}/sso`;
  }

  sloUrl(applicationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/${applicationId}/slo`;
  }

  organizationEntityId(organizationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/organizations/${organizationId}`;
  }
}
