import { Inject, Injectable } from '@nestjs/common';
import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import { IdpEvents } from '@jit/idp-contracts';
import type { PayloadOf } from '@jit/messaging';
import { buildResponse, newSamlId, type ParsedAuthnRequest } from '@jit/saml';
import { AuditService } from '../audit/audit.service';
import { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import { NAMEID_SECRET } from '../common/name-id-secret';
import { nonce, relayStateWithin, type SsoOutcome } from '../common/outcome';
import { Refusal } from '../common/refusals';
import { RefusalResponder } from '../common/refusal-responder';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SigningKeysService } from '../keys/signing-keys.service';
import type { DecisionSubject } from '../read-model/consumed-streams';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { SessionStore, type IdpSession, type PendingSso } from '../sessions/session-store';
import { checkAuthnRequest, nameIdPolicyAccepted, parseVerifiedAuthnRequest } from './authn-request-checks';
import { decideAssertion } from './decide-assertion';
import { decideAuthnContext, preferredMfaClass, secondFactorRequested } from './authn-context';
import { autoPostPage } from './html';
import { MfaService } from '../mfa/mfa.service';
import { PasskeysService } from '../mfa/passkeys.service';
import { secondStepDue, type SecondStepDue } from '../mfa/second-step';
import { ReplayCache } from './replay-cache';

export interface SsoInput {
  applicationId: string;
  binding: 'redirect' | 'post';
  samlRequest: string | undefined;
  relayState: string | undefined;
  /** The raw query string as received (Redirect binding): its octets are what the SP signed. */
  rawQuery?: string;
  session: IdpSession | undefined;
  sourceIp: string;
}

/** A response built and signed but not yet sent (see signedResponse and deliver). */
interface SignedResponse {
  xml: string;
  pending: PendingSso;
  /** The audit event, but for its time: it happens when the response is delivered. */
  issued: Omit<PayloadOf<typeof IdpEvents.assertionIssued>, 'occurredAt'>;
  nameIdFormat: string;
  nameId: string;
}

/**
 * Single sign-on: an SP's AuthnRequest (SP-initiated) or a portal link (IdP-initiated) becomes a
 * signed Response posted to the registered ACS, or a trip to the login page first. Whether an
 * assertion may go out, and with what, is decideAssertion's answer.
 */
@Injectable()
export class SsoService {
  constructor(
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
    @Inject(NAMEID_SECRET) private readonly nameIdSecret: string,
    private readonly fresh: FreshReadModel,
    private readonly urls: IdpUrls,
    private readonly keys: SigningKeysService,
    private readonly sessions: SessionStore,
    private readonly replay: ReplayCache,
    private readonly audit: AuditService,
    private readonly refusals: RefusalResponder,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
  ) {}

  /** SP-initiated SSO: check the AuthnRequest, then sign in or issue. */
  async spInitiated(input: SsoInput): Promise<SsoOutcome> {
    const who = { applicationId: input.applicationId, userId: input.session?.user?.id ?? null, sourceIp: input.sourceIp };
    return this.refusals.guard(who, async () => {
      await this.fresh.requireFresh({ person: personOf(input.session), applicationId: input.applicationId });
      const app = this.fresh.activeApplication(input.applicationId);
      if (!input.samlRequest) throw new Refusal('malformed_request', { flow: 'sso' });
      const request = parseVerifiedAuthnRequest({ ...input, samlRequest: input.samlRequest }, app);
      const acsUrl = checkAuthnRequest(app, request, {
        ssoUrl: this.urls.ssoUrl(app.id),
        clockSkewSeconds: this.config.IDP_CLOCK_SKEW_SECONDS,
        now: Date.now(),
      });
      const relayState = relayStateWithin(input.relayState, this.config.IDP_RELAY_STATE_MAX_BYTES);
      const pending: PendingSso = {
        applicationId: app.id,
        organizationId: app.organizationId,
        requestId: request.id,
        acsUrl,
        relayState,
        subjectNameId: request.subject?.nameId,
        requestedAuthnContext: request.requestedAuthnContext,
      };
      const policyAccepted = nameIdPolicyAccepted(request.nameIdPolicyFormat, app.snapshot.nameIdFormat);
      const contextRefused = authnContextRefusal(request, app, pending);
      const signedIn = this.signedInFor(input.session, app) && !request.forceAuthn ? input.session : undefined;
      // Signed in, but with a password only where a second factor is now due: step up first.
      const due = signedIn && !contextRefused ? await this.secondFactorDue(signedIn, app, pending) : null;
      const session = due ? undefined : signedIn;
      // The replay-cache round trip and the signature overlap: the response is built and signed
      // while the ID is being recorded, but nothing is sent, audited or kept in the session until
      // the ID is known to be new, and a replay is refused before anything else is decided.
      const firstSeen = this.replay.firstSeen(request.issuer, request.id, 2 * this.config.IDP_CLOCK_SKEW_SECONDS);
      const signing = session && policyAccepted && !contextRefused ? this.signedResponse(session, pending, app, 'sp') : undefined;
      signing?.catch(() => undefined);
      if (!(await firstSeen)) throw new Refusal('request_replayed');
      // From here the ACS is the registered one: the profile's failures go back to it as a status.
      if (contextRefused) throw contextRefused;
      if (!policyAccepted) throw new Refusal('invalid_name_id_policy', { detail: request.nameIdPolicyFormat ?? '' }, pending);
      if (request.isPassive && !session) throw new Refusal('no_passive', {}, pending);
      if (session && signing) return this.deliver(session, await signing);
      if (signedIn && due) return this.toSecondStep(signedIn, pending, due);
      return this.toLogin(input.session, pending);
    });
  }

  /** IdP-initiated SSO (the portal's links): the first registered ACS URL, no InResponseTo. */
  async idpInitiated(
    applicationId: string,
    relayState: string | undefined,
    session: IdpSession | undefined,
    sourceIp: string,
  ): Promise<SsoOutcome> {
    return this.refusals.guard({ applicationId, userId: session?.user?.id ?? null, sourceIp }, async () => {
      await this.fresh.requireFresh({ person: personOf(session), applicationId });
      const app = this.fresh.activeApplication(applicationId);
      if (!app.snapshot.idpInitiatedAllowed) throw new Refusal('idp_initiated_disabled', { appName: app.snapshot.name });
      const pending: PendingSso = {
        applicationId,
        organizationId: app.organizationId,
        requestId: null,
        acsUrl: app.snapshot.acsUrls[0],
        relayState: relayStateWithin(idpInitiatedRelayState(app.snapshot, relayState), this.config.IDP_RELAY_STATE_MAX_BYTES),
      };
      if (this.signedInFor(session, app) && session) {
        const due = await this.secondFactorDue(session, app, pending);
        return due ? this.toSecondStep(session, pending, due) : this.issue(session, pending, app, 'idp');
      }
      return this.toLogin(session, pending);
    });
  }

  /** Issues to a session that has just signed in (the login form's last step). */
  async issue(session: IdpSession, pending: PendingSso, app: ReadApplicationView, initiatedBy: 'sp' | 'idp'): Promise<SsoOutcome> {
    return this.deliver(session, await this.signedResponse(session, pending, app, initiatedBy));
  }

  private signedInFor(session: IdpSession | undefined, app: ReadApplicationView): boolean {
    return session?.user !== undefined && session.user.organizationId === app.organizationId;
  }

  /**
   * Whether a signed-in session must take a second step before `app` gets an assertion
   * (secondStepDue): the request's RequestedAuthnContext asks for more than a password, the
   * application or the organisation requires MFA and the session has none, or the application
   * requires a passkey and the session did not use one. 'enrol' when the person has no such factor
   * yet. null when no step is due.
   */
  private async secondFactorDue(session: IdpSession, app: ReadApplicationView, pending: PendingSso): Promise<SecondStepDue | null> {
    const user = session.user;
    if (!user) return null;
    const phishingResistantRequired = app.snapshot.mfaPhishingResistant;
    if (user.mfa && (!phishingResistantRequired || user.phishingResistant)) return null;
    const who = { organizationId: user.organizationId, userId: user.id };
    const factorRequired =
      secondFactorRequested(pending.requestedAuthnContext) ||
      app.snapshot.mfaRequired ||
      (await this.mfa.policy(user.organizationId)) === 'required';
    if (!factorRequired && !phishingResistantRequired) return null;
    return secondStepDue({
      session: user,
      factorRequired,
      phishingResistantRequired,
      hasFactor: await this.mfa.hasConfirmedFactor(who),
      hasPasskey: phishingResistantRequired ? await this.passkeys.hasPasskey(who) : false,
    });
  }

  private toSecondStep(session: IdpSession, pending: PendingSso, due: SecondStepDue): SsoOutcome {
    const user = session.user as NonNullable<IdpSession['user']>;
    session.pending = pending;
    session.secondStep = {
      userId: user.id,
      organizationId: user.organizationId,
      stage: due.stage,
      ...(due.passkeyOnly ? { passkeyOnly: true } : {}),
    };
    return { kind: 'redirect', location: '/login/mfa', session };
  }

  private toLogin(session: IdpSession | undefined, pending: PendingSso): SsoOutcome {
    const s = session ?? this.sessions.create();
    s.pending = pending;
    return { kind: 'redirect', location: '/login', session: s };
  }

  /**
   * Decides from the read model and signs, without side effects: a caller may start this before
   * its last check has answered and drop the result. deliver() is what makes it count.
   */
  private async signedResponse(
    session: IdpSession,
    pending: PendingSso,
    app: ReadApplicationView,
    initiatedBy: 'sp' | 'idp',
  ): Promise<SignedResponse> {
    const user = session.user;
    if (!user) throw new Error('signedResponse() needs a signed-in session');
    // SSO sessions re-check authorisation at every SSO, not only at login.
    const facts = this.fresh.readModel.authorisation(user.organizationId, user.id, app.id);
    const decision = decideAssertion({
      applicationId: app.id,
      userId: user.id,
      facts,
      nameIdSecret: this.nameIdSecret,
      transientNameId: newSamlId(),
      requestedSubject: pending.subjectNameId,
    });
    const [blocker] = decision.blockers;
    if (blocker)
      throw new Refusal(blocker.reason, { appName: facts.application?.snapshot.name, missing: decision.missing, detail: blocker.detail });
    const snapshot = (facts.application ?? app).snapshot;
    // Truthful: a multi-factor class only when a second factor was given in this session, and
    // one the request accepts. The flows ask for a second factor before coming here when only
    // that meets the request, so anything but an answer is refused rather than overstated.
    const context = decideAuthnContext(pending.requestedAuthnContext, user.mfa === true ? 'mfa' : 'password', preferredMfaClass(snapshot));
    if (context.kind !== 'assert') {
      throw new Refusal(
        'no_authn_context',
        { appName: snapshot.name, detail: context.kind === 'unmet' ? context.detail : 'a second factor was not given' },
        pending,
      );
    }
    const credentials = await this.keys.forOrganization(app.organizationId);
    const xml = await buildResponse({
      issuer: this.urls.entityId(app.id),
      destination: pending.acsUrl,
      inResponseTo: pending.requestId ?? undefined,
      audience: snapshot.spEntityId,
      nameId: decision.nameId.value as string,
      nameIdFormat: decision.nameId.format,
      sessionIndex: user.sessionIndex,
      authnInstant: user.authnInstant,
      authnContextClassRef: context.classRef,
      attributes: decision.attributes,
      signAssertion: snapshot.signAssertion,
      signResponse: snapshot.signResponse,
      signatureAlgorithm: snapshot.signatureAlgorithm,
      encryptionCertificatePem: snapshot.encryptionCertificate,
      credentials,
    });
    const issued: SignedResponse['issued'] = {
      organizationId: app.organizationId,
      applicationId: app.id,
      userId: user.id,
      attributeNames: decision.attributes.map((a) => a.name),
      inResponseTo: pending.requestId,
      initiatedBy,
      encrypted: snapshot.encryptionCertificate !== null,
      authnContextClassRef: context.classRef,
    };
    return { xml, pending, issued, nameIdFormat: decision.nameId.format, nameId: decision.nameId.value as string };
  }

  /** Sends a signed response: the session remembers the application (logout), the audit trail records it. */
  private deliver(session: IdpSession, { xml, pending, issued, nameIdFormat, nameId }: SignedResponse): SsoOutcome {
    // The other instances need it for Single Logout: BrowserReplies writes the change (SessionStore.save).
    (session.applications ??= new Map()).set(issued.applicationId, { nameId, nameIdFormat });
    this.audit.issued({ ...issued, occurredAt: new Date().toISOString() }, nameIdFormat);
    return {
      kind: 'page',
      page: autoPostPage({ nonce: nonce(), acsUrl: pending.acsUrl, responseXml: xml, relayState: pending.relayState }),
    };
  }
}

/**
 * The refusal a request's RequestedAuthnContext earns, to be answered once its ACS is verified:
 * one that cannot be read, or one nothing the IdP does can meet (NoAuthnContext). undefined when
 * the request can be met, perhaps after a second factor.
 */
function authnContextRefusal(request: ParsedAuthnRequest, app: ReadApplicationView, pending: PendingSso): Refusal | undefined {
  const context = { appName: app.snapshot.name, flow: 'sso' as const };
  if (request.requestedAuthnContextError !== undefined) {
    return new Refusal('malformed_request', { ...context, detail: request.requestedAuthnContextError }, pending);
  }
  const decision = decideAuthnContext(request.requestedAuthnContext, 'mfa', preferredMfaClass(app.snapshot));
  return decision.kind === 'unmet' ? new Refusal('no_authn_context', { ...context, detail: decision.detail }, pending) : undefined;
}

/**
 * The RelayState of an IdP-initiated sign-in: the application's configured default. A value from
 * the link's URL is forwarded only when the application opts in: otherwise anyone could send
 * people to the SP with a RelayState of their choosing (an open redirect at many SPs).
 */
export function idpInitiatedRelayState(snapshot: ApplicationSnapshot, fromCaller: string | undefined): string | undefined {
  if (snapshot.idpInitiatedRelayStateFromCaller && fromCaller !== undefined && fromCaller !== '') return fromCaller;
  return snapshot.defaultRelayState ?? undefined;
}

/**
 * The signed-in person a decision is about (the freshness check's scope), if any. A person
 * signed in elsewhere, or one who signs in now, is checked again when known (LoginService).
 */
export function personOf(session: IdpSession | undefined): DecisionSubject['person'] {
  const user = session?.user;
  return user ? { userId: user.id, organizationId: user.organizationId } : undefined;
}
