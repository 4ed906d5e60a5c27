import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import { DirectoryRpc, type UserProfile } from '@jit/directory-contracts';
import { IdpEvents, MISSING_ATTRIBUTE_PREFIX, type RefusalReason } from '@jit/idp-contracts';
import { FreshnessGate, NatsBus, type PayloadOf } from '@jit/messaging';
import { DomainError, ErrorCode } from '@jit/service';
import {
  SamlRequestError,
  buildAssertionPreview,
  buildErrorResponse,
  buildIdpMetadata,
  buildIdpMetadataSet,
  buildResponse,
  decodePostSamlRequest,
  decodeRedirectSamlRequest,
  newSamlId,
  parseAuthnRequest,
  parseLogoutRequest,
  randomToken,
  buildLogoutResponse,
  redirectBindingUrl,
  verifyPostSignature,
  verifyRedirectSignature,
  type ParsedAuthnRequest,
  type SamlAttribute,
} from '@jit/saml';
import { AuditService } from '../audit/audit.service';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SigningKeysService } from '../keys/signing-keys.service';
import { ReadModelService, type ReadApplicationView } from '../read-model/read-model.service';
import { SessionStore, type IdpSession, type PendingSso } from '../sessions/session-store';
import { assertionAttributes, directoryValue } from './attributes';
import { autoPostPage, errorPage, loginPage, portalPage, type Page } from './html';
import { ReplayCache } from './replay-cache';

export const FRESHNESS_GATE = Symbol('FRESHNESS_GATE');

const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const NAMEID = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;
const STATUS = {
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
} as const;

/** What the controller sends back: a page, or a redirect; either may carry a session cookie. */
export type SsoOutcome =
  { kind: 'page'; page: Page; session?: IdpSession } | { kind: 'redirect'; location: string; session?: IdpSession; clearSession?: boolean };

export interface SsoInput {
  applicationId: string;
  binding: 'redirect' | 'post';
  samlRequest: string | undefined;
  relayState: string | undefined;
  /** The raw query string as received (Redirect binding): its octets are what the SP signed. */
  rawQuery?: string;
  session: IdpSession | undefined;
}

/** What an administrator's preview shows: the assertion a user would get and what would stop it. */
export interface AssertionPreview {
  applicationId: string;
  userId: string;
  wouldIssue: boolean;
  blockers: Array<{ reason: RefusalReason; message: string }>;
  nameId: { format: string; value: string | null };
  attributes: SamlAttribute[];
  /** The unsigned assertion, when nothing blocks it. */
  assertionXml: string | null;
}

/** A response built and signed but not yet sent (see signedResponse and deliver). */
interface SignedResponse {
  xml: string;
  pending: PendingSso;
  /** The audit event, but for its time: it happens when the response is delivered. */
  issued: Omit<PayloadOf<typeof IdpEvents.assertionIssued>, 'occurredAt'>;
}

class Refusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** A failure the SAML profile answers with a status in a Response to the (verified) ACS. */
class SamlStatus extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly pending: PendingSso,
    readonly statusCode: string,
    readonly subStatusCode: string,
    message: string,
  ) {
    super(message);
  }
}

@Injectable()
export class SsoService {
  private readonly logger = new Logger(SsoService.name);

  constructor(
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
    @Inject(FRESHNESS_GATE) private readonly freshness: FreshnessGate,
    private readonly readModel: ReadModelService,
    private readonly keys: SigningKeysService,
    private readonly sessions: SessionStore,
    private readonly replay: ReplayCache,
    private readonly bus: NatsBus,
    private readonly audit: AuditService,
  ) {}

  entityId(applicationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/${applicationId}`;
  }

  ssoUrl(applicationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/${applicationId}/sso`;
  }

  sloUrl(applicationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/${applicationId}/slo`;
  }

  async metadata(applicationId: string): Promise<string | null> {
    await this.requireFresh();
    const app = this.readModel.application(applicationId);
    if (!app) return null;
    return buildIdpMetadata({
      entityId: this.entityId(applicationId),
      ssoRedirectUrl: this.ssoUrl(applicationId),
      ssoPostUrl: this.ssoUrl(applicationId),
      sloRedirectUrl: this.sloUrl(applicationId),
      certificatePems: await this.keys.publishedCertificates(app.organizationId),
      nameIdFormats: [app.snapshot.nameIdFormat],
      wantAuthnRequestsSigned: app.snapshot.requireSignedRequests,
    });
  }

  /** An organisation's metadata: one EntityDescriptor per active application, its keys in each. */
  async organizationMetadata(organizationId: string): Promise<string | null> {
    await this.requireFresh();
    const apps = this.readModel.applicationsOf(organizationId);
    if (apps.length === 0) return null;
    const certificatePems = await this.keys.publishedCertificates(organizationId);
    return buildIdpMetadataSet(
      `${this.config.IDP_BASE_URL}/saml2/organizations/${organizationId}`,
      apps.map((app) => ({
        entityId: this.entityId(app.id),
        ssoRedirectUrl: this.ssoUrl(app.id),
        ssoPostUrl: this.ssoUrl(app.id),
        sloRedirectUrl: this.sloUrl(app.id),
        certificatePems,
        nameIdFormats: [app.snapshot.nameIdFormat],
        wantAuthnRequestsSigned: app.snapshot.requireSignedRequests,
      })),
    );
  }

  /** SP-initiated SSO: check the AuthnRequest, then sign in or issue. */
  async spInitiated(input: SsoInput): Promise<SsoOutcome> {
    return this.guard(input.applicationId, input.session?.user?.id ?? null, async () => {
      await this.requireFresh();
      const app = this.activeApplication(input.applicationId);
      if (!input.samlRequest)
        throw new Refusal('malformed_request', 400, 'Missing SAMLRequest', 'This address expects a SAMLRequest from the application.');
      const request = this.parseVerified(input, app);
      const acsUrl = this.checkRequest(app, request);
      const relayState = this.checkRelayState(input.relayState);
      const pending: PendingSso = { applicationId: app.id, organizationId: app.organizationId, requestId: request.id, acsUrl, relayState };
      const policyAccepted = this.nameIdPolicyAccepted(request.nameIdPolicyFormat, app.snapshot.nameIdFormat);
      const session = this.signedInFor(input.session, app) && !request.forceAuthn ? input.session : undefined;
      // The replay-cache round trip and the signature overlap: the response is built and signed
      // while the ID is being recorded, but nothing is sent, audited or kept in the session until
      // the ID is known to be new, and a replay is refused before anything else is decided.
      const firstSeen = this.replay.firstSeen(request.issuer, request.id, 2 * this.config.IDP_CLOCK_SKEW_SECONDS);
      const signing = session && policyAccepted ? this.signedResponse(session, pending, app, 'sp') : undefined;
      signing?.catch(() => undefined);
      if (!(await firstSeen)) {
        throw new Refusal(
          'request_replayed',
          400,
          'Request already used',
          'This sign-in request was already used. Start again from the application.',
        );
      }
      // From here the ACS is the registered one: the profile's failures go back to it as a status.
      if (!policyAccepted) {
        throw new SamlStatus(
          'invalid_name_id_policy',
          pending,
          STATUS.requester,
          STATUS.invalidNameIdPolicy,
          `NameID format ${request.nameIdPolicyFormat ?? ''} is not available for this application`,
        );
      }
      if (request.isPassive && !session) {
        throw new SamlStatus(
          'no_passive',
          pending,
          STATUS.responder,
          STATUS.noPassive,
          'The user is not signed in and the request did not allow asking',
        );
      }
      if (session && signing) return this.deliver(session, await signing);
      return this.toLogin(input.session, pending);
    });
  }

  /** IdP-initiated SSO (the portal's links): the first registered ACS URL, no InResponseTo. */
  async idpInitiated(applicationId: string, relayState: string | undefined, session: IdpSession | undefined): Promise<SsoOutcome> {
    return this.guard(applicationId, session?.user?.id ?? null, async () => {
      await this.requireFresh();
      const app = this.activeApplication(applicationId);
      if (!app.snapshot.idpInitiatedAllowed) {
        throw new Refusal(
          'idp_initiated_disabled',
          403,
          'Start from the application',
          `${app.snapshot.name} only accepts sign-ins that it starts. Open it and sign in from there.`,
        );
      }
      const pending: PendingSso = {
        applicationId,
        organizationId: app.organizationId,
        requestId: null,
        acsUrl: app.snapshot.acsUrls[0],
        relayState: this.checkRelayState(relayState ?? app.snapshot.defaultRelayState ?? undefined),
      };
      if (this.signedInFor(session, app) && session) return this.issue(session, pending, app, 'idp');
      return this.toLogin(session, pending);
    });
  }

  loginForm(session: IdpSession | undefined): Promise<SsoOutcome> {
    return this.withPending(session, (s, app) =>
      Promise.resolve({
        kind: 'page' as const,
        page: loginPage({ nonce: nonce(), csrfToken: s.csrfToken, applicationName: app?.snapshot.name ?? 'your applications' }),
      }),
    );
  }

  /** Checks the password with the directory, regenerates the session, then issues. */
  async login(
    session: IdpSession | undefined,
    form: { csrf?: string; username?: string; password?: string; sourceIp: string },
  ): Promise<SsoOutcome> {
    return this.withPending(session, async (s, app, pending) => {
      if (!form.csrf || !safeEqual(form.csrf, s.csrfToken)) {
        return {
          kind: 'page',
          page: errorPage({
            nonce: nonce(),
            status: 403,
            title: 'Sign-in expired',
            message: 'The sign-in form was stale or forged. Go back to the application and start again.',
          }),
        };
      }
      const username = (form.username ?? '').trim();
      const password = form.password ?? '';
      const again = (error: string): SsoOutcome => ({
        kind: 'page',
        page: loginPage({
          nonce: nonce(),
          csrfToken: s.csrfToken,
          applicationName: app?.snapshot.name ?? 'your applications',
          error,
          username,
        }),
      });
      if (!username || !password || username.length > 256 || password.length > 1024) return again('Enter your username and password.');
      const answer = await this.bus.request(DirectoryRpc.verifyCredentials, {
        organizationId: pending.organizationId,
        username,
        password,
        sourceIp: form.sourceIp,
      });
      // Unknown user, wrong password and inactive account read the same to the person typing.
      if (!answer.ok) return again('Wrong username or password.');
      // A new id at sign-in: a session id planted before it (fixation) is worth nothing after.
      const renewed = this.sessions.regenerate(s);
      renewed.user = { id: answer.userId, organizationId: pending.organizationId, authnInstant: new Date(), sessionIndex: newSamlId() };
      renewed.pending = undefined;
      if (!app) return { kind: 'redirect', location: '/', session: renewed };
      const outcome = await this.guard(app.id, answer.userId, () =>
        this.issue(renewed, pending, app, pending.requestId === null ? 'idp' : 'sp'),
      );
      return { ...outcome, session: renewed };
    });
  }

  /** The portal: the applications the signed-in user may open, each an IdP-initiated link. */
  async portal(session: IdpSession | undefined, organizationId: string | undefined): Promise<SsoOutcome> {
    const user = session?.user;
    if (!user) {
      if (!organizationId) {
        return {
          kind: 'page',
          page: errorPage({
            nonce: nonce(),
            status: 200,
            title: 'Your applications',
            message: 'Open one of your applications to sign in, or use the sign-in link your administrator gave you.',
          }),
        };
      }
      // The organisation's sign-in link (/?organization=<id>): sign in, then come back here.
      const s = session ?? this.sessions.create();
      s.pending = { applicationId: null, organizationId, requestId: null, acsUrl: '', relayState: null };
      return { kind: 'redirect', location: '/login', session: s };
    }
    try {
      await this.requireFresh();
    } catch (error) {
      if (error instanceof Refusal)
        return { kind: 'page', page: errorPage({ nonce: nonce(), status: error.status, title: error.title, message: error.message }) };
      throw error;
    }
    const apps = this.readModel
      .applicationsFor(user.organizationId, user.id)
      .filter((a) => a.snapshot.idpInitiatedAllowed)
      .map((a) => ({ name: a.snapshot.name, href: `/saml2/${a.id}/init` }));
    return { kind: 'page', page: portalPage({ nonce: nonce(), applications: apps }) };
  }

  /**
   * SP-initiated Single Logout over HTTP-Redirect: the LogoutRequest is checked like an
   * AuthnRequest (signature with the registered certificates, issuer, destination, time), the IdP
   * session it names ends, and a signed LogoutResponse goes to the application's registered
   * singleLogoutUrl, never to an address taken from the request.
   */
  async singleLogout(input: {
    applicationId: string;
    samlRequest: string | undefined;
    rawQuery: string;
    relayState: string | undefined;
    session: IdpSession | undefined;
  }): Promise<SsoOutcome> {
    return this.guard(input.applicationId, input.session?.user?.id ?? null, async () => {
      await this.requireFresh();
      const app = this.activeApplication(input.applicationId);
      const sloUrl = app.snapshot.singleLogoutUrl;
      if (!sloUrl || !renderableUrl(sloUrl)) {
        throw new Refusal(
          'slo_not_configured',
          400,
          'Single logout unavailable',
          `${app.snapshot.name} has no single logout address registered.`,
        );
      }
      if (!input.samlRequest)
        throw new Refusal('malformed_request', 400, 'Missing SAMLRequest', 'This address expects a LogoutRequest from the application.');
      let request;
      try {
        const xml = decodeRedirectSamlRequest(input.samlRequest);
        const certificates = app.snapshot.spSigningCertificates;
        const signature =
          certificates.length > 0 || app.snapshot.requireSignedRequests
            ? verifyRedirectSignature(input.rawQuery, certificates)
            : { signed: false };
        this.requireSignedIfConfigured(app, signature.signed);
        request = parseLogoutRequest(xml);
      } catch (error) {
        if (error instanceof SamlRequestError) {
          throw new Refusal(
            error.reason === 'bad_request_signature' ? 'bad_request_signature' : 'malformed_request',
            400,
            'Invalid logout request',
            `The application sent a logout request we cannot accept: ${error.message}`,
          );
        }
        throw error;
      }
      if (request.issuer !== app.snapshot.spEntityId)
        throw new Refusal(
          'unknown_issuer',
          400,
          'Unknown service provider',
          `The request's Issuer is not the entity ID registered for ${app.snapshot.name}.`,
        );
      if (request.destination !== undefined && request.destination !== this.sloUrl(app.id))
        throw new Refusal('wrong_destination', 400, 'Wrong destination', 'The request was addressed to another endpoint.');
      if (Math.abs(Date.now() - request.issueInstant.getTime()) > this.config.IDP_CLOCK_SKEW_SECONDS * 1000) {
        throw new Refusal('stale_request', 400, 'Expired logout request', 'The request is too old or from the future.');
      }
      const user = input.session?.user;
      const ended =
        user !== undefined &&
        user.organizationId === app.organizationId &&
        (request.sessionIndexes.length === 0 || request.sessionIndexes.includes(user.sessionIndex));
      if (ended && input.session && user) {
        this.sessions.destroy(input.session.id);
        void this.audit.record(IdpEvents.loggedOut, {
          organizationId: app.organizationId,
          applicationId: app.id,
          userId: user.id,
          sessionIndex: user.sessionIndex,
          occurredAt: new Date().toISOString(),
        });
      }
      const credentials = await this.keys.forOrganization(app.organizationId);
      const xml = buildLogoutResponse({ issuer: this.entityId(app.id), destination: sloUrl, inResponseTo: request.id });
      const relayState = this.checkRelayState(input.relayState);
      return {
        kind: 'redirect',
        location: redirectBindingUrl(sloUrl, 'SAMLResponse', xml, relayState, credentials, app.snapshot.signatureAlgorithm),
        clearSession: ended,
      };
    });
  }

  /** What `userId` would receive from `applicationId` now, unsigned, and what would block it. */
  async preview(organizationId: string, applicationId: string, userId: string): Promise<AssertionPreview | null> {
    const fresh = await this.freshness.check();
    if (!fresh.fresh) throw new DomainError(ErrorCode.NotFresh, `The IdP cannot confirm its view is current: ${fresh.reason}`);
    const facts = this.readModel.authorisation(organizationId, userId, applicationId);
    if (!facts.application || !facts.user) return null;
    const snapshot = facts.application.snapshot;
    const blockers: AssertionPreview['blockers'] = [];
    if (!snapshot.active) blockers.push({ reason: 'app_inactive', message: 'The application is not active.' });
    if (facts.user.profile.state !== 'ACTIVATED')
      blockers.push({ reason: 'user_not_active', message: `The user is ${facts.user.profile.state}.` });
    if (!facts.granted) blockers.push({ reason: 'app_not_authorized', message: 'The user is in no group bound to the application.' });
    const { attributes, missing } = assertionAttributes(snapshot, userId, facts.user.profile, facts.groupNames);
    for (const name of missing)
      blockers.push({ reason: `${MISSING_ATTRIBUTE_PREFIX}${name}`, message: `No value for the required attribute ${name}.` });
    const nameId = this.nameId(snapshot, applicationId, userId, facts.user.profile);
    if (nameId === null)
      blockers.push({ reason: `${MISSING_ATTRIBUTE_PREFIX}NameID`, message: `No value for the NameID source ${snapshot.nameIdSource}.` });
    const assertionXml =
      blockers.length === 0 && nameId !== null
        ? buildAssertionPreview({
            issuer: this.entityId(applicationId),
            destination: snapshot.acsUrls[0],
            audience: snapshot.spEntityId,
            nameId,
            nameIdFormat: snapshot.nameIdFormat,
            sessionIndex: '_preview',
            attributes,
          })
        : null;
    return {
      applicationId,
      userId,
      wouldIssue: assertionXml !== null,
      blockers,
      nameId: { format: snapshot.nameIdFormat, value: nameId },
      attributes,
      assertionXml,
    };
  }

  private async withPending(
    session: IdpSession | undefined,
    work: (session: IdpSession, app: ReadApplicationView | null, pending: PendingSso) => Promise<SsoOutcome>,
  ): Promise<SsoOutcome> {
    const pending = session?.pending;
    if (!session || !pending) {
      return {
        kind: 'page',
        page: errorPage({
          nonce: nonce(),
          status: 400,
          title: 'Start from your application',
          message: 'Open the application you want to use and sign in from there.',
        }),
      };
    }
    const { applicationId } = pending;
    if (applicationId === null) return work(session, null, pending);
    return this.guard(applicationId, null, async () => {
      await this.requireFresh();
      return work(session, this.activeApplication(applicationId), pending);
    });
  }

  private signedInFor(session: IdpSession | undefined, app: ReadApplicationView): boolean {
    return session?.user !== undefined && session.user.organizationId === app.organizationId;
  }

  private toLogin(session: IdpSession | undefined, pending: PendingSso): SsoOutcome {
    const s = session ?? this.sessions.create();
    s.pending = pending;
    return { kind: 'redirect', location: '/login', session: s };
  }

  private async issue(session: IdpSession, pending: PendingSso, app: ReadApplicationView, initiatedBy: 'sp' | 'idp'): Promise<SsoOutcome> {
    return this.deliver(session, await this.signedResponse(session, pending, app, initiatedBy));
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
    const facts = this.readModel.authorisation(user.organizationId, user.id, app.id);
    if (!facts.application || !facts.application.snapshot.active) {
      throw new Refusal('app_inactive', 403, 'Application unavailable', 'This application is not active.');
    }
    if (!facts.user)
      throw new Refusal('user_not_found', 403, 'Account not found', 'Your account no longer exists. Ask your administrator.');
    if (facts.user.profile.state !== 'ACTIVATED') {
      throw new Refusal('user_not_active', 403, 'Account not active', 'Your account is not active. Ask your administrator.');
    }
    if (!facts.granted) {
      throw new Refusal(
        'app_not_authorized',
        403,
        'Not authorised',
        `You are not authorised to use ${facts.application.snapshot.name}. Ask your administrator for access.`,
      );
    }
    const snapshot = facts.application.snapshot;
    const { attributes, missing } = assertionAttributes(snapshot, user.id, facts.user.profile, facts.groupNames);
    const nameId = this.nameId(snapshot, app.id, user.id, facts.user.profile);
    if (missing.length > 0 || nameId === null) {
      const names = [...missing, ...(nameId === null ? ['NameID'] : [])];
      throw new Refusal(
        `${MISSING_ATTRIBUTE_PREFIX}${names[0]}`,
        403,
        'Profile incomplete',
        `Your profile lacks what ${snapshot.name} needs to create your account: ${names.join(', ')}. Ask your administrator.`,
      );
    }
    const credentials = await this.keys.forOrganization(app.organizationId);
    const xml = await buildResponse({
      issuer: this.entityId(app.id),
      destination: pending.acsUrl,
      inResponseTo: pending.requestId ?? undefined,
      audience: snapshot.spEntityId,
      nameId,
      nameIdFormat: snapshot.nameIdFormat,
      sessionIndex: user.sessionIndex,
      authnInstant: user.authnInstant,
      attributes,
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
      attributeNames: attributes.map((a) => a.name),
      inResponseTo: pending.requestId,
      initiatedBy,
      encrypted: snapshot.encryptionCertificate !== null,
    };
    return { xml, pending, issued };
  }

  /** Sends a signed response: the session remembers the application (logout), the audit trail records it. */
  private deliver(session: IdpSession, { xml, pending, issued }: SignedResponse): SsoOutcome {
    (session.applications ??= new Set()).add(issued.applicationId);
    void this.audit.record(IdpEvents.assertionIssued, { ...issued, occurredAt: new Date().toISOString() });
    return {
      kind: 'page',
      page: autoPostPage({ nonce: nonce(), acsUrl: pending.acsUrl, responseXml: xml, relayState: pending.relayState }),
    };
  }

  /**
   * persistent: opaque and stable per (user, application), so two SPs cannot correlate a person;
   * transient: new for every assertion; emailAddress and unspecified: the configured directory attribute.
   */
  private nameId(snapshot: ApplicationSnapshot, applicationId: string, userId: string, profile: UserProfile): string | null {
    if (snapshot.nameIdFormat === NAMEID.transient) return newSamlId();
    if (snapshot.nameIdFormat === NAMEID.persistent) {
      return createHmac('sha256', this.config.IDP_KEY_ENCRYPTION_KEY).update(`${applicationId}:${userId}`).digest('base64url');
    }
    return directoryValue(userId, profile, snapshot.nameIdSource);
  }

  /** SAML core 3.4.1.1: no format or "unspecified" leaves it to us; any other must be the application's. */
  private nameIdPolicyAccepted(requested: string | undefined, configured: string): boolean {
    return requested === undefined || requested === NAMEID.unspecified || requested === configured;
  }

  /** Decodes the request and checks its signature; fields come only from what the signature covers. */
  private parseVerified(input: SsoInput, app: ReadApplicationView): ParsedAuthnRequest {
    const certificates = app.snapshot.spSigningCertificates;
    try {
      if (input.binding === 'redirect') {
        const xml = decodeRedirectSamlRequest(input.samlRequest as string);
        const signature =
          certificates.length > 0 || app.snapshot.requireSignedRequests
            ? verifyRedirectSignature(input.rawQuery ?? '', certificates)
            : { signed: false };
        this.requireSignedIfConfigured(app, signature.signed);
        return parseAuthnRequest(xml);
      }
      const xml = decodePostSamlRequest(input.samlRequest as string);
      const signature =
        certificates.length > 0 || app.snapshot.requireSignedRequests ? verifyPostSignature(xml, certificates) : { signed: false as const };
      this.requireSignedIfConfigured(app, signature.signed);
      return parseAuthnRequest(signature.signed ? signature.signedXml : xml);
    } catch (error) {
      if (error instanceof SamlRequestError) {
        if (error.reason === 'bad_request_signature') {
          throw new Refusal(
            'bad_request_signature',
            400,
            'Invalid request signature',
            `The application's request signature could not be verified: ${error.message}`,
          );
        }
        throw new Refusal(
          'malformed_request',
          error.reason === 'request_too_large' ? 413 : 400,
          'Invalid sign-in request',
          `The application sent a SAML request we cannot accept: ${error.message}`,
        );
      }
      throw error;
    }
  }

  private requireSignedIfConfigured(app: ReadApplicationView, signed: boolean): void {
    if (app.snapshot.requireSignedRequests && !signed) {
      throw new Refusal(
        'unsigned_request_rejected',
        400,
        'Unsigned sign-in request',
        `${app.snapshot.name} must sign its requests, and this one is not signed.`,
      );
    }
  }

  /** SECURITY.md: known issuer, registered ACS (exact), POST binding, fresh, ours (not replayed: the caller's). */
  private checkRequest(app: ReadApplicationView, request: ParsedAuthnRequest): string {
    const snapshot = app.snapshot;
    if (request.issuer !== snapshot.spEntityId) {
      throw new Refusal(
        'unknown_issuer',
        400,
        'Unknown service provider',
        `The request's Issuer is not the entity ID registered for ${snapshot.name}.`,
      );
    }
    if (request.protocolBinding !== undefined && request.protocolBinding !== HTTP_POST) {
      throw new Refusal('unsupported_binding', 400, 'Unsupported binding', 'Responses are sent with the HTTP-POST binding only.');
    }
    let acsUrl: string | undefined;
    if (request.assertionConsumerServiceUrl !== undefined) {
      acsUrl = snapshot.acsUrls.find((u) => u === request.assertionConsumerServiceUrl);
    } else if (request.assertionConsumerServiceIndex !== undefined) {
      acsUrl = snapshot.acsUrls[request.assertionConsumerServiceIndex];
    } else {
      acsUrl = snapshot.acsUrls[0];
    }
    if (!acsUrl || !renderableUrl(acsUrl)) {
      throw new Refusal(
        'acs_not_registered',
        400,
        'Unregistered address',
        `The application asked for a response at an address that is not registered for ${snapshot.name}.`,
      );
    }
    const skewMs = this.config.IDP_CLOCK_SKEW_SECONDS * 1000;
    if (Math.abs(Date.now() - request.issueInstant.getTime()) > skewMs) {
      throw new Refusal(
        'stale_request',
        400,
        'Expired sign-in request',
        'The request is too old or from the future. Start again from the application.',
      );
    }
    if (request.destination !== undefined && request.destination !== this.ssoUrl(app.id)) {
      throw new Refusal('wrong_destination', 400, 'Wrong destination', 'The request was addressed to another identity provider endpoint.');
    }
    return acsUrl;
  }

  private checkRelayState(relayState: string | undefined): string | null {
    if (relayState === undefined || relayState === '') return null;
    if (Buffer.byteLength(relayState, 'utf8') > this.config.IDP_RELAY_STATE_MAX_BYTES) {
      throw new Refusal(
        'relay_state_too_long',
        400,
        'RelayState too long',
        `RelayState is limited to ${this.config.IDP_RELAY_STATE_MAX_BYTES} bytes.`,
      );
    }
    return relayState;
  }

  private activeApplication(applicationId: string): ReadApplicationView {
    const app = this.readModel.application(applicationId);
    if (!app) throw new Refusal('app_not_found', 404, 'Unknown application', 'There is no application at this address.');
    if (!app.snapshot.active) throw new Refusal('app_inactive', 403, 'Application unavailable', 'This application is not active.');
    return app;
  }

  /** Fails closed: no decision from a read model we cannot prove current. */
  async requireFresh(): Promise<void> {
    const result = await this.freshness.check();
    if (!result.fresh) {
      this.logger.warn({ lag: result.lag }, `Refusing SSO: ${result.reason}`);
      throw new Refusal(
        'stale_read_model',
        503,
        'Temporarily unavailable',
        'Access rules are being updated and could not be confirmed just now. Try again in a moment.',
      );
    }
  }

  /** Turns refusals into pages (or SAML statuses to the ACS) and audit events; anything else is logged and answered 500. */
  private async guard(applicationId: string, userId: string | null, work: () => Promise<SsoOutcome>): Promise<SsoOutcome> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof Refusal) && !(error instanceof SamlStatus)) throw error;
      const app = this.readModel.application(applicationId);
      if (app) {
        void this.audit.record(IdpEvents.ssoRefused, {
          organizationId: app.organizationId,
          applicationId,
          userId,
          reason: error.reason,
          detail: error.message,
          occurredAt: new Date().toISOString(),
        });
      }
      if (error instanceof SamlStatus && app) return this.statusResponse(app, error);
      const refusal = error as Refusal;
      return { kind: 'page', page: errorPage({ nonce: nonce(), status: refusal.status, title: refusal.title, message: refusal.message }) };
    }
  }

  private async statusResponse(app: ReadApplicationView, status: SamlStatus): Promise<SsoOutcome> {
    const credentials = await this.keys.forOrganization(app.organizationId);
    const xml = await buildErrorResponse({
      issuer: this.entityId(app.id),
      destination: status.pending.acsUrl,
      inResponseTo: status.pending.requestId ?? undefined,
      statusCode: status.statusCode,
      subStatusCode: status.subStatusCode,
      statusMessage: status.message,
      credentials,
      signatureAlgorithm: app.snapshot.signatureAlgorithm,
    });
    return {
      kind: 'page',
      page: autoPostPage({ nonce: nonce(), acsUrl: status.pending.acsUrl, responseXml: xml, relayState: status.pending.relayState }),
    };
  }
}

/** SECURITY.md: the IdP re-checks at render time what the catalog checked at registration. */
export function renderableUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash || value.includes('#')) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
}

function nonce(): string {
  return randomToken(16, 'base64');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && createHmac('sha256', 'k').update(x).digest().equals(createHmac('sha256', 'k').update(y).digest());
}
