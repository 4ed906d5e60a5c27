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
import { SAML, type CacheProvider, type SamlConfig } from '@node-saml/node-saml';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { consoleApplicationId, CONSOLE_SAML_PATHS } from '@jit/idp-contracts';
import { isDatabaseUnavailable } from '@jit/persistence';
import { DomainError, ErrorCode } from '@jit/service';
import type { IdpMetadata, IdpMetadataService } from '@jit/sp-metadata';
import type { SignedIn } from '../session/console-session';

/** The IdP's Response did not pass validation (signature, InResponseTo, audience, time, status). */
export class SamlRejectedError extends Error {}

const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
/** How long an AuthnRequest ID waits for its Response. */
export const REQUEST_ID_TTL_MS = 10 * 60_000;

type StrategyRequest = Parameters<MultiSamlStrategy['authenticate']>[0];
type StrategyOutcome = { kind: 'redirect'; url: string } | { kind: 'success'; user: unknown } | { kind: 'fail'; reason: string };

/** Who the IdP says signed in: the user's id is the NameID, the organisation is the one asked for. */
export interface SignedInProfile {
  organizationId: string;
  userId: string;
  username: string | undefined;
  saml: SignedIn['saml'];
}

export interface ConsoleSamlOptions {
  consoleUrl: string;
  /** The console's SAML signing key pair: without it, no SP-initiated Single Logout (the IdP refuses unsigned LogoutRequests). */
  signing?: { privateKey: string; certificate: string };
}

/**
 * The console as a SAML SP of every organisation: the IdP serves, per organisation, an
 * application with the derived id `consoleApplicationId(org)`; the console reads that
 * application's metadata for its certificates and endpoints, and RelayState carries the
 * organisation from the AuthnRequest to the ACS (the session cookie, SameSite=Strict, does not
 * come with the IdP's cross-site POST).
 */
export class ConsoleSaml {
  private readonly optionsOf = new WeakMap<object, Partial<PassportSamlConfig>>();
  private readonly strategy: MultiSamlStrategy;
  readonly entityId: string;
  readonly acsUrl: string;
  readonly logoutUrl: string;
  private readonly signing?: { privateKey: string; certificate: string };

  constructor(
    options: ConsoleSamlOptions,
    private readonly metadata: IdpMetadataService,
    /**
     * The AuthnRequest IDs sent and not yet answered (InResponseTo validation). Shared by every
     * SAML object (MultiSamlStrategy makes one per request) and, in the database (SamlRequestIds),
     * by every console instance: the Response may come back to another one.
     */
    private readonly requestIds: CacheProvider,
  ) {
    this.entityId = options.consoleUrl + CONSOLE_SAML_PATHS.metadata;
    this.acsUrl = options.consoleUrl + CONSOLE_SAML_PATHS.acs;
    this.logoutUrl = options.consoleUrl + CONSOLE_SAML_PATHS.logout;
    this.signing = options.signing;
    this.strategy = new MultiSamlStrategy(
      {
        passReqToCallback: false,
        getSamlOptions: (req, done) => {
          const found = this.optionsOf.get(req);
          if (found) done(null, found);
          else done(new Error('No organisation was resolved for this request'));
        },
      },
      (profile: Profile | null, done: VerifiedCallback) =>
        profile ? done(null, profile) : done(null, undefined, { message: 'The IdP sent no assertion' }),
      (_profile: Profile | null, done: VerifiedCallback) => done(new Error('Logout requests are handled at /saml/logout')),
    );
  }

  /** The IdP URL with a fresh AuthnRequest (HTTP-Redirect) for the organisation's console application. */
  async authnRequestUrl(req: Request, organizationId: string): Promise<string> {
    const outcome = await this.runStrategy(req, organizationId, { additionalParams: { RelayState: organizationId } });
    if (outcome.kind !== 'redirect') throw new Error(`passport-saml answered ${outcome.kind} instead of a redirect to the IdP`);
    return outcome.url;
  }

  /**
   * Validates the Response POSTed to the ACS. A Response that fails to verify may have been
   * signed with a key the cached metadata does not have yet: the metadata is read again, and the
   * next sign-in uses it.
   */
  async acceptResponse(req: Request, organizationId: string): Promise<SignedInProfile> {
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body?.SAMLResponse !== 'string' || body.SAMLResponse === '') {
      throw new DomainError(ErrorCode.ValidationFailed, 'POST a SAMLResponse (form-encoded) to the ACS');
    }
    const appId = consoleApplicationId(organizationId);
    let outcome: StrategyOutcome;
    try {
      outcome = await this.runStrategy(req, organizationId, {});
    } catch (error) {
      // The AuthnRequest IDs are in the database (SamlRequestIds): its outage is a 503, not a rejected Response.
      if (error instanceof DomainError || isDatabaseUnavailable(error)) throw error;
      this.metadata.forget(appId);
      throw new SamlRejectedError((error as Error).message || 'The SAML response was rejected');
    }
    if (outcome.kind === 'fail') throw new SamlRejectedError(outcome.reason);
    if (outcome.kind !== 'success') throw new SamlRejectedError('The ACS received no SAML Response');
    const profile = outcome.user as Profile;
    // The signature is checked against the application's certificates, but not who issued it: an
    // IdP signing every organisation with one key would otherwise let another organisation answer.
    const trusted = (await this.metadata.get(appId)).entityId;
    for (const [what, issuer] of [
      ['Response', responseIssuer(profile.getSamlResponseXml?.() ?? '')],
      ['Assertion', profile.issuer],
    ] as const) {
      if (issuer !== trusted) {
        throw new SamlRejectedError(
          `the ${what} Issuer ${JSON.stringify(issuer ?? null)} is not ${trusted}, the IdP entity of this organisation`,
        );
      }
    }
    const attributeOrg = profile.organizationId ?? (profile.attributes as Record<string, unknown> | undefined)?.organizationId;
    if (attributeOrg !== undefined && attributeOrg !== organizationId) {
      throw new SamlRejectedError('the assertion names another organisation than the one the sign-in was for');
    }
    const username = profile.username ?? (profile.attributes as Record<string, unknown> | undefined)?.username;
    return {
      organizationId,
      userId: profile.nameID,
      username: typeof username === 'string' ? username : undefined,
      saml: {
        nameID: profile.nameID,
        nameIDFormat: profile.nameIDFormat,
        ...(profile.sessionIndex ? { sessionIndex: profile.sessionIndex } : {}),
      },
    };
  }

  /**
   * SP-initiated Single Logout (passport-saml's LogoutRequest): the IdP URL to send the browser to,
   * or null when the IdP's metadata has no SingleLogoutService. RelayState names the organisation,
   * so the LogoutResponse can be checked without the session cookie.
   */
  async logoutRequestUrl(organizationId: string, user: SignedIn['saml']): Promise<string | null> {
    const options = await this.samlOptionsFor(organizationId);
    // The IdP verifies every LogoutRequest's signature: an unsigned one would only land on its refusal page.
    if (!options.logoutUrl || !this.signing) return null;
    const saml = new SAML(options as SamlConfig);
    return saml.getLogoutUrlAsync(user as unknown as Profile, organizationId, {});
  }

  /**
   * The IdP's own sign-out page, at the public address its metadata gives (IDP_URL may be an
   * address only the console reaches, like http://idp:4000 in docker compose).
   */
  async idpSignOutUrl(organizationId: string): Promise<string> {
    const entryPoint = (await this.samlOptionsFor(organizationId)).entryPoint ?? '';
    return `${entryPoint.replace(/\/saml2\/[^/]+\/sso$/, '')}/logout`;
  }

  /** Checks the IdP's LogoutResponse (signature over the query, status) with node-saml. */
  async acceptLogoutResponse(req: Request, organizationId: string): Promise<void> {
    const saml = new SAML((await this.samlOptionsFor(organizationId)) as SamlConfig);
    const at = req.originalUrl.indexOf('?');
    try {
      const result = await saml.validateRedirectAsync(req.query, at < 0 ? '' : req.originalUrl.slice(at + 1));
      if (!result.loggedOut) throw new Error('the IdP did not confirm the logout');
    } catch (error) {
      throw new SamlRejectedError((error as Error).message || 'The logout response was rejected');
    }
  }

  /**
   * The IdP's own LogoutRequest (the person signed out at the IdP, which walks every SP they
   * signed in to). It must be signed: node-saml checks a signature that is there but lets an
   * unsigned request through, and an unsigned one would let any page sign people out. It is
   * verified with the metadata of the console application named by its Issuer, read from our
   * IDP_URL, whose entity must be that Issuer. Answers the application and the person named, and
   * how to build the LogoutResponse once their sessions are ended.
   */
  async acceptLogoutRequest(req: Request): Promise<{ appId: string; nameID: string; responseUrl: (success: boolean) => Promise<string> }> {
    const query = req.query as Record<string, unknown>;
    if (typeof query.SAMLRequest !== 'string' || typeof query.Signature !== 'string') {
      throw new SamlRejectedError('an IdP LogoutRequest must be a signed HTTP-Redirect message');
    }
    const issuer = unverifiedIssuer(query.SAMLRequest);
    const appId = /\/saml2\/([0-9a-f-]{36})$/.exec(issuer ?? '')?.[1];
    if (!appId) throw new SamlRejectedError('the LogoutRequest does not come from a console application of the IdP');
    const idp = await this.metadata.get(appId);
    if (idp.entityId !== issuer) throw new SamlRejectedError(`the LogoutRequest's Issuer is not ${idp.entityId}`);
    const options = this.optionsFrom(idp);
    if (!options.logoutUrl) throw new SamlRejectedError('the IdP metadata of the console application has no SingleLogoutService');
    const saml = new SAML(options as SamlConfig);
    const at = req.originalUrl.indexOf('?');
    let profile: Profile | null;
    try {
      ({ profile } = await saml.validateRedirectAsync(query as Record<string, string>, at < 0 ? '' : req.originalUrl.slice(at + 1)));
    } catch (error) {
      throw new SamlRejectedError((error as Error).message || 'The logout request was rejected');
    }
    if (!profile) throw new SamlRejectedError('the IdP sent no LogoutRequest');
    const relayState = typeof query.RelayState === 'string' ? query.RelayState : '';
    return {
      appId,
      nameID: profile.nameID,
      responseUrl: (success) => saml.getLogoutResponseUrlAsync(profile, relayState, {}, success),
    };
  }

  spMetadataXml(): string {
    return generateServiceProviderMetadata({
      issuer: this.entityId,
      callbackUrl: this.acsUrl,
      logoutCallbackUrl: this.logoutUrl,
      identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      wantAssertionsSigned: true,
      ...(this.signing ? { publicCerts: this.signing.certificate } : {}),
    });
  }

  private async samlOptionsFor(organizationId: string): Promise<Partial<PassportSamlConfig>> {
    return this.optionsFrom(await this.metadata.get(consoleApplicationId(organizationId)));
  }

  private optionsFrom(idp: IdpMetadata): Partial<PassportSamlConfig> {
    return {
      entryPoint: idp.ssoRedirectUrl,
      idpCert: idp.signingCertificates,
      idpIssuer: idp.entityId,
      issuer: this.entityId,
      audience: this.entityId,
      callbackUrl: this.acsUrl,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      signatureAlgorithm: 'sha256',
      identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      // Every Response must answer an AuthnRequest this process sent, once.
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: REQUEST_ID_TTL_MS,
      cacheProvider: this.requestIds,
      acceptedClockSkewMs: 30_000,
      ...(idp.sloRedirectUrl ? { logoutUrl: idp.sloRedirectUrl, logoutCallbackUrl: this.logoutUrl } : {}),
      ...(this.signing ? { privateKey: this.signing.privateKey } : {}),
    };
  }

  /** Runs the strategy as passport.authenticate does, handing back the outcome instead of answering. */
  private async runStrategy(req: Request, organizationId: string, authOptions: Record<string, unknown>): Promise<StrategyOutcome> {
    this.optionsOf.set(req, await this.samlOptionsFor(organizationId));
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
    return responseIssuer(xml) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The Issuer child of a SAML message's root element; null when it has none. */
function responseIssuer(xml: string): string | null {
  let root: Element | null;
  try {
    root = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml').documentElement;
  } catch {
    return null;
  }
  const issuer = Array.from(root?.childNodes ?? []).find(
    (n): n is Element =>
      n.nodeType === n.ELEMENT_NODE && (n as Element).namespaceURI === SAML_ASSERTION && (n as Element).localName === 'Issuer',
  );
  return issuer ? (issuer.textContent ?? '').trim() : null;
}
