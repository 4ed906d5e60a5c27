import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { Session } from 'express-session';
import type { ResponseOf } from '@jit/messaging';
import type { DirectoryRpc } from '@jit/directory-contracts';

export const SESSION_COOKIE = 'console_session';
/** Under https the cookie is `__Host-` prefixed: only this host, path /, Secure. */
export const SECURE_SESSION_COOKIE = '__Host-console_session';
export const SESSION_MAX_AGE_MS = 8 * 3600_000;

type Opened = Extract<ResponseOf<typeof DirectoryRpc.openAdminSession>, { ok: true }>;

/** A signed-in person: the directory's token, what /api/me answers, and what Single Logout needs. */
export interface SignedIn {
  token: string;
  expiresAt: string;
  role: Opened['role'];
  permissions: Opened['permissions'];
  user: Opened['user'];
  organization: Opened['organization'];
  csrfToken: string;
  /** What the IdP's Single Logout needs to name this sign-in (passport-saml's logout reads it). */
  saml: { nameID: string; nameIDFormat: string; sessionIndex?: string };
}

interface ConsoleSessionData {
  signedIn?: SignedIn;
  /** The organisation whose IdP was asked to end the session: its LogoutResponse is checked against it. */
  pendingLogoutOrganizationId?: string;
}

const sessionOf = (req: Request): (Session & ConsoleSessionData) | undefined => req.session;

export function signedIn(req: Request): SignedIn | undefined {
  const value = sessionOf(req)?.signedIn;
  // The directory's token ends by itself; a session outliving it would only answer 401s.
  return value && Date.parse(value.expiresAt) > Date.now() ? value : undefined;
}

export const newCsrfToken = (): string => randomBytes(32).toString('base64url');

/** A new session id on sign-in, so that an id planted before it (session fixation) is worth nothing. */
export async function startSignedInSession(req: Request, value: Omit<SignedIn, 'csrfToken'>): Promise<SignedIn> {
  await settle((done) => req.session.regenerate(done));
  const session = { ...value, csrfToken: newCsrfToken() };
  sessionOf(req)!.signedIn = session;
  await settle((done) => req.session.save(done));
  return session;
}

/** Signs the browser out here at once (a new session id), remembering whose IdP will answer the logout. */
export async function startLogout(req: Request, organizationId: string): Promise<void> {
  await settle((done) => req.session.regenerate(done));
  sessionOf(req)!.pendingLogoutOrganizationId = organizationId;
  await settle((done) => req.session.save(done));
}

export function pendingLogoutOrganization(req: Request): string | undefined {
  return sessionOf(req)?.pendingLogoutOrganizationId;
}

export async function endSession(req: Request): Promise<void> {
  if (req.session) await settle((done) => req.session.destroy(done));
}

function settle(run: (done: (error?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) =>
    run((error) => (error ? reject(error instanceof Error ? error : new Error('session store error')) : resolve())),
  );
}
