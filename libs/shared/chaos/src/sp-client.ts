import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { parseForm } from '@jit/testing';
import type { SignInOutcome } from './history';
import { refusedConnection, type Router } from './router';

export const EMAIL_NAMEID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** A person of the run: their credentials and the browser's cookies for the IdP (one address for all instances). */
export interface Person {
  userId: string;
  username: string;
  email: string;
  password: string;
  cookies: Map<string, string>;
}

export interface SignInAnswer {
  outcome: SignInOutcome;
  status?: number;
  detail?: string;
  instance: string;
  wrongSubject?: boolean;
}

/** The SP of one application: where it sits and what it registered in the catalog. */
export interface SpIdentity {
  entityId: string;
  acsUrl: string;
}

/**
 * An SP (node-saml, what passport-saml runs) for one application, signing people in through the
 * IdP over HTTP: SP-initiated over HTTP-Redirect, the login form when the browser has no IdP
 * session, and the auto-POST page's SAML Response, which node-saml must accept (signature with the
 * metadata's certificate only, audience, InResponseTo, validity) and which must name the person
 * signing in. The whole flow stays on one IdP instance (a sign-in in progress is per instance).
 */
export class SpClient {
  private readonly saml: SAML;

  constructor(
    readonly appId: string,
    private readonly idpBaseUrl: string,
    sp: SpIdentity,
    idpCerts: string[],
    private readonly router: Router,
    private readonly timeoutMs: number,
  ) {
    this.saml = new SAML({
      entryPoint: `${idpBaseUrl}/saml2/${appId}/sso`,
      idpCert: idpCerts,
      issuer: sp.entityId,
      audience: sp.entityId,
      callbackUrl: sp.acsUrl,
      idpIssuer: `${idpBaseUrl}/saml2/${appId}`,
      identifierFormat: EMAIL_NAMEID,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      validateInResponseTo: ValidateInResponseTo.always,
    });
  }

  /** The signing certificates of the application's IdP metadata. */
  static async idpCertificates(idpUrl: string, appId: string): Promise<string[]> {
    const response = await fetch(`${idpUrl}/saml2/${appId}/metadata`, { signal: AbortSignal.timeout(5000) });
    if (response.status !== 200) throw new Error(`metadata of ${appId}: ${response.status}`);
    const xml = await response.text();
    return [...xml.matchAll(/<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/g)].map((m) => m[1]);
  }

  async signIn(person: Person): Promise<SignInAnswer> {
    const order = this.router.order('idp');
    if (order.length === 0) return { outcome: 'unavailable', detail: 'no IdP instance is ready', instance: 'idp:none-ready' };
    const start = await this.saml.getAuthorizeUrlAsync('', undefined, {});
    const path = start.slice(this.idpBaseUrl.length);
    let lastError: unknown;
    for (const instance of order) {
      try {
        return await this.flow(person, instance.url, path, instance.name);
      } catch (error) {
        lastError = error;
        // Only a refused first connection goes to the next instance; anything later ends the sign-in.
        if (!(error instanceof FirstRequestRefused)) return { outcome: 'unavailable', detail: describe(error), instance: instance.name };
      }
    }
    return { outcome: 'unavailable', detail: describe(lastError), instance: order[order.length - 1]?.name ?? 'idp' };
  }

  private async flow(person: Person, base: string, path: string, instance: string): Promise<SignInAnswer> {
    let response: Response;
    try {
      response = await this.get(person, `${base}${path}`);
    } catch (error) {
      if (refusedConnection(error)) throw new FirstRequestRefused(error);
      throw error;
    }
    if (response.status === 302 && new URL(response.headers.get('location') ?? '', base).pathname === '/login') {
      await response.body?.cancel();
      const form = await this.get(person, `${base}/login`);
      if (form.status !== 200) return this.refusal(form, instance);
      const csrf = parseForm(await form.text()).fields.csrf ?? '';
      response = await this.post(person, `${base}/login`, { csrf, username: person.username, password: person.password });
    }
    if (response.status !== 200) return this.refusal(response, instance);
    const page = await response.text();
    if (!page.includes('name="SAMLResponse"')) return { outcome: 'error', status: 200, detail: 'a page without a SAML Response', instance };
    const { fields } = parseForm(page);
    try {
      const { profile } = await this.saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse ?? '' });
      if (!profile) return { outcome: 'error', status: 200, detail: 'node-saml found no profile', instance };
      if (profile.nameID !== person.email)
        return { outcome: 'issued', status: 200, wrongSubject: true, detail: `NameID ${profile.nameID}`, instance };
      return { outcome: 'issued', status: 200, instance };
    } catch (error) {
      return { outcome: 'error', status: 200, detail: `node-saml rejected the response: ${describe(error)}`, instance };
    }
  }

  private async refusal(response: Response, instance: string): Promise<SignInAnswer> {
    const text = await response.text();
    const title = /<title>([^<]*)<\/title>/.exec(text)?.[1] ?? text.slice(0, 120);
    const status = response.status;
    // A decision against access: the IdP's refusal of the person or the application, or the login
    // form's "account suspended" (the directory's answer). Any other 403 (a stale form) is no decision.
    if (status === 403 && (DENIALS.has(title) || /Your account is (suspended|not active)/.test(text)))
      return { outcome: 'denied', status, detail: title, instance };
    if (status === 503 || status === 502 || status === 504) return { outcome: 'unavailable', status, detail: title, instance };
    return { outcome: 'error', status, detail: title, instance };
  }

  private get(person: Person, url: string): Promise<Response> {
    return this.request(person, url, { method: 'GET' });
  }

  private post(person: Person, url: string, fields: Record<string, string>): Promise<Response> {
    return this.request(person, url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  private async request(person: Person, url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (person.cookies.size) headers.set('cookie', [...person.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 0) continue;
      person.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return response;
  }
}

/** The titles of the IdP's refusal pages that decide against access (apps/idp's REFUSALS). */
const DENIALS = new Set(['Not authorised', 'Account not active', 'Account not found']);

class FirstRequestRefused extends Error {
  constructor(readonly reason: unknown) {
    super(describe(reason));
  }
}

export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause ? `${error.name}: ${error.message} (${cause.code ?? cause.message ?? ''})` : `${error.name}: ${error.message}`;
}
