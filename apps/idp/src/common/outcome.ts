import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomToken } from '@jit/saml';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { sessionCookie } from '../sessions/session-cookie';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import type { PageOrganization } from '../sso/branding';
import { errorPage, type Page } from '../sso/html';
import { Refusal } from './refusals';

/** What a browser endpoint sends back: a page, or a redirect; either may carry a session cookie. */
export type SsoOutcome =
  | { kind: 'page'; page: Page; session?: IdpSession; clearSession?: boolean }
  | { kind: 'redirect'; location: string; session?: IdpSession; clearSession?: boolean };

export function nonce(): string {
  return randomToken(16, 'base64');
}

/** `organization`: the one the page is about, when known (its band, branding.ts). */
export function pageOutcome(status: number, title: string, message: string, organization?: PageOrganization | null): SsoOutcome {
  return { kind: 'page', page: errorPage({ nonce: nonce(), status, title, message, organization }) };
}

/** Form and query fields arrive as strings, or arrays when repeated: only a single string counts. */
export const field = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
export const form = (body: unknown): Record<string, unknown> => (body && typeof body === 'object' ? (body as Record<string, unknown>) : {});

/** The query exactly as it arrived: a Redirect-binding signature covers these octets. */
export const rawQueryOf = (url: string): string => {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
};

/** The browser side of every IdP page: the session a request carries, and how an outcome is written. */
@Injectable()
export class BrowserReplies {
  private readonly cookie: ReturnType<typeof sessionCookie>;
  /** The session each request read, so that its answer writes what the request changed in it. */
  private readonly read = new WeakMap<FastifyRequest, IdpSession>();

  constructor(
    private readonly sessions: SessionStore,
    @Inject(IDP_CONFIG) config: IdpConfig,
  ) {
    this.cookie = sessionCookie(config.IDP_BASE_URL);
  }

  /**
   * The request's session as the shared store holds it now, whichever instance made or changed it
   * (a sign-in in progress may have started on another instance; SessionStore.resolve).
   */
  session(req: FastifyRequest): Promise<IdpSession | undefined> {
    return this.remember(req, this.sessions.resolve(req.cookies[this.cookie.name]));
  }

  /** For an SSO: as `session`, but a signed-in session may be this instance's copy (no query). */
  ssoSession(req: FastifyRequest): Promise<IdpSession | undefined> {
    return this.remember(req, this.sessions.resolve(req.cookies[this.cookie.name], { cached: true }));
  }

  private async remember(req: FastifyRequest, resolving: Promise<IdpSession | undefined>): Promise<IdpSession | undefined> {
    const session = await resolving;
    if (session) this.read.set(req, session);
    return session;
  }

  unknownApp(): SsoOutcome {
    return {
      kind: 'page',
      page: errorPage({ nonce: 'x', status: 404, title: 'Unknown application', message: 'There is no application at this address.' }),
    };
  }

  async send(reply: FastifyReply, outcome: SsoOutcome): Promise<void> {
    // A sign-in, a sign-out, a sign-in in progress or a new application is in the shared store
    // before the browser can take its cookie to another instance.
    await this.sessions.flush();
    await this.sessions.save(this.read.get(reply.request));
    if (outcome.session !== this.read.get(reply.request)) await this.sessions.save(outcome.session);
    if (outcome.session) {
      reply.setCookie(this.cookie.name, outcome.session.id, this.cookie.options);
    }
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('x-content-type-options', 'nosniff');
    if (outcome.clearSession) reply.clearCookie(this.cookie.name, this.cookie.options);
    if (outcome.kind === 'redirect') {
      await reply.status(302).header('location', outcome.location).send();
      return;
    }
    await reply
      .status(outcome.page.status)
      .header('content-security-policy', outcome.page.csp)
      .type('text/html; charset=utf-8')
      .send(outcome.page.html);
  }
}

/** RelayState goes back byte for byte, up to the cap; longer is refused, never truncated. */
export function relayStateWithin(relayState: string | undefined, maxBytes: number): string | null {
  if (relayState === undefined || relayState === '') return null;
  if (Buffer.byteLength(relayState, 'utf8') > maxBytes) {
    throw new Refusal('relay_state_too_long', { relayStateMaxBytes: maxBytes });
  }
  return relayState;
}
