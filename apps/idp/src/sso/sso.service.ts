import { createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DirectoryRpc } from '@jit/directory-contracts';
import { IdpEvents, type REFUSAL_REASONS } from '@jit/idp-contracts';
import { FreshnessGate, NatsBus, describe, type EventContract, type PayloadOf } from '@jit/messaging';
import {
  SamlRequestError,
  buildIdpMetadata,
  buildResponse,
  decodePostSamlRequest,
  decodeRedirectSamlRequest,
  newSamlId,
  parseAuthnRequest,
  type ParsedAuthnRequest,
} from '@jit/saml';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { SigningKeysService } from '../keys/signing-keys.service';
import { ReadModelService } from '../read-model/read-model.service';
import type { ReadApplication } from '../read-model/read-model.entities';
import { SessionStore, type IdpSession, type PendingSso } from '../sessions/session-store';
import { assertionAttributes, directoryValue } from './attributes';
import { autoPostPage, errorPage, loginPage, type Page } from './html';
import { ReplayCache } from './replay-cache';

export const FRESHNESS_GATE = Symbol('FRESHNESS_GATE');

const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

type Reason = (typeof REFUSAL_REASONS)[number];

/** What the controller sends back: a page, or a redirect; either may carry a session cookie. */
export type SsoOutcome =
  | { kind: 'page'; page: Page; session?: IdpSession }
  | { kind: 'redirect'; location: string; session?: IdpSession };

export interface SsoInput {
  applicationId: string;
  binding: 'redirect' | 'post';
  samlRequest: string | undefined;
  relayState: string | undefined;
  session: IdpSession | undefined;
}

class Refusal extends Error {
  constructor(
    readonly reason: Reason,
    readonly status: number,
    readonly title: string,
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
  ) {}

  entityId(applicationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/${applicationId}`;
  }

  ssoUrl(applicationId: string): string {
    return `${this.config.IDP_BASE_URL}/saml2/${applicationId}/sso`;
  }

  async metadata(applicationId: string): Promise<string | null> {
    await this.requireFresh();
    const app = await this.readModel.application(applicationId);
    if (!app?.snapshot) return null;
    const credentials = await this.keys.forOrganization(app.organizationId);
    return buildIdpMetadata({
      entityId: this.entityId(applicationId),
      ssoRedirectUrl: this.ssoUrl(applicationId),
      ssoPostUrl: this.ssoUrl(applicationId),
      certificatePems: [credentials.certificatePem],
      nameIdFormats: [app.snapshot.nameIdFormat],
    });
  }

  /** SP-initiated SSO: check the AuthnRequest, then sign in or issue. */
  async spInitiated(input: SsoInput): Promise<SsoOutcome> {
    return this.guard(input.applicationId, null, async () => {
      await this.requireFresh();
      const app = await this.activeApplication(input.applicationId);
      if (!input.samlRequest) throw new Refusal('malformed_request', 400, 'Missing SAMLRequest', 'This address expects a SAMLRequest from the application.');
      const request = this.parse(input);
      const acsUrl = await this.checkRequest(app, request);
      const relayState = this.checkRelayState(input.relayState);
      const pending: PendingSso = { applicationId: app.id, requestId: request.id, acsUrl, relayState };
      return this.continue(input.session, pending, app);
    });
  }

  /** IdP-initiated SSO: the first registered ACS URL, no InResponseTo. */
  async idpInitiated(applicationId: string, relayState: string | undefined, session: IdpSession | undefined): Promise<SsoOutcome> {
    return this.guard(applicationId, null, async () => {
      await this.requireFresh();
      const app = await this.activeApplication(applicationId);
      const acsUrl = app.snapshot?.acsUrls[0] as string;
      return this.continue(session, { applicationId, requestId: null, acsUrl, relayState: this.checkRelayState(relayState) }, app);
    });
  }

  loginForm(session: IdpSession | undefined): Promise<SsoOutcome> {
    return this.withPending(session, (s, app) =>
      Promise.resolve({
        kind: 'page' as const,
        page: loginPage({ nonce: nonce(), csrfToken: s.csrfToken, applicationName: app.snapshot?.name ?? 'the application' }),
      }),
    );
  }

  /** Checks the password with the directory, regenerates the session, then issues. */
  async login(session: IdpSession | undefined, form: { csrf?: string; username?: string; password?: string; sourceIp: string }): Promise<SsoOutcome> {
    return this.withPending(session, async (s, app, pending) => {
      if (!form.csrf || !safeEqual(form.csrf, s.csrfToken)) {
        return { kind: 'page', page: errorPage({ nonce: nonce(), status: 403, title: 'Sign-in expired', message: 'The sign-in form was stale or forged. Go back to the application and start again.' }) };
      }
      const username = (form.username ?? '').trim();
      const password = form.password ?? '';
      const again = (error: string): SsoOutcome => ({
        kind: 'page',
        page: loginPage({ nonce: nonce(), csrfToken: s.csrfToken, applicationName: app.snapshot?.name ?? '', error, username }),
      });
      if (!username || !password || username.length > 256 || password.length > 1024) return again('Enter your username and password.');
      const answer = await this.bus.request(DirectoryRpc.verifyCredentials, {
        organizationId: app.organizationId,
        username,
        password,
        sourceIp: form.sourceIp,
      });
      // Unknown user, wrong password and inactive account read the same to the person typing.
      if (!answer.ok) return again('Wrong username or password.');
      const renewed = this.sessions.regenerate(s);
      renewed.user = {
        id: answer.userId,
        organizationId: app.organizationId,
        authnInstant: new Date(),
        sessionIndex: newSamlId(),
      };
      renewed.pending = undefined;
      const outcome = await this.guard(app.id, answer.userId, () => this.issue(renewed, pending, app));
      return { ...outcome, session: renewed };
    });
  }

  private async withPending(
    session: IdpSession | undefined,
    work: (session: IdpSession, app: ReadApplication, pending: PendingSso) => Promise<SsoOutcome>,
  ): Promise<SsoOutcome> {
    const pending = session?.pending;
    if (!session || !pending) {
      return {
        kind: 'page',
        page: errorPage({ nonce: nonce(), status: 400, title: 'Start from your application', message: 'Open the application you want to use and sign in from there.' }),
      };
    }
    return this.guard(pending.applicationId, null, async () => {
      await this.requireFresh();
      return work(session, await this.activeApplication(pending.applicationId), pending);
    });
  }

  private async continue(session: IdpSession | undefined, pending: PendingSso, app: ReadApplication): Promise<SsoOutcome> {
    if (session?.user && session.user.organizationId === app.organizationId) {
      // SSO sessions re-check authorisation at every SSO, not only at login.
      return this.guard(app.id, session.user.id, () => this.issue(session, pending, app));
    }
    const s = session ?? this.sessions.create();
    s.pending = pending;
    return { kind: 'redirect', location: '/login', session: s };
  }

  private async issue(session: IdpSession, pending: PendingSso, app: ReadApplication): Promise<SsoOutcome> {
    const user = session.user;
    if (!user) throw new Error('issue() needs a signed-in session');
    const facts = await this.readModel.authorisation(user.organizationId, user.id, app.id);
    if (!facts.application || !facts.application.snapshot.active) {
      throw new Refusal('app_inactive', 403, 'Application unavailable', 'This application is not active.');
    }
    if (!facts.user || facts.user.profile.state !== 'ACTIVATED') {
      throw new Refusal('user_not_active', 403, 'Account not active', 'Your account is not active. Ask your administrator.');
    }
    if (!facts.granted) {
      throw new Refusal('app_not_authorized', 403, 'Not authorised', `You are not authorised to use ${facts.application.snapshot.name}. Ask your administrator for access.`);
    }
    const snapshot = facts.application.snapshot;
    const { attributes, missing } = assertionAttributes(snapshot, user.id, facts.user.profile);
    const nameId = this.nameId(snapshot.nameIdFormat, snapshot.nameIdSource, app.id, user.id, facts.user.profile);
    if (missing.length > 0 || nameId === null) {
      const names = [...missing, ...(nameId === null ? [`NameID (${snapshot.nameIdSource})`] : [])];
      throw new Refusal('app_not_authorized', 403, 'Profile incomplete', `Your profile lacks what ${snapshot.name} needs to create your account: ${names.join(', ')}. Ask your administrator.`);
    }
    const credentials = await this.keys.forOrganization(app.organizationId);
    const xml = buildResponse({
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
      credentials: { privateKey: credentials.privateKey, certificatePem: credentials.certificatePem },
    });
    this.audit(IdpEvents.assertionIssued, {
      organizationId: app.organizationId,
      applicationId: app.id,
      userId: user.id,
      attributeNames: attributes.map((a) => a.name),
      inResponseTo: pending.requestId,
      occurredAt: new Date().toISOString(),
    });
    return {
      kind: 'page',
      page: autoPostPage({ nonce: nonce(), acsUrl: pending.acsUrl, samlResponse: Buffer.from(xml, 'utf8').toString('base64'), relayState: pending.relayState }),
    };
  }

  private nameId(format: string, source: string, applicationId: string, userId: string, profile: Parameters<typeof directoryValue>[1]): string | null {
    if (format === TRANSIENT) return newSamlId();
    if (format === PERSISTENT && source === 'id') {
      // Opaque and stable per (user, application): two SPs cannot correlate the same person.
      return createHmac('sha256', this.config.IDP_KEY_ENCRYPTION_KEY).update(`${applicationId}:${userId}`).digest('base64url');
    }
    return directoryValue(userId, profile, source);
  }

  private parse(input: SsoInput): ParsedAuthnRequest {
    try {
      const xml = input.binding === 'redirect' ? decodeRedirectSamlRequest(input.samlRequest as string) : decodePostSamlRequest(input.samlRequest as string);
      return parseAuthnRequest(xml);
    } catch (error) {
      if (error instanceof SamlRequestError) {
        throw new Refusal('malformed_request', error.reason === 'request_too_large' ? 413 : 400, 'Invalid sign-in request', `The application sent a SAML request we cannot accept: ${error.message}`);
      }
      throw error;
    }
  }

  /** SECURITY.md: known issuer, registered ACS (exact), POST binding, fresh, ours, not replayed. */
  private async checkRequest(app: ReadApplication, request: ParsedAuthnRequest): Promise<string> {
    const snapshot = app.snapshot;
    if (!snapshot) throw new Refusal('app_not_found', 404, 'Unknown application', 'No such application.');
    if (request.issuer !== snapshot.spEntityId) {
      throw new Refusal('unknown_issuer', 400, 'Unknown service provider', `The request's Issuer is not the entity ID registered for ${snapshot.name}.`);
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
    if (!acsUrl) {
      throw new Refusal('acs_not_registered', 400, 'Unregistered address', `The application asked for a response at an address that is not registered for ${snapshot.name}.`);
    }
    const skewMs = this.config.IDP_CLOCK_SKEW_SECONDS * 1000;
    if (Math.abs(Date.now() - request.issueInstant.getTime()) > skewMs) {
      throw new Refusal('stale_request', 400, 'Expired sign-in request', 'The request is too old or from the future. Start again from the application.');
    }
    if (request.destination !== undefined && request.destination !== this.ssoUrl(app.id)) {
      throw new Refusal('wrong_destination', 400, 'Wrong destination', 'The request was addressed to another identity provider endpoint.');
    }
    if (!(await this.replay.firstSeen(request.issuer, request.id, 2 * this.config.IDP_CLOCK_SKEW_SECONDS))) {
      throw new Refusal('malformed_request', 400, 'Request already used', 'This sign-in request was already used. Start again from the application.');
    }
    return acsUrl;
  }

  private checkRelayState(relayState: string | undefined): string | null {
    if (relayState === undefined || relayState === '') return null;
    if (Buffer.byteLength(relayState, 'utf8') > this.config.IDP_RELAY_STATE_MAX_BYTES) {
      throw new Refusal('malformed_request', 400, 'RelayState too long', `RelayState is limited to ${this.config.IDP_RELAY_STATE_MAX_BYTES} bytes.`);
    }
    return relayState;
  }

  private async activeApplication(applicationId: string): Promise<ReadApplication> {
    const app = await this.readModel.application(applicationId);
    if (!app?.snapshot) throw new Refusal('app_not_found', 404, 'Unknown application', 'There is no application at this address.');
    if (!app.snapshot.active) throw new Refusal('app_inactive', 403, 'Application unavailable', 'This application is not active.');
    return app;
  }

  /** Fails closed: no decision from a read model we cannot prove current. */
  private async requireFresh(): Promise<void> {
    const result = await this.freshness.check();
    if (!result.fresh) {
      this.logger.warn({ lag: result.lag }, `Refusing SSO: ${result.reason}`);
      throw new Refusal('stale_read_model', 503, 'Temporarily unavailable', 'Access rules are being updated and could not be confirmed just now. Try again in a moment.');
    }
  }

  /** Turns refusals into pages and audit events; anything else is logged and answered 500. */
  private async guard(applicationId: string, userId: string | null, work: () => Promise<SsoOutcome>): Promise<SsoOutcome> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      const app = await this.readModel.application(applicationId).catch(() => null);
      if (app) {
        this.audit(IdpEvents.ssoRefused, {
          organizationId: app.organizationId,
          applicationId,
          userId,
          reason: error.reason,
          detail: error.message,
          occurredAt: new Date().toISOString(),
        });
      }
      return { kind: 'page', page: errorPage({ nonce: nonce(), status: error.status, title: error.title, message: error.message }) };
    }
  }

  /** Audit events do not hold up the sign-in; one that NATS does not take is logged. */
  private audit<C extends EventContract>(contract: C, payload: PayloadOf<C>): void {
    void this.bus
      .publish(contract, payload, newSamlId())
      .catch((error: unknown) => this.logger.warn(`Audit event not stored: ${describe(error)}`));
  }
}

function nonce(): string {
  return randomBytes(16).toString('base64');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && createHmac('sha256', 'k').update(x).digest().equals(createHmac('sha256', 'k').update(y).digest());
}
