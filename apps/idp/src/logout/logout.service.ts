import { Inject, Injectable } from '@nestjs/common';
import { decodeRedirectSamlRequest, parseLogoutRequest, type ParsedLogoutRequest } from '@jit/saml';
import { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import { nonce, relayStateWithin, type SsoOutcome } from '../common/outcome';
import { Refusal } from '../common/refusals';
import { RefusalResponder } from '../common/refusal-responder';
import { samlRequestRefusal, verifiedRequestXml } from '../common/request-signature';
import { IDP_CONFIG, type IdpConfig } from '../config';
import type { ReadApplicationView } from '../read-model/read-model.service';
import type { IdpSession } from '../sessions/session-store';
import { errorPage } from '../sso/html';
import { SIGN_OUT_ACTION, SignOutService } from './sign-out.service';

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
 * AuthnRequest (signature with the registered certificates, issuer, destination, time). When it
 * names this browser's session, that IdP session ends and the session's other applications are
 * signed out one after another (SignOutService's walk); then a signed LogoutResponse goes to the
 * application's registered singleLogoutUrl, never to an address taken from the request. An
 * application without one gets no answer: the person sees the IdP's signed-out page instead.
 * Whatever cannot be done ends on a page that says so and offers the IdP's sign-out.
 */
@Injectable()
export class LogoutService {
  constructor(
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
    private readonly fresh: FreshReadModel,
    private readonly urls: IdpUrls,
    private readonly signOut: SignOutService,
    private readonly refusals: RefusalResponder,
  ) {}

  async singleLogout(input: LogoutInput): Promise<SsoOutcome> {
    const who = { applicationId: input.applicationId, userId: input.session?.user?.id ?? null, sourceIp: input.sourceIp };
    return this.refusals.guard(
      who,
      async () => {
        // The application (on, its certificates, its SLO address) and the session's others: when
        // the request ends the session, the sign-out walk reads their SLO addresses. Nothing else.
        await this.fresh.requireFresh({
          applicationId: input.applicationId,
          otherApplications: [...(input.session?.applications?.keys() ?? [])],
        });
        const app = this.fresh.activeApplication(input.applicationId);
        const context = { appName: app.snapshot.name, flow: 'slo' as const };
        // Front-channel: whoever's browser carries the request is logged out, so only a request the SP
        // signed, with the certificate registered for it, may do that.
        if (app.snapshot.spSigningCertificates.length === 0) throw new Refusal('slo_not_authenticated', context);
        if (!input.samlRequest) throw new Refusal('malformed_request', context);
        const request = this.parseVerified(app, input.samlRequest, input.rawQuery);
        this.checkRequest(app, request);
        const relayState = relayStateWithin(input.relayState, this.config.IDP_RELAY_STATE_MAX_BYTES);
        const answer = { applicationId: app.id, inResponseTo: request.id, relayState };
        const session = input.session;
        if (session && namesSession(app, session, request)) return this.signOut.endAndWalk(session, answer);
        // Nothing of this browser's to end: the application is told so (Success: that principal has
        // no session here), or, without an SLO address, the person is.
        return (await this.signOut.answerInitiator(answer)) ?? this.nothingEnded(app, session);
      },
      SIGN_OUT_ACTION,
    );
  }

  private nothingEnded(app: ReadApplicationView, session: IdpSession | undefined): SsoOutcome {
    if (!session?.user) return this.signOut.page(undefined);
    return {
      kind: 'page',
      page: errorPage({
        nonce: nonce(),
        status: 200,
        title: 'Still signed in here',
        message: `${app.snapshot.name} asked to sign out another session than the one this browser has here.`,
        action: { ...SIGN_OUT_ACTION, note: 'Your session here is still open. To end it, sign out of the identity provider.' },
        organization: this.signOut.organization(app.organizationId),
      }),
    };
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
}

/**
 * Whether the request names this browser's session: the NameID this session's assertion to the
 * application carried, and its SessionIndex when the request gives any.
 */
function namesSession(app: ReadApplicationView, session: IdpSession, request: ParsedLogoutRequest): boolean {
  const user = session.user;
  if (!user || user.organizationId !== app.organizationId) return false;
  const asserted = session.applications?.get(app.id);
  if (!asserted || asserted.nameId !== request.nameId) return false;
  return request.sessionIndexes.length === 0 || request.sessionIndexes.includes(user.sessionIndex);
}
