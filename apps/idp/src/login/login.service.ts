import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { newSamlId } from '@jit/saml';
import { FreshReadModel } from '../common/fresh-read-model';
import { nonce, pageOutcome, type SsoOutcome } from '../common/outcome';
import { Refusal } from '../common/refusals';
import { RefusalResponder } from '../common/refusal-responder';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { SessionStore, type IdpSession, type PendingSso } from '../sessions/session-store';
import { loginPage, portalPage } from '../sso/html';
import { SsoService } from '../sso/sso.service';
import { LoginThrottle } from './login-throttle';
import { portalTiles, signedInName } from './portal-tiles';
import { signInRefusal, throttledMessage } from './sign-in-messages';

export interface LoginForm {
  csrf?: string;
  username?: string;
  password?: string;
  sourceIp: string;
}

/** The login form (a sign-in that an SSO is waiting for) and the portal of a signed-in user. */
@Injectable()
export class LoginService {
  constructor(
    private readonly fresh: FreshReadModel,
    private readonly sessions: SessionStore,
    private readonly bus: NatsBus,
    private readonly sso: SsoService,
    private readonly refusals: RefusalResponder,
    @Inject(LoginThrottle) private readonly throttle: LoginThrottle,
  ) {}

  loginForm(session: IdpSession | undefined, sourceIp: string): Promise<SsoOutcome> {
    return this.withPending(session, sourceIp, (s, app) =>
      Promise.resolve({
        kind: 'page' as const,
        page: loginPage({
          nonce: nonce(),
          csrfToken: s.csrfToken,
          applicationName: app?.snapshot.name ?? 'your applications',
          signedIn: s.user !== undefined,
        }),
      }),
    );
  }

  /** Checks the password with the directory, regenerates the session, then issues. */
  async login(session: IdpSession | undefined, form: LoginForm): Promise<SsoOutcome> {
    return this.withPending(session, form.sourceIp, async (s, app, pending) => {
      if (!form.csrf || !safeEqual(form.csrf, s.csrfToken)) {
        return pageOutcome(403, 'Sign-in expired', 'The sign-in form was stale or forged. Go back to the application and start again.');
      }
      const username = (form.username ?? '').trim();
      const password = form.password ?? '';
      const again = (error: string, status?: number): SsoOutcome => ({
        kind: 'page',
        page: loginPage({
          nonce: nonce(),
          csrfToken: s.csrfToken,
          applicationName: app?.snapshot.name ?? 'your applications',
          error,
          username,
          status,
        }),
      });
      if (!username || !password || username.length > 256 || password.length > 1024) return again('Enter your username and password.');
      // Throttled before the directory is asked: a throttled attempt costs it no password hash.
      const wait = await this.throttle.waitSeconds(form.sourceIp, s.id);
      if (wait > 0) return again(throttledMessage(wait), 429);
      const answer = await this.bus.request(DirectoryRpc.verifyCredentials, {
        organizationId: pending.organizationId,
        username,
        password,
        sourceIp: form.sourceIp,
      });
      // Unknown user and wrong password read the same to the person typing; see signInRefusal.
      if (!answer.ok) {
        await this.throttle.failed(form.sourceIp, s.id);
        const refusal = signInRefusal(answer, new Date());
        return again(refusal.message, refusal.status);
      }
      await this.throttle.succeeded(s.id);
      // A new id at sign-in: a session id planted before it (fixation) is worth nothing after.
      const renewed = this.sessions.regenerate({
        ...s,
        user: { id: answer.userId, organizationId: pending.organizationId, authnInstant: new Date(), sessionIndex: newSamlId() },
        pending: undefined,
        // Another person signing in over this session (ForceAuthn) does not inherit the first one's
        // applications: Single Logout would name that person to them, or end this one's session.
        applications: s.user?.id === answer.userId ? s.applications : undefined,
      });
      if (!app) return { kind: 'redirect', location: '/', session: renewed };
      const outcome = await this.refusals.guard({ applicationId: app.id, userId: answer.userId, sourceIp: form.sourceIp }, () =>
        this.sso.issue(renewed, pending, app, pending.requestId === null ? 'idp' : 'sp'),
      );
      return { ...outcome, session: renewed };
    });
  }

  /** The portal: who is signed in, and a tile for each application they may open (portal-tiles.ts). */
  async portal(session: IdpSession | undefined, organizationId: string | undefined): Promise<SsoOutcome> {
    const user = session?.user;
    if (!user) {
      if (!organizationId) {
        return pageOutcome(
          200,
          'Your applications',
          'Open one of your applications to sign in, or use the sign-in link your administrator gave you.',
        );
      }
      // The organisation's sign-in link (/?organization=<id>): sign in, then come back here. No
      // session is made for an organisation the IdP does not know: that link leads nowhere.
      try {
        await this.fresh.requireFresh();
      } catch (error) {
        if (error instanceof Refusal) return pageOutcome(error.status, error.title, error.message);
        throw error;
      }
      if (!this.fresh.readModel.knowsOrganization(organizationId)) {
        return pageOutcome(404, 'Unknown organisation', 'This sign-in link is not valid. Ask your administrator for the right one.');
      }
      const s = session ?? this.sessions.create();
      s.pending = { applicationId: null, organizationId, requestId: null, acsUrl: '', relayState: null };
      return { kind: 'redirect', location: '/login', session: s };
    }
    try {
      await this.fresh.requireFresh();
    } catch (error) {
      if (error instanceof Refusal) return pageOutcome(error.status, error.title, error.message);
      throw error;
    }
    const { readModel } = this.fresh;
    const profile = readModel.profile(user.organizationId, user.id);
    const page = portalPage({
      nonce: nonce(),
      csrfToken: session?.csrfToken ?? '',
      signedInAs: profile ? signedInName(profile) : 'you',
      tiles: portalTiles(readModel.applicationsFor(user.organizationId, user.id)),
    });
    return { kind: 'page', page };
  }

  private async withPending(
    session: IdpSession | undefined,
    sourceIp: string,
    work: (session: IdpSession, app: ReadApplicationView | null, pending: PendingSso) => Promise<SsoOutcome>,
  ): Promise<SsoOutcome> {
    const pending = session?.pending;
    if (!session || !pending) {
      return pageOutcome(400, 'Start from your application', 'Open the application you want to use and sign in from there.');
    }
    const { applicationId } = pending;
    if (applicationId === null) return work(session, null, pending);
    return this.refusals.guard({ applicationId, userId: null, sourceIp }, async () => {
      await this.fresh.requireFresh();
      return work(session, this.fresh.activeApplication(applicationId), pending);
    });
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && createHmac('sha256', 'k').update(x).digest().equals(createHmac('sha256', 'k').update(y).digest());
}
