import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { newSamlId } from '@jit/saml';
import { FreshReadModel } from '../common/fresh-read-model';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { nonce, pageOutcome, type SsoOutcome } from '../common/outcome';
import { Refusal } from '../common/refusals';
import { RefusalResponder } from '../common/refusal-responder';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { SessionStore, type IdpSession, type PendingSso } from '../sessions/session-store';
import { loginPage, portalPage } from '../sso/html';
import type { PageOrganization } from '../sso/branding';
import { SsoService } from '../sso/sso.service';
import { secondFactorRequested } from '../sso/authn-context';
import { MfaService } from '../mfa/mfa.service';
import { MfaThrottle } from '../mfa/mfa-throttle';
import { mfaCodePage, mfaEnrolPage, recoveryCodesPage } from '../mfa/mfa-pages';
import { totpUri } from '../mfa/totp';
import { signOutFormTargets, signOutPlan } from '../logout/sign-out-plan';
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
    private readonly mfa: MfaService,
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
    @Inject(MfaThrottle) private readonly mfaThrottle: MfaThrottle,
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
          organization: this.organization(s.pending?.organizationId),
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
          organization: this.organization(pending.organizationId),
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
      const who = { organizationId: pending.organizationId, userId: answer.userId };
      // A person with a factor always gives it; one without enrols first when the policy requires it.
      // The application may require one whatever the organisation's policy, and so may the
      // request (a RequestedAuthnContext only a multi-factor class meets).
      const stage = (await this.mfa.hasConfirmedFactor(who))
        ? 'verify'
        : app?.snapshot.mfaRequired ||
            secondFactorRequested(pending.requestedAuthnContext) ||
            (await this.mfa.policy(pending.organizationId)) === 'required'
          ? 'enrol'
          : undefined;
      if (stage) {
        // Not signed in until the second step: a new id all the same, the password having been right.
        const waiting = this.sessions.regenerate({
          ...s,
          user: undefined,
          secondStep: { ...who, stage },
          applications: s.user?.id === answer.userId ? s.applications : undefined,
        });
        return { kind: 'redirect', location: '/login/mfa', session: waiting };
      }
      return this.signedIn(s, app, pending, answer.userId, false, form.sourceIp);
    });
  }

  /** The second step's page: the code, or enrolment (a new secret, its QR code) when the person has no factor yet. */
  async secondStepForm(session: IdpSession | undefined, sourceIp: string): Promise<SsoOutcome> {
    return this.withSecondStep(session, sourceIp, async (s, app, step) => {
      const applicationName = app?.snapshot.name ?? 'your applications';
      const organization = this.organization(step.organizationId);
      if (step.stage === 'verify') {
        return { kind: 'page', page: mfaCodePage({ nonce: nonce(), csrfToken: s.csrfToken, applicationName, organization }) };
      }
      const enrolment = await this.enrolment(s, step);
      return { kind: 'page', page: await this.enrolPage(s, app, enrolment.secret, step.userId) };
    });
  }

  /** A code (or recovery code) for the second step, or the confirming code of an enrolment. */
  async secondStep(session: IdpSession | undefined, form: { csrf?: string; code?: string; sourceIp: string }): Promise<SsoOutcome> {
    return this.withSecondStep(session, form.sourceIp, async (s, app, step, pending) => {
      if (!form.csrf || !safeEqual(form.csrf, s.csrfToken)) {
        return pageOutcome(403, 'Sign-in expired', 'The sign-in form was stale or forged. Go back to the application and start again.');
      }
      const who = { organizationId: step.organizationId, userId: step.userId };
      const code = (form.code ?? '').trim().slice(0, 64);
      const again = async (error: string, status: number, recoveryError?: string): Promise<SsoOutcome> => {
        if (step.stage === 'verify') {
          const applicationName = app?.snapshot.name ?? 'your applications';
          const organization = this.organization(step.organizationId);
          // A refused recovery code is told beside its own field, not the app code's.
          const page = recoveryError
            ? mfaCodePage({ nonce: nonce(), csrfToken: s.csrfToken, applicationName, recoveryError, status, organization })
            : mfaCodePage({ nonce: nonce(), csrfToken: s.csrfToken, applicationName, error, status, organization });
          return { kind: 'page', page };
        }
        const enrolment = await this.enrolment(s, step);
        return { kind: 'page', page: await this.enrolPage(s, app, enrolment.secret, step.userId, error, status) };
      };
      if (!code) return again('Enter the code.', 400);
      const wait = await this.mfaThrottle.wait(step.userId, s.id);
      if (wait.seconds > 0) {
        this.mfa.rejected(who, wait.reason);
        const minutes = Math.max(1, Math.ceil(wait.seconds / 60));
        return again(`Too many wrong codes. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or ask your administrator.`, 429);
      }
      if (step.stage === 'verify') {
        if (!(await this.mfa.verify(who, code))) {
          await this.mfaThrottle.failed(step.userId, s.id);
          this.mfa.rejected(who, 'wrong_code');
          return isAppCode(code)
            ? again('That code is not right, or was used already. Enter the current code from your app.', 401)
            : again('', 401, 'That recovery code is not right, or was used already. Each code works once.');
        }
        await this.mfaThrottle.succeeded(step.userId, s.id);
        return this.signedIn({ ...s, secondStep: undefined }, app, pending, step.userId, true, form.sourceIp);
      }
      const enrolment = await this.enrolment(s, step);
      const codes = await this.mfa.confirmTotp(who, enrolment.factorId, code);
      if (codes === null) {
        await this.mfaThrottle.failed(step.userId, s.id);
        this.mfa.rejected(who, 'wrong_code');
        return again('That code is not right. Check the key in your app and enter the code it shows now.', 400);
      }
      await this.mfaThrottle.succeeded(step.userId, s.id);
      // Signed in now; the codes are shown once, then "Continue" carries the sign-in on (continueSignIn).
      const renewed = this.sessions.regenerate({ ...s, secondStep: undefined, user: this.newUser(step.userId, pending, true, s.user) });
      const page = recoveryCodesPage({
        nonce: nonce(),
        csrfToken: renewed.csrfToken,
        codes,
        continueTo: { action: '/login/continue', label: app ? `Continue to ${app.snapshot.name}` : 'Continue' },
        organization: this.organization(step.organizationId),
      });
      return { kind: 'page', page, session: renewed };
    });
  }

  /** After the recovery codes were shown: the SSO that waited for the sign-in goes on. */
  async continueSignIn(session: IdpSession | undefined, csrf: string | undefined, sourceIp: string): Promise<SsoOutcome> {
    if (!session?.user) return { kind: 'redirect', location: '/' };
    if (!csrf || !safeEqual(csrf, session.csrfToken)) {
      return pageOutcome(403, 'Sign-in expired', 'The form was stale or forged. Go back to the application and start again.');
    }
    const user = session.user;
    if (!session.pending) return { kind: 'redirect', location: '/' };
    return this.withPending(session, sourceIp, async (s, app, pending) => {
      s.pending = undefined;
      if (!app) return { kind: 'redirect', location: '/' };
      return this.refusals.guard({ applicationId: app.id, userId: user.id, sourceIp }, () =>
        this.sso.issue(s, pending, app, pending.requestId === null ? 'idp' : 'sp'),
      );
    });
  }

  /** The person is signed in (password, and a second factor when `mfa`): a new session id, then the SSO that waited. */
  private async signedIn(
    s: IdpSession,
    app: ReadApplicationView | null,
    pending: PendingSso,
    userId: string,
    mfa: boolean,
    sourceIp: string,
  ): Promise<SsoOutcome> {
    // A new id at sign-in: a session id planted before it (fixation) is worth nothing after.
    const renewed = this.sessions.regenerate({
      ...s,
      user: this.newUser(userId, pending, mfa, s.user),
      pending: undefined,
      // Another person signing in over this session (ForceAuthn) does not inherit the first one's
      // applications: Single Logout would name that person to them, or end this one's session.
      applications: s.user === undefined || s.user.id === userId ? s.applications : undefined,
    });
    if (!app) return { kind: 'redirect', location: '/', session: renewed };
    const outcome = await this.refusals.guard({ applicationId: app.id, userId, sourceIp }, () =>
      this.sso.issue(renewed, pending, app, pending.requestId === null ? 'idp' : 'sp'),
    );
    return { ...outcome, session: renewed };
  }

  /**
   * The signed-in person. A step up (the same person, signed in already, giving a second factor)
   * keeps the session's index: the applications that had it still name this session at logout.
   */
  private newUser(userId: string, pending: PendingSso, mfa: boolean, before?: IdpSession['user']): NonNullable<IdpSession['user']> {
    const sessionIndex = before?.id === userId && before.organizationId === pending.organizationId ? before.sessionIndex : newSamlId();
    return { id: userId, organizationId: pending.organizationId, authnInstant: new Date(), sessionIndex, mfa };
  }

  /** The factor being enrolled in this sign-in: made on first sight, kept in the session so a wrong code shows the same key. */
  private async enrolment(s: IdpSession, step: NonNullable<IdpSession['secondStep']>): Promise<{ factorId: string; secret: string }> {
    const who = { organizationId: step.organizationId, userId: step.userId };
    const secret = step.factorId ? await this.mfa.unconfirmedSecret(who, step.factorId) : null;
    if (step.factorId && secret) return { factorId: step.factorId, secret };
    const started = await this.mfa.startTotp(who);
    s.secondStep = { ...step, factorId: started.factorId };
    return started;
  }

  private async enrolPage(s: IdpSession, app: ReadApplicationView | null, secret: string, userId: string, error?: string, status?: number) {
    const profile = s.secondStep ? this.fresh.readModel.profile(s.secondStep.organizationId, userId) : null;
    const account = profile?.email || profile?.username || userId;
    const qrSvg = await QRCode.toString(totpUri(secret, new URL(this.config.IDP_BASE_URL).host, account), { type: 'svg', margin: 2 });
    return mfaEnrolPage({
      nonce: nonce(),
      csrfToken: s.csrfToken,
      action: '/login/mfa',
      qrSvg,
      secret,
      intro: `${await this.whoAsksForMfa(app, s.secondStep?.organizationId)} asks for a second step at sign-in: a code from an authenticator app on your phone.`,
      error,
      status,
      organization: this.organization(s.secondStep?.organizationId),
    });
  }

  /** Who the person is enrolling for: the organisation when its policy requires a factor, else the application that does. */
  private async whoAsksForMfa(app: ReadApplicationView | null, organizationId: string | undefined): Promise<string> {
    if (!app?.snapshot.mfaRequired || !organizationId) return 'Your organisation';
    return (await this.mfa.policy(organizationId)) === 'required' ? 'Your organisation' : app.snapshot.name;
  }

  /** What the pages of a sign-in to this organisation show of it: its name, logo and colour. */
  private organization(organizationId: string | undefined): PageOrganization | null {
    return organizationId ? this.fresh.readModel.organization(organizationId) : null;
  }

  private withSecondStep(
    session: IdpSession | undefined,
    sourceIp: string,
    work: (
      session: IdpSession,
      app: ReadApplicationView | null,
      step: NonNullable<IdpSession['secondStep']>,
      pending: PendingSso,
    ) => Promise<SsoOutcome>,
  ): Promise<SsoOutcome> {
    const step = session?.secondStep;
    if (!step)
      return Promise.resolve(
        pageOutcome(400, 'Start from your application', 'Open the application you want to use and sign in from there.'),
      );
    return this.withPending(session, sourceIp, (s, app, pending) => work(s, app, step, pending));
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
    const lookup = (id: string) => readModel.application(id);
    const page = portalPage({
      nonce: nonce(),
      csrfToken: session?.csrfToken ?? '',
      signedInAs: profile ? signedInName(profile) : 'you',
      tiles: portalTiles(readModel.applicationsFor(user.organizationId, user.id)),
      signOutTargets: signOutFormTargets(signOutPlan(session?.applications, lookup), lookup),
      organization: readModel.organization(user.organizationId),
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

/** Six digits (spaces allowed) come from the app's field; anything else was typed in the recovery code's. */
function isAppCode(code: string): boolean {
  return /^\d{6}$/.test(code.replace(/\s/g, ''));
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && createHmac('sha256', 'k').update(x).digest().equals(createHmac('sha256', 'k').update(y).digest());
}
