import { inflateRawSync } from 'node:zlib';
import type { Request } from 'express';
import {
  MultiSamlStrategy,
  ValidateInResponseTo,
  generateServiceProviderMetadata,
  type PassportSamlConfig,
  type Profile,
  type VerifiedCallback,
} from '@node-saml/passport-saml';
// The default cache node-saml would make per SAML instance; shared, because MultiSamlStrategy
// makes a SAML instance per request and the AuthnRequest ID must outlive it until the Response.
import { InMemoryCacheProvider } from '@node-saml/node-saml/lib/in-memory-cache-provider';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { DomainError, ErrorCode } from '@jit/service';
import { identityFromSamlProfile, type JitProvisioningService, type JitResult } from '../accounts/jit-provisioning.service';
import { APP_ID_PATTERN, type SpEndpoints } from '../config';
import type { IdpMetadataService } from '@jit/sp-metadata';
import type { SignedIn } from './session';

/** The IdP's Response did not pass validation (signature, InResponseTo, audience, time, status). */
export class SamlRejectedError extends Error {}

const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';

/** How long an AuthnRequest ID waits for its Response. */
const REQUEST_ID_TTL_MS = 10 * 60_000;

/** passport-saml is typed against its own copy of @types/express (v4); the objects are the same at run time. */
type StrategyRequest = Parameters<MultiSamlStrategy['authenticate']>[0];

type StrategyOutcome = { kind: 'redirect'; url: string } | { kind: 'success'; user: unknown } | { kind: 'fail'; reason: string };

export interface SignInOptions {
  sp: SpEndpoints;
  /**
   * DEMO_SP_APP_ID: when set, the only IdP application this SP trusts (its entity, from its
   * metadata); requests and Responses naming another are refused. When unset, any application of
   * the IdP may be used, each as an issuer of its own: its accounts are never another's.
   */
  trustedAppId?: string;
  /** DEMO_SP_IDP_INITIATED: accept a Response that answers no AuthnRequest of this SP (see unsolicitedAppId). */
  idpInitiated?: boolean;
  /** DEMO_SP_SIGNING_KEY and _CERTIFICATE: sign AuthnRequests and LogoutRequests, and publish the certificate in the metadata. */
  signing?: { privateKey: string; certificate: string };
}

/**
 * The SAML side of the demo SP, on passport-saml's MultiSamlStrategy: one strategy, and per request
 * the options of the IdP application being signed in to (from that application's metadata).
 */
export class SignInService {
  private readonly requestIds = new InMemoryCacheProvider({ keyExpirationPeriodMs: REQUEST_ID_TTL_MS });
  private readonly optionsOf = new WeakMap<object, Partial<PassportSamlConfig>>();
  private readonly strategy: MultiSamlStrategy;

  constructor(
    private readonly options: SignInOptions,
    private readonly metadata: IdpMetadataService,
    private readonly jit: JitProvisioningService,
  ) {
    this.strategy = new MultiSamlStrategy(
      {
        passReqToCallback: false,
        getSamlOptions: (req, done) => {
          const options = this.optionsOf.get(req);
          if (options) done(null, options);
          else done(new Error('No IdP application was resolved for this request'));
        },
      },
      (profile: Profile | null, done: VerifiedCallback) =>
        // JIT runs after the strategy, so that SAML failures (401) and account conflicts (409) stay apart.
        profile ? done(null, profile) : done(null, undefined, { message: 'The IdP sent no assertion (NoPassive)' }),
      (_profile: Profile | null, done: VerifiedCallback) => done(new Error('Single logout is not supported by the demo SP')),
    );
  }

  get trustedAppId(): string | undefined {
    return this.options.trustedAppId;
  }

  /**
   * The application a request is about: the first of `candidates` that is a well-formed app id,
   * else the trusted one. With a trusted application configured, naming any other gives undefined.
   */
  resolveAppId(...candidates: unknown[]): string | undefined {
    const named = candidates.find((c): c is string => typeof c === 'string' && APP_ID_PATTERN.test(c));
    const trusted = this.options.trustedAppId;
    if (trusted !== undefined && named !== undefined && named !== trusted) return undefined;
    return named ?? trusted;
  }

  /**
   * The application an IdP-initiated Response is for: the one whose IdP entity issued it, when this
   * SP accepts IdP-initiated sign-in and the Response answers no request (no InResponseTo). The
   * Issuer read here is not trusted yet: the Response is then verified with that application's
   * certificates and its Issuer checked against that application's entity (acceptResponse).
   */
  unsolicitedAppId(samlResponse: unknown): string | undefined {
    if (!this.options.idpInitiated || typeof samlResponse !== 'string' || samlResponse.length > MAX_RESPONSE_BASE64) return undefined;
    const root = parseRoot(Buffer.from(samlResponse, 'base64').toString('utf8'));
    if (!root || root.hasAttribute('InResponseTo')) return undefined;
    return this.metadata.appIdOfEntity(issuerOf(root) ?? undefined);
  }

  /** The IdP URL with a fresh AuthnRequest (HTTP-Redirect binding) for `appId`. */
  async authnRequestUrl(req: Request, appId: string): Promise<string> {
    // RelayState carries the app to the ACS: the session cookie (SameSite=Lax) is not sent on the
    // IdP's cross-site POST, so it cannot be what tells the ACS which IdP certificate to trust.
    const outcome = await this.runStrategy(req, appId, { additionalParams: { RelayState: appId } });
    if (outcome.kind !== 'redirect') throw new Error(`passport-saml answered ${outcome.kind} instead of a redirect to the IdP`);
    return outcome.url;
  }

  /** Validates the Response POSTed to the ACS against `appId`'s IdP, then provisions the account. */
  async acceptResponse(req: Request, appId: string): Promise<JitResult & { saml: NonNullable<SignedIn['saml']> }> {
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body?.SAMLResponse !== 'string' || body.SAMLResponse === '') {
      throw new DomainError(ErrorCode.ValidationFailed, 'POST a SAMLResponse (form-encoded) to the ACS');
    }
    let outcome: StrategyOutcome;
    try {
      outcome = await this.runStrategy(req, appId, {});
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new SamlRejectedError((error as Error).message || 'The SAML response was rejected');
    }
    if (outcome.kind === 'fail') throw new SamlRejectedError(outcome.reason);
    if (outcome.kind !== 'success') throw new SamlRejectedError('The ACS received no SAML Response');
    const profile = outcome.user as Profile;
    // node-saml checks the signature against the application's certificates, but not who issued
    // the Response: an IdP that signs every application with one key would otherwise let another
    // organisation's application answer for this one.
    const trusted = (await this.metadata.get(appId)).entityId;
    for (const [what, issuer] of [
      ['Response', responseIssuer(profile.getSamlResponseXml?.() ?? '')],
      ['Assertion', profile.issuer],
    ] as const) {
      if (issuer !== trusted) {
        throw new SamlRejectedError(
          `the ${what} Issuer ${JSON.stringify(issuer ?? null)} is not ${trusted}, the IdP entity trusted for application ${appId}`,
        );
      }
    }
    let identity;
    try {
      identity = identityFromSamlProfile(profile, trusted);
    } catch (error) {
      throw new SamlRejectedError((error as Error).message);
    }
    const saml = {
      nameID: profile.nameID,
      nameIDFormat: profile.nameIDFormat,
      ...(profile.sessionIndex ? { sessionIndex: profile.sessionIndex } : {}),
    };
    return { ...(await this.jit.provision(identity)), saml };
  }

  /**
   * SP-initiated Single Logout with passport-saml's logout(): the URL of a LogoutRequest for the
   * signed-in user, or null when the IdP's metadata has no SingleLogoutService.
   */
  async logoutUrl(req: Request, appId: string, user: NonNullable<SignedIn['saml']>): Promise<string | null> {
    const options = await this.samlOptionsFor(appId);
    if (!options.logoutUrl) return null;
    const withUser = Object.assign(Object.create(req) as Request, { user });
    this.optionsOf.set(withUser, options);
    return new Promise<string>((resolve, reject) => {
      this.strategy.logout(withUser as unknown as Parameters<MultiSamlStrategy['logout']>[0], (error, url) =>
        error || !url ? reject(error ?? new Error('no logout URL')) : resolve(url),
      );
    });
  }

  /** Checks the IdP's LogoutResponse (signature over the query, InResponseTo, status) with node-saml. */
  async acceptLogoutResponse(req: Request, appId: string): Promise<void> {
    const saml = new SAML({
      ...(await this.samlOptionsFor(appId)),
      idpCert: (await this.metadata.get(appId)).signingCertificates,
    } as SamlConfig);
    const at = req.originalUrl.indexOf('?');
    try {
      const result = await saml.validateRedirectAsync(req.query, at < 0 ? '' : req.originalUrl.slice(at + 1));
      if (!result.loggedOut) throw new Error('the IdP did not confirm the logout');
    } catch (error) {
      throw new SamlRejectedError((error as Error).message || 'The logout response was rejected');
    }
  }

  /**
   * The IdP's own LogoutRequest (IdP-initiated Single Logout, HTTP-Redirect). It must be signed:
   * node-saml checks a signature that is there but lets an unsigned request through, and an
   * unsigned one would let any page sign this browser out. It is verified against the metadata of
   * the application whose IdP entity issued it; `current` ends when the request names its
   * principal. Answers the URL of the LogoutResponse to send the browser back with: Success also
   * when there was nothing here to end, UnknownPrincipal when this browser is signed in as
   * someone else (that session stays).
   */
  async acceptLogoutRequest(
    req: Request,
    current: SignedIn | undefined,
  ): Promise<{ appId: string; endsSession: boolean; responseUrl: string }> {
    const query = req.query as Record<string, unknown>;
    if (typeof query.SAMLRequest !== 'string' || typeof query.Signature !== 'string') {
      throw new SamlRejectedError('an IdP LogoutRequest must be a signed HTTP-Redirect message');
    }
    const appId = this.resolveAppId(this.metadata.appIdOfEntity(unverifiedIssuer(query.SAMLRequest)));
    if (!appId) throw new SamlRejectedError('the LogoutRequest does not come from an IdP application this SP trusts');
    const options = await this.samlOptionsFor(appId);
    if (!options.logoutUrl) throw new SamlRejectedError(`the IdP metadata of application ${appId} has no SingleLogoutService`);
    const saml = new SAML(options as SamlConfig);
    const at = req.originalUrl.indexOf('?');
    let profile: Profile | null;
    try {
      ({ profile } = await saml.validateRedirectAsync(query as Record<string, string>, at < 0 ? '' : req.originalUrl.slice(at + 1)));
    } catch (error) {
      throw new SamlRejectedError((error as Error).message || 'The logout request was rejected');
    }
    if (!profile) throw new SamlRejectedError('the IdP sent no LogoutRequest');
    const ours = current?.appId === appId ? current.saml : undefined;
    const endsSession =
      ours !== undefined &&
      ours.nameID === profile.nameID &&
      (profile.sessionIndex === undefined || ours.sessionIndex === undefined || ours.sessionIndex === profile.sessionIndex);
    const success = endsSession || ours === undefined;
    const relayState = typeof query.RelayState === 'string' ? query.RelayState : '';
    return { appId, endsSession, responseUrl: await saml.getLogoutResponseUrlAsync(profile, relayState, {}, success) };
  }

  spMetadataXml(): string {
    return generateServiceProviderMetadata({
      issuer: this.options.sp.entityId,
      callbackUrl: this.options.sp.acsUrl,
      identifierFormat: null,
      wantAssertionsSigned: true,
      ...(this.options.signing
        ? {
            privateKey: this.options.signing.privateKey,
            publicCerts: this.options.signing.certificate,
            signatureAlgorithm: 'sha256' as const,
          }
        : {}),
    });
  }

  private async samlOptionsFor(appId: string): Promise<Partial<PassportSamlConfig>> {
    const idp = await this.metadata.get(appId);
    return {
      entryPoint: idp.ssoRedirectUrl,
      idpCert: idp.signingCertificates,
      idpIssuer: idp.entityId,
      issuer: this.options.sp.entityId,
      audience: this.options.sp.entityId,
      callbackUrl: this.options.sp.acsUrl,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      signatureAlgorithm: 'sha256',
      // Let the application's NameID format (configured at the IdP) decide.
      identifierFormat: null,
      // "A password over TLS, or stronger": the assertion then names what was really given (a second
      // factor, a passkey) instead of the exact PasswordProtectedTransport node-saml asks by default.
      racComparison: 'minimum',
      // A Response that answers an AuthnRequest must answer one this process sent, once; without
      // IdP-initiated sign-in, every Response must.
      validateInResponseTo: this.options.idpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: REQUEST_ID_TTL_MS,
      cacheProvider: this.requestIds,
      // Tolerates small clock differences between the IdP's host and this one.
      acceptedClockSkewMs: 30_000,
      ...(idp.sloRedirectUrl ? { logoutUrl: idp.sloRedirectUrl, logoutCallbackUrl: this.options.sp.sloUrl } : {}),
      ...(this.options.signing ? { privateKey: this.options.signing.privateKey } : {}),
    };
  }

  /**
   * Runs the strategy the way passport.authenticate does (a per-request object whose prototype is
   * the strategy, given the action functions), but hands back the outcome instead of writing the
   * response, so that the controller decides between 302, 303, 401 and 409.
   */
  private async runStrategy(req: Request, appId: string, authOptions: Record<string, unknown>): Promise<StrategyOutcome> {
    this.optionsOf.set(req, await this.samlOptionsFor(appId));
    return new Promise<StrategyOutcome>((resolve, reject) => {
      const attempt = Object.create(this.strategy) as MultiSamlStrategy & Record<string, unknown>;
      Object.assign(attempt, {
        success: (user: unknown) => resolve({ kind: 'success', user }),
        fail: (challenge?: unknown) =>
          resolve({ kind: 'fail', reason: (challenge as { message?: string } | undefined)?.message ?? 'Authentication failed' }),
        redirect: (url: string) => resolve({ kind: 'redirect', url }),
        pass: () => reject(new Error('passport-saml passed the request on')),
        error: (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
      });
      attempt.authenticate(req as unknown as StrategyRequest, authOptions);
    });
  }
}

/**
 * The Issuer of a Redirect-binding LogoutRequest before it is verified: only to choose the
 * metadata to verify it with. Inflating stops at 64 KiB.
 */
function unverifiedIssuer(samlRequest: string): string | undefined {
  try {
    const xml = inflateRawSync(Buffer.from(samlRequest, 'base64'), { maxOutputLength: 64 * 1024 }).toString('utf8');
    const root = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml').documentElement;
    const issuer = Array.from(root?.childNodes ?? []).find(
      (n): n is Element =>
        n.nodeType === n.ELEMENT_NODE && (n as Element).namespaceURI === SAML_ASSERTION && (n as Element).localName === 'Issuer',
    );
    return issuer ? (issuer.textContent ?? '').trim() : undefined;
  } catch {
    return undefined;
  }
}

/** A signed Response with a few dozen attributes is tens of KB; the ACS takes at most 512 KB of form. */
const MAX_RESPONSE_BASE64 = 512 * 1024;

function parseRoot(xml: string): Element | null {
  try {
    return new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml').documentElement;
  } catch {
    return null;
  }
}

/** The Issuer of the Response element (the document root); null when it has none. */
function responseIssuer(xml: string): string | null {
  // node-saml parsed and verified this document already; no error is expected here.
  return issuerOf(parseRoot(xml));
}

function issuerOf(root: Element | null): string | null {
  const issuer = Array.from(root?.childNodes ?? []).find(
    (n): n is Element =>
      n.nodeType === n.ELEMENT_NODE && (n as Element).namespaceURI === SAML_ASSERTION && (n as Element).localName === 'Issuer',
  );
  return issuer ? (issuer.textContent ?? '').trim() : null;
}
