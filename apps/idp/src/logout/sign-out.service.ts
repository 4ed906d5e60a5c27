import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { IdpEvents } from '@jit/idp-contracts';
import {
  SamlRequestError,
  STATUS_SUCCESS,
  buildLogoutRequest,
  buildLogoutResponse,
  decodeRedirectSamlRequest,
  parseLogoutResponse,
  redirectBindingUrl,
  verifyRedirectSignature,
} from '@jit/saml';
import { AuditService } from '../audit/audit.service';
import { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import { nonce, type SsoOutcome } from '../common/outcome';
import { SigningKeysService } from '../keys/signing-keys.service';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import { SignOutWalks, type LogoutAnswer, type SignOutWalk } from '../sessions/sign-out-walks';
import type { PageOrganization } from '../sso/branding';
import { errorPage, signedOutPage, signOutPage, type PageAction } from '../sso/html';
import { signOutFormTargets, signOutPlan } from './sign-out-plan';
import { sloUrlOf } from './slo-url';

/** The way forward from a page that could not sign anyone out. */
export const SIGN_OUT_ACTION: PageAction = {
  note: 'Nothing was signed out by this request. To end your session here, sign out of the identity provider.',
  href: '/logout',
  label: 'Sign out',
};

/**
 * Signing out of the IdP (`GET|POST /logout`) and the front-channel walk that follows any end of an
 * IdP session by Single Logout: the session ends first, then the browser is sent, one application
 * after another, with a signed LogoutRequest to each application of the session that has an SLO
 * address, and comes back with its LogoutResponse to `/saml2/:appId/slo`. The walk ends on the
 * signed-out page, or (SP-initiated) with the LogoutResponse to the application that asked.
 *
 * Signing out reads the read model as it is, without the freshness check SSO needs: it grants
 * nothing, and it must work while NATS is away.
 */
@Injectable()
export class SignOutService {
  private readonly logger = new Logger(SignOutService.name);

  constructor(
    private readonly fresh: FreshReadModel,
    private readonly urls: IdpUrls,
    private readonly keys: SigningKeysService,
    private readonly sessions: SessionStore,
    private readonly audit: AuditService,
    @Inject(SignOutWalks) private readonly walks: SignOutWalks,
  ) {}

  /** `GET /logout`: what signing out will end, and the button. */
  page(session: IdpSession | undefined): SsoOutcome {
    if (!session?.user) return this.signedOut({ signedOut: [], unconfirmed: [], skipped: [] }, undefined);
    const lookup = (id: string) => this.fresh.readModel.application(id);
    const plan = signOutPlan(session.applications, lookup);
    const names = plan.stops.map((s) => lookup(s.applicationId)?.snapshot.name ?? s.applicationId);
    return {
      kind: 'page',
      page: signOutPage({
        nonce: nonce(),
        csrfToken: session.csrfToken,
        applications: names,
        skipped: plan.skipped,
        signOutTargets: signOutFormTargets(plan, lookup),
        organization: this.organization(session.user.organizationId),
      }),
    };
  }

  /** `POST /logout`: ends the IdP session, then signs out of its applications. */
  async signOut(session: IdpSession | undefined, csrf: string | undefined): Promise<SsoOutcome> {
    if (!session?.user) return { ...this.signedOut({ signedOut: [], unconfirmed: [], skipped: [] }, undefined), clearSession: true };
    if (!csrf || !safeEqual(csrf, session.csrfToken)) {
      return expiredForm(
        'Sign-out expired',
        'The sign-out form was stale or forged.',
        { note: 'Nothing was signed out. Open the sign-out page and try again.', href: '/logout', label: 'Sign out' },
        this.organization(session.user.organizationId),
      );
    }
    return this.endAndWalk(session);
  }

  /**
   * "Not you? Use another account" on the login form and the portal: ends the browser's IdP session (not the
   * applications' sessions) and shows the login form again for the same sign-in.
   */
  useAnotherAccount(session: IdpSession | undefined, csrf: string | undefined): SsoOutcome {
    if (!session) return { kind: 'redirect', location: '/login' };
    if (!csrf || !safeEqual(csrf, session.csrfToken)) {
      return expiredForm(
        'Sign-in expired',
        'The sign-in form was stale or forged. Go back to the application and start again.',
        undefined,
        this.organization(session.user?.organizationId ?? session.pending?.organizationId),
      );
    }
    if (!session.user) return { kind: 'redirect', location: '/login' };
    // Not Single Logout: the applications keep their sessions, so no logged-out event.
    this.sessions.destroy(session.id);
    const fresh = this.sessions.create();
    // From the portal no sign-in is waiting: the next person signs in to the same organisation's portal.
    fresh.pending = session.pending ?? {
      applicationId: null,
      organizationId: session.user.organizationId,
      requestId: null,
      acsUrl: '',
      relayState: null,
    };
    return { kind: 'redirect', location: '/login', session: fresh };
  }

  /**
   * Ends the session (it is over from here on, whatever the applications answer) and starts the
   * walk through its other applications. `answer`: the SP-initiated logout to answer at the end.
   */
  async endAndWalk(session: IdpSession, answer?: LogoutAnswer): Promise<SsoOutcome> {
    const user = session.user;
    if (!user) throw new Error('endAndWalk() needs a signed-in session');
    this.end(session);
    const plan = signOutPlan(session.applications, (id) => this.fresh.readModel.application(id), answer?.applicationId);
    const walk: SignOutWalk = {
      organizationId: user.organizationId,
      sessionIndex: user.sessionIndex,
      remaining: plan.stops,
      // The application that asked has signed out already (without an SLO address it hears nothing back).
      signedOut: answer ? [this.fresh.readModel.application(answer.applicationId)?.snapshot.name ?? answer.applicationId] : [],
      unconfirmed: [],
      skipped: plan.skipped,
      answer,
    };
    const outcome = await this.next(await this.walks.start(walk), walk);
    return { ...outcome, clearSession: true };
  }

  /**
   * An application's LogoutResponse to one of the walk's LogoutRequests. Whatever it says, the walk
   * goes on: the IdP session is already over, and the answer only tells the person whether that
   * application confirmed. A walk this browser is not on (expired, unknown, another application's
   * turn) answers a page with the way to sign out, never a dead end.
   */
  async logoutResponse(input: {
    applicationId: string;
    samlResponse: string;
    relayState: string | undefined;
    rawQuery: string;
  }): Promise<SsoOutcome> {
    const token = input.relayState;
    const walk = await this.walks.get(token);
    const app = this.fresh.readModel.application(input.applicationId);
    if (!token || !walk || walk.awaiting?.applicationId !== input.applicationId) {
      return {
        kind: 'page',
        page: errorPage({
          nonce: nonce(),
          status: 400,
          title: 'No sign-out in progress',
          message: 'This sign-out has expired or was not started in this browser.',
          action: { ...SIGN_OUT_ACTION, note: 'If you are still signed in here, sign out of the identity provider.' },
          organization: this.organization(app?.organizationId),
        }),
      };
    }
    const name = app?.snapshot.name ?? input.applicationId;
    const confirmed = app !== null && confirms(app, input, walk.awaiting.requestId);
    (confirmed ? walk.signedOut : walk.unconfirmed).push(name);
    if (!confirmed) this.logger.log({ applicationId: input.applicationId }, 'Single Logout not confirmed by the application');
    walk.awaiting = undefined;
    return this.next(token, walk);
  }

  /** The next application's LogoutRequest, or the end of the walk. */
  private async next(token: string, walk: SignOutWalk): Promise<SsoOutcome> {
    for (let stop = walk.remaining.shift(); stop; stop = walk.remaining.shift()) {
      const app = this.fresh.readModel.application(stop.applicationId);
      const sloUrl = app && sloUrlOf(app.snapshot);
      if (!app || !sloUrl) {
        // Changed while the walk was under way: it is skipped like one that never had an address.
        if (app) walk.skipped.push(app.snapshot.name);
        continue;
      }
      const credentials = await this.keys.forOrganization(app.organizationId);
      const { id, xml } = buildLogoutRequest({
        issuer: this.urls.entityId(app.id),
        destination: sloUrl,
        nameId: stop.nameId,
        nameIdFormat: stop.nameIdFormat,
        sessionIndex: walk.sessionIndex,
      });
      walk.awaiting = { applicationId: app.id, requestId: id };
      // The browser may come back from the SP to another IdP instance.
      await this.walks.save(token, walk);
      return {
        kind: 'redirect',
        location: redirectBindingUrl(sloUrl, 'SAMLRequest', xml, token, credentials, app.snapshot.signatureAlgorithm),
      };
    }
    await this.walks.end(token);
    const answered = walk.answer && (await this.answerInitiator(walk.answer));
    return answered ?? this.signedOut(walk, walk.organizationId);
  }

  /** The signed LogoutResponse to the application that started an SP-initiated logout, if it has an SLO address. */
  async answerInitiator(answer: LogoutAnswer): Promise<SsoOutcome | undefined> {
    const app = this.fresh.readModel.application(answer.applicationId);
    const sloUrl = app && sloUrlOf(app.snapshot);
    if (!app || !sloUrl) return undefined;
    const credentials = await this.keys.forOrganization(app.organizationId);
    const xml = buildLogoutResponse({ issuer: this.urls.entityId(app.id), destination: sloUrl, inResponseTo: answer.inResponseTo });
    return {
      kind: 'redirect',
      location: redirectBindingUrl(sloUrl, 'SAMLResponse', xml, answer.relayState, credentials, app.snapshot.signatureAlgorithm),
    };
  }

  /** Ends an IdP session: one audit event for each application it had signed in to. */
  private end(session: IdpSession): void {
    const user = session.user;
    this.sessions.destroy(session.id);
    if (!user) return;
    const occurredAt = new Date().toISOString();
    for (const applicationId of session.applications?.keys() ?? []) {
      void this.audit.record(IdpEvents.loggedOut, {
        organizationId: user.organizationId,
        applicationId,
        userId: user.id,
        sessionIndex: user.sessionIndex,
        occurredAt,
      });
    }
  }

  private signedOut(
    result: Pick<SignOutWalk, 'signedOut' | 'unconfirmed' | 'skipped'>,
    organizationId: string | undefined,
  ): SsoOutcome & { kind: 'page' } {
    return {
      kind: 'page',
      page: signedOutPage({
        nonce: nonce(),
        signedOut: result.signedOut,
        unconfirmed: result.unconfirmed,
        skipped: result.skipped,
        // The organisation's sign-in link: the portal signs in first, then lists the applications.
        signInHref: organizationId ? `/?organization=${organizationId}` : '/',
        organization: this.organization(organizationId),
      }),
    };
  }

  /** The organisation a page shows (its band), when the page knows which it is. */
  organization(organizationId: string | null | undefined): PageOrganization | null {
    return organizationId ? this.fresh.readModel.organization(organizationId) : null;
  }
}

/**
 * Whether a LogoutResponse confirms the walk's LogoutRequest: from the application's entity, in
 * response to that request, with status Success, and, when it carries a signature, one made with
 * the application's registered certificate. An unsigned one is believed: it can only change what
 * the signed-out page says, and only in the browser that carries the walk's token.
 */
function confirms(app: ReadApplicationView, input: { samlResponse: string; rawQuery: string }, requestId: string): boolean {
  try {
    verifyRedirectSignature(input.rawQuery, app.snapshot.spSigningCertificates, 'SAMLResponse');
    const response = parseLogoutResponse(decodeRedirectSamlRequest(input.samlResponse));
    return response.issuer === app.snapshot.spEntityId && response.inResponseTo === requestId && response.statusCode === STATUS_SUCCESS;
  } catch (error) {
    if (error instanceof SamlRequestError) return false;
    throw error;
  }
}

function expiredForm(title: string, message: string, action: PageAction | undefined, organization: PageOrganization | null): SsoOutcome {
  return { kind: 'page', page: errorPage({ nonce: nonce(), status: 403, title, message, action, organization }) };
}

/** Compares a form's CSRF token with the session's without leaking where they differ. */
function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
