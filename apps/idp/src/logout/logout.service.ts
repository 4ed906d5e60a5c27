import { Inject, Injectable } from '@nestjs/common';
import { IdpEvents } from '@jit/idp-contracts';
import {
  buildLogoutResponse,
  decodeRedirectSamlRequest,
  parseLogoutRequest,
  redirectBindingUrl,
  type ParsedLogoutRequest,
} from '@jit/saml';
import { AuditService } from '../audit/audit.service';
import { FreshReadModel } from '../common/fresh-read-model';
import { renderableUrl } from '@jit/catalog-contracts';
import { IdpUrls } from '../common/idp-urls';
import { relayStateWithin, type SsoOutcome } from '../common/outcome';
import { Refusal } from '../common/refusals';
import { RefusalResponder } from '../common/refusal-responder';
import { samlRequestRefusal, verifiedRequestXml } from '../common/request-signature';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SigningKeysService } from '../keys/signing-keys.service';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { SessionStore, type IdpSession } from '../sessions/session-store';

export interface LogoutInput {
  applicationId: string;
  samlRequest: string | undefined;
  rawQuery: string;
  relayState: string | undefined;
  session: IdpSession | undefined;
  sourceIp: string;
}

/**
 * SP-initiated Single Logout over HTTP-Redirect: the LogoutRequest is checked like an
 * AuthnRequest (signature with the registered certificates, issuer, destination, time), the IdP
 * session it names ends, and a signed LogoutResponse goes to the application's registered
 * singleLogoutUrl, never to an address taken from the request.
 */
@Injectable()
export class LogoutService {
  constructor(
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
    private readonly fresh: FreshReadModel,
    private readonly urls: IdpUrls,
    private readonly keys: SigningKeysService,
    private readonly sessions: SessionStore,
    private readonly audit: AuditService,
    private readonly refusals: RefusalResponder,
  ) {}

  async singleLogout(input: LogoutInput): Promise<SsoOutcome> {
    const who = { applicationId: input.applicationId, userId: input.session?.user?.id ?? null, sourceIp: input.sourceIp };
    return this.refusals.guard(who, async () => {
      await this.fresh.requireFresh();
      const app = this.fresh.activeApplication(input.applicationId);
      const context = { appName: app.snapshot.name, flow: 'slo' as const };
      const sloUrl = app.snapshot.singleLogoutUrl;
      if (!sloUrl || !renderableUrl(sloUrl)) throw new Refusal('slo_not_configured', context);
      // Front-channel: whoever's browser carries the request is logged out, so only a request the SP
      // signed, with the certificate registered for it, may do that.
      if (app.snapshot.spSigningCertificates.length === 0) throw new Refusal('slo_not_authenticated', context);
      if (!input.samlRequest) throw new Refusal('malformed_request', context);
      const request = this.parseVerified(app, input.samlRequest, input.rawQuery);
      this.checkRequest(app, request);
      const ended = this.endSession(app, input.session, request);
      const credentials = await this.keys.forOrganization(app.organizationId);
      const xml = buildLogoutResponse({ issuer: this.urls.entityId(app.id), destination: sloUrl, inResponseTo: request.id });
      const relayState = relayStateWithin(input.relayState, this.config.IDP_RELAY_STATE_MAX_BYTES);
      return {
        kind: 'redirect',
        location: redirectBindingUrl(sloUrl, 'SAMLResponse', xml, relayState, credentials, app.snapshot.signatureAlgorithm),
        clearSession: ended,
      };
    });
  }

  private parseVerified(app: ReadApplicationView, samlRequest: string, rawQuery: string): ParsedLogoutRequest {
    try {
      const xml = verifiedRequestXml(app, { binding: 'redirect', xml: decodeRedirectSamlRequest(samlRequest), rawQuery }, true);
      return parseLogoutRequest(xml);
    } catch (error) {
      return samlRequestRefusal(error, { appName: app.snapshot.name, flow: 'slo' });
    }
  }

  private checkRequest(app: ReadApplicationView, request: ParsedLogoutRequest): void {
    const context = { appName: app.snapshot.name, flow: 'slo' as const };
    if (request.issuer !== app.snapshot.spEntityId) throw new Refusal('unknown_issuer', context);
    if (request.destination !== undefined && request.destination !== this.urls.sloUrl(app.id))
      throw new Refusal('wrong_destination', context);
    if (Math.abs(Date.now() - request.issueInstant.getTime()) > this.config.IDP_CLOCK_SKEW_SECONDS * 1000) {
      throw new Refusal('stale_request', context);
    }
  }

  /**
   * Ends the browser's IdP session only when the request names its principal for this SP: the
   * NameID this session's assertion to the application carried, and its SessionIndex when the
   * request gives any. Says whether it did.
   */
  private endSession(app: ReadApplicationView, session: IdpSession | undefined, request: ParsedLogoutRequest): boolean {
    const user = session?.user;
    if (!session || !user || user.organizationId !== app.organizationId) return false;
    const asserted = session.applications?.get(app.id);
    if (!asserted || asserted.nameId !== request.nameId) return false;
    if (request.sessionIndexes.length > 0 && !request.sessionIndexes.includes(user.sessionIndex)) return false;
    this.sessions.destroy(session.id);
    void this.audit.record(IdpEvents.loggedOut, {
      organizationId: app.organizationId,
      applicationId: app.id,
      userId: user.id,
      sessionIndex: user.sessionIndex,
      occurredAt: new Date().toISOString(),
    });
    return true;
  }
}
