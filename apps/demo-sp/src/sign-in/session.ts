import type { Request } from 'express';
import type { Session } from 'express-session';
import type { JitAction } from '../accounts/account.entity';

export const SESSION_COOKIE = 'demo_sp.sid';

/** What the demo SP keeps per browser. Typed here rather than by augmenting express-session globally. */
export interface SignedIn {
  accountId: string;
  appId: string;
  /** What JIT did on this sign-in, shown on the home page. */
  jitAction: JitAction;
  signedInAt: string;
  /** What Single Logout needs to name this sign-in at the IdP (passport-saml's logout reads it). */
  saml?: { nameID: string; nameIDFormat: string; sessionIndex?: string };
}

interface DemoSpSessionData {
  /** The application of the sign-in in progress: the fallback when a response comes without RelayState. */
  pendingAppId?: string;
  /** The application whose IdP was asked to end the session: its LogoutResponse is checked against it. */
  pendingLogoutAppId?: string;
  signedIn?: SignedIn;
}

const sessionOf = (req: Request): Session & DemoSpSessionData => req.session;

export function rememberPendingApp(req: Request, appId: string): void {
  sessionOf(req).pendingAppId = appId;
}

export function pendingApp(req: Request): string | undefined {
  return sessionOf(req).pendingAppId;
}

export function signedIn(req: Request): SignedIn | undefined {
  return sessionOf(req).signedIn;
}

/** A new session id on sign-in, so that an id planted before it (session fixation) is worth nothing. */
export async function startSignedInSession(req: Request, value: SignedIn): Promise<void> {
  await settle((done) => req.session.regenerate(done));
  sessionOf(req).signedIn = value;
  await settle((done) => req.session.save(done));
}

/** Signs the browser out here at once (a new session id), remembering which IdP will answer. */
export async function startLogout(req: Request, appId: string): Promise<void> {
  await settle((done) => req.session.regenerate(done));
  sessionOf(req).pendingLogoutAppId = appId;
  await settle((done) => req.session.save(done));
}

export function pendingLogoutApp(req: Request): string | undefined {
  return sessionOf(req).pendingLogoutAppId;
}

export async function endSession(req: Request): Promise<void> {
  await settle((done) => req.session.destroy(done));
}

function settle(run: (done: (err: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) =>
    run((err) => (err ? reject(err instanceof Error ? err : new Error('The session store failed', { cause: err })) : resolve())),
  );
}
