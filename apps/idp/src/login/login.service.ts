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
import { SsoService, personOf } from '../sso/sso.service';
import { secondFactorRequested } from '../sso/authn-context';
import { MfaService } from '../mfa/mfa.service';
import { MfaThrottle } from '../mfa/mfa-throttle';
import { PASSKEY_SCRIPTS, mfaCodePage, mfaEnrolPage, passkeyEnrolPage, passkeyForm, recoveryCodesPage } from '../mfa/mfa-pages';
import { PasskeysService, type PasskeyCheck } from '../mfa/passkeys.service';
import { secondStepDue } from '../mfa/second-step';
import { totpUri } from '../mfa/totp';
import { signOutFormTargets, signOutPlan } from '../logout/sign-out-plan';
import { LoginThrottle } from './login-throttle';
import { portalTiles, signedInName } from './portal-tiles';
import { signInRefusal, throttledMessage } from './sign-in-messages';
import { passkeyNameProblem, registrationRefusal } from '../mfa/passkey-rules';

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
    private readonly passkeys: PasskeysService,
  ) {}

  loginForm(session: IdpSession | undefined, sourceIp: string): Promise<SsoOutcome> {
    return this.withPending(session, sourceIp, async (s, app) => ({
      kind: 'page' as const,
      page: loginPage({
        nonce: nonce(),
        csrfToken: s.csrfToken,
        applicationName: app?.snapshot.name ?? 'your applications',
        signedIn: s.user !== undefined,
        passkey: await this.passwordlessForm(s),
        organization: this.organization(s.pending?.organizationId),
      }),
    }));
  }

  /** "Sign in with a passkey" and the username field's passkey autofill: any discoverable passkey of this IdP. */
  private async passwordlessForm(s: IdpSession): Promise<{ form: string; scripts: string }> {
    const options = await this.passkeys.authenticationOptions('authenticate', s.id);
    const form = passkeyForm({
      id: 'passkey',
      mode: 'authenticate',
      action: '/login/passkey',
      csrfToken: s.csrfToken,
      options,
      button: 'Sign in with a passkey',
      autofill: true,
      lead: 'Or, without a password:',
    });
    return { form, scripts: PASSKEY_SCRIPTS };
  }

  /** Checks the password with the directory, regenerates the session, then issues. */
  async login(session: IdpSession | undefined, form: LoginForm): Promise<SsoOutcome> {
    return this.withPending(session, form.sourceIp, async (s, app, pending) => {
      if (!form.csrf || !safeEqual(form.csrf, s.csrfToken)) {
        return pageOutcome(
          403,
          'Sign-in expired',
          'The sign-in form was stale or forged. Go back to the application and start again.',
          this.organization(pending.organizationId),
        );
      }
      const username = (form.username ?? '').trim();
      const password = form.password ?? '';
      const passkey = await this.passwordlessForm(s);
      const again = (error: string, status?: number): SsoOutcome => ({
        kind: 'page',
        page: loginPage({
          nonce: nonce(),
          csrfToken: s.csrfToken,
          applicationName: app?.snapshot.name ?? 'your applications',
          error,
          username,
          status,
          passkey,
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
      // The person is known only now: the check at the start waited for the application's events,
      // this one for the person's (their state, role and groups) before anything is decided for
      // them. Without an application (the organisation's sign-in link), the portal checks.
      if (app) await this.fresh.requireFresh({ person: who, applicationId: app.id });
      // A person with a factor always gives it; one without enrols first when the policy requires it.
      // The application may require one whatever the organisation's policy, or a passkey; and so may
      // the request (a RequestedAuthnContext only a multi-factor class meets).
      const due = secondStepDue({
        session: 'password',
        factorRequired:
          app?.snapshot.mfaRequired === true ||
          secondFactorRequested(pending.requestedAuthnContext) ||
          (await this.mfa.policy(pending.organizationId)) === 'required',
        phishingResistantRequired: app?.snapshot.mfaPhishingResistant === true,
        hasFactor: await this.mfa.hasConfirmedFactor(who),
        hasPasskey: await this.passkeys.hasPasskey(who),
      });
      // A sign-in step is finished once, whichever instances its requests reach (SessionStore.claim).
      if (!(await this.sessions.claim(s))) return finishedAlready();
      if (due) {
        // Not signed in until the second step: a new id all the same, the password having been right.
        const waiting = this.sessions.regenerate({
          ...s,
          user: undefined,
          secondStep: { ...who, stage: due.stage, ...(due.passkeyOnly ? { passkeyOnly: true } : {}) },
          applications: s.user?.id === answer.userId ? s.applications : undefined,
        });
        return { kind: 'redirect', location: '/login/mfa', session: waiting };
      }
      return this.signedIn(s, app, pending, answer.userId, { mfa: false, phishingResistant: false }, form.sourceIp);
    });
  }

  /** The second step's page: the code, or enrolment (a new secret, its QR code) when the person has no factor yet. */
  async secondStepForm(session: IdpSession | undefined, sourceIp: string): Promise<SsoOutcome> {
    return this.withSecondStep(session, sourceIp, async (s, app, step) => {
      return { kind: 'page', page: await this.secondStepPage(s, app, step) };
    });
  }

  /** The second step's page: a passkey and/or the code fields; or enrolment (a passkey, or an app unless only a passkey will do). */
  private async secondStepPage(
    s: IdpSession,
    app: ReadApplicationView | null,
    step: NonNullable<IdpSession['secondStep']>,
    error?: string,
    status?: number,
    recoveryError?: string,
  ) {
    const who = { organizationId: step.organizationId, userId: step.userId };
    const applicationName = app?.snapshot.name ?? 'your applications';
    const organization = this.organization(step.organizationId);
    if (step.stage === 'verify') {
      const passkeyOptions = (await this.passkeys.hasPasskey(who))
        ? await this.passkeys.authenticationOptions('authenticate', s.id, who)
        : undefined;
      const app = (await this.mfa.hasTotp(who)) || !passkeyOptions;
      const codes = !step.passkeyOnly && (app || (await this.mfa.recoveryCodesLeft(who)) > 0);
      // A refused recovery code is told beside its own field, not the app code's.
      return mfaCodePage({
        nonce: nonce(),
        csrfToken: s.csrfToken,
        applicationName,
        passkeyOptions,
        codes,
        app,
        ...(recoveryError ? { recoveryError } : { error }),
        status,
        organization,
      });
    }
    const options = await this.passkeys.registrationOptions(s.id, who, this.account(who));
    if (step.passkeyOnly)
      return passkeyEnrolPage({
        nonce: nonce(),
        csrfToken: s.csrfToken,
        action: '/login/passkey/register',
        options,
        intro: `${applicationName} asks for a passkey at sign-in. Create one on this device to continue.`,
        error,
        status,
        organization,
      });
    const enrolment = await this.enrolment(s, step);
    return this.enrolPage(s, app, enrolment.secret, step.userId, error, status, options);
  }

  /** How the person is named to their authenticator when they create a passkey. */
  private account(who: { organizationId: string; userId: string }): { name: string; displayName: string } {
    const profile = this.fresh.readModel.profile(who.organizationId, who.userId);
    const name = profile?.email || profile?.username || who.userId;
    const displayName = [profile?.firstname, profile?.lastname].filter(Boolean).join(' ') || name;
    return { name, displayName };
  }

  /**
   * A passkey's answer at the login page (passwordless: any passkey of the organisation) or at the
   * second step (the person's own passkey). User verification is required, so either way the
   * session counts as multi-factor and phishing-resistant.
   */
  async passkeySignIn(
    session: IdpSession | undefined,
    form: { csrf?: string; credential?: string; sourceIp: string },
  ): Promise<SsoOutcome> {
    return this.withPending(session, form.sourceIp, async (s, app, pending) => {
      if (!form.csrf || !safeEqual(form.csrf, s.csrfToken)) {
        return pageOutcome(
          403,
          'Sign-in expired',
          'The sign-in form was stale or forged. Go back to the application and start again.',
          this.organization(pending.organizationId),
        );
      }
      const step = s.secondStep;
      const expected = step?.stage === 'verify' ? step.userId : undefined;
      if (step && !expected)
        return pageOutcome(
          400,
          'Set up a second step first',
          'Create a passkey or set up an app on the previous page.',
          this.organization(pending.organizationId),
        );
      const again = async (error: string, status: number): Promise<SsoOutcome> => {
        if (step) return { kind: 'page', page: await this.secondStepPage(s, app, step, error, status) };
        return {
          kind: 'page',
          page: loginPage({
            nonce: nonce(),
            csrfToken: s.csrfToken,
            applicationName: app?.snapshot.name ?? 'your applications',
            error,
            status,
            passkey: await this.passwordlessForm(s),
            organization: this.organization(pending.organizationId),
          }),
        };
      };
      // The same brakes as codes (second step) and passwords (passwordless, per source and session).
      if (expected) {
        const wait = await this.mfaThrottle.wait(expected, s.id);
        if (wait.seconds > 0) {
          this.mfa.rejected({ organizationId: pending.organizationId, userId: expected }, wait.reason);
          return again('Too many failed attempts. Try again later, or ask your administrator.', 429);
        }
      } else {
        const wait = await this.throttle.waitSeconds(form.sourceIp, s.id);
        if (wait > 0) return again(throttledMessage(wait), 429);
      }
      const check = await this.passkeys.authenticate('authenticate', s.id, pending.organizationId, form.credential, expected);
      if (!check.ok) {
        if (expected) await this.mfaThrottle.failed(expected, s.id);
        else await this.throttle.failed(form.sourceIp, s.id);
        return again(passkeyRefusal(check), check.reason === 'expired' ? 400 : 401);
      }
      if (expected) await this.mfaThrottle.succeeded(expected, s.id);
      else {
        // Passwordless: the directory's word on the person (suspended, deleted) still counts.
        const profile = this.fresh.readModel.profile(pending.organizationId, check.userId);
        if (profile?.state !== 'ACTIVATED') {
          const state = profile?.state === 'STAGED' || profile?.state === 'SUSPENDED' ? profile.state : undefined;
          const refusal = signInRefusal({ ok: false, reason: 'not_active', state }, new Date());
          return again(refusal.message, refusal.status);
        }
        await this.throttle.succeeded(s.id);
      }
      if (!(await this.sessions.claim(s))) return finishedAlready();
      return this.signedIn(
        { ...s, secondStep: undefined },
        app,
        pending,
        check.userId,
        { mfa: true, phishingResistant: true },
        form.sourceIp,
      );
    });
  }

  /** A passkey created at the sign-in's enrolment step: stored, then the person is signed in with it. */
  async passkeyRegister(
    session: IdpSession | undefined,
    form: { csrf?: string; credential?: string; name?: string; sourceIp: string },
  ): Promise<SsoOutcome> {
    return this.withSecondStep(session, form.sourceIp, async (s, app, step, pending) => {
      if (!form.csrf || !safeEqual(form.csrf, s.csrfToken)) {
        return pageOutcome(
          403,
          'Sign-in expired',
          'The sign-in form was stale or forged. Go back to the application and start again.',
          this.organization(pending.organizationId),
        );
      }
      if (step.stage !== 'enrol') return { kind: 'redirect', location: '/login/mfa' };
      const who = { organizationId: step.organizationId, userId: step.userId };
      const nameProblem = passkeyNameProblem(form.name);
      if (nameProblem) return { kind: 'page', page: await this.secondStepPage(s, app, step, `Passkey name: ${nameProblem}`, 400) };
      const registered = await this.passkeys.register(s.id, who, form.credential, form.name);
      if (!registered.ok)
        return { kind: 'page', page: await this.secondStepPage(s, app, step, registrationRefusal(registered.reason), 400) };
      if (!(await this.sessions.claim(s))) return finishedAlready();
      const how = { mfa: true, phishingResistant: true };
      if (registered.recoveryCodes.length === 0)
        return this.signedIn({ ...s, secondStep: undefined }, app, pending, step.userId, how, form.sourceIp);
      return this.signedInShowingCodes(s, app, pending, step.userId, how, registered.recoveryCodes);
    });
  }

  /** A code (or recovery code) for the second step, or the confirming code of an enrolment. */
  async secondStep(session: IdpSession | undefined, form: { csrf?: string; code?: string; sourceIp: string }): Promise<SsoOutcome> {
    return this.withSecondStep(session, form.sourceIp, async (s, app, step, pending) => {
      if (!form.csrf || !safeEqual(form.csrf, s.csrfToken)) {
        return pageOutcome(
          403,
          'Sign-in expired',
          'The sign-in form was stale or forged. Go back to the application and start again.',
          this.organization(pending.organizationId),
        );
      }
      const who = { organizationId: step.organizationId, userId: step.userId };
      const code = (form.code ?? '').trim().slice(0, 64);
      const again = async (error: string, status: number, recoveryError?: string): Promise<SsoOutcome> => ({
        kind: 'page',
        page: await this.secondStepPage(s, app, step, error, status, recoveryError),
      });
      if (step.passkeyOnly) return again(`${app?.snapshot.name ?? 'This application'} needs a passkey: a code is not enough.`, 400);
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
        if (!(await this.sessions.claim(s))) return finishedAlready();
        return this.signedIn(
          { ...s, secondStep: undefined },
          app,
          pending,
          step.userId,
          { mfa: true, phishingResistant: false },
          form.sourceIp,
        );
      }
      const enrolment = await this.enrolment(s, step);
      const codes = await this.mfa.confirmTotp(who, enrolment.factorId, code);
      if (codes === null) {
        await this.mfaThrottle.failed(step.userId, s.id);
        this.mfa.rejected(who, 'wrong_code');
        return again('That code is not right. Check the key in your app and enter the code it shows now.', 400);
      }
      await this.mfaThrottle.succeeded(step.userId, s.id);
      if (!(await this.sessions.claim(s))) return finishedAlready();
      return this.signedInShowingCodes(s, app, pending, step.userId, { mfa: true, phishingResistant: false }, codes);
    });
  }

  /** After the recovery codes were shown: the SSO that waited for the sign-in goes on. */
  async continueSignIn(session: IdpSession | undefined, csrf: string | undefined, sourceIp: string): Promise<SsoOutcome> {
    if (!session?.user) return { kind: 'redirect', location: '/' };
    if (!csrf || !safeEqual(csrf, session.csrfToken)) {
      return pageOutcome(
        403,
        'Sign-in expired',
        'The form was stale or forged. Go back to the application and start again.',
        this.organization(session.user.organizationId),
      );
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
    how: { mfa: boolean; phishingResistant: boolean },
    sourceIp: string,
  ): Promise<SsoOutcome> {
    // A new id at sign-in: a session id planted before it (fixation) is worth nothing after.
    const renewed = this.sessions.regenerate({
      ...s,
      user: this.newUser(userId, pending, how, s.user),
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
   * Signed in with a factor enrolled in this sign-in: the new recovery codes are shown once, then
   * "Continue" carries the sign-in on (continueSignIn).
   */
  private signedInShowingCodes(
    s: IdpSession,
    app: ReadApplicationView | null,
    pending: PendingSso,
    userId: string,
    how: { mfa: boolean; phishingResistant: boolean },
    codes: string[],
  ): SsoOutcome {
    const renewed = this.sessions.regenerate({ ...s, secondStep: undefined, user: this.newUser(userId, pending, how, s.user) });
    const page = recoveryCodesPage({
      nonce: nonce(),
      csrfToken: renewed.csrfToken,
      codes,
      continueTo: { action: '/login/continue', label: app ? `Continue to ${app.snapshot.name}` : 'Continue' },
      organization: this.organization(pending.organizationId),
    });
    return { kind: 'page', page, session: renewed };
  }

  /**
   * The signed-in person. A step up (the same person, signed in already, giving a second factor)
   * keeps the session's index: the applications that had it still name this session at logout.
   */
  private newUser(
    userId: string,
    pending: PendingSso,
    how: { mfa: boolean; phishingResistant: boolean },
    before?: IdpSession['user'],
  ): NonNullable<IdpSession['user']> {
    const sessionIndex = before?.id === userId && before.organizationId === pending.organizationId ? before.sessionIndex : newSamlId();
    // A step up keeps what the session proved before (a passkey stays a passkey after a later code).
    const same = before?.id === userId && before.organizationId === pending.organizationId;
    return {
      id: userId,
      organizationId: pending.organizationId,
      authnInstant: new Date(),
      sessionIndex,
      mfa: how.mfa || (same && before.mfa === true),
      phishingResistant: how.phishingResistant || (same && before.phishingResistant === true),
      // The sign-in is a verification: factors may be changed within the next minutes without another.
      verifiedAt: Date.now(),
    };
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

  private async enrolPage(
    s: IdpSession,
    app: ReadApplicationView | null,
    secret: string,
    userId: string,
    error?: string,
    status?: number,
    passkeyOptions?: unknown,
  ) {
    const profile = s.secondStep ? this.fresh.readModel.profile(s.secondStep.organizationId, userId) : null;
    const account = profile?.email || profile?.username || userId;
    const qrSvg = await QRCode.toString(totpUri(secret, new URL(this.config.IDP_BASE_URL).host, account), { type: 'svg', margin: 2 });
    return mfaEnrolPage({
      nonce: nonce(),
      csrfToken: s.csrfToken,
      action: '/login/mfa',
      qrSvg,
      secret,
      intro: `${await this.whoAsksForMfa(app, s.secondStep?.organizationId)} asks for a second step at sign-in: a passkey on this device, or a code from an authenticator app on your phone.`,
      error,
      status,
      ...(passkeyOptions ? { passkey: { action: '/login/passkey/register', options: passkeyOptions } } : {}),
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
        await this.fresh.requireFresh({ organisationExists: organizationId });
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
      await this.fresh.requireFresh({ person: personOf(session), applicationsOf: user.organizationId });
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
      // The person this session is signed in as, or is signing in as (the second step); one who
      // signs in with the form is checked again once known (login).
      const step = session.secondStep;
      const person = step ? { userId: step.userId, organizationId: step.organizationId } : personOf(session);
      await this.fresh.requireFresh({ person, applicationId });
      return work(session, this.fresh.activeApplication(applicationId), pending);
    });
  }
}

/** Six digits (spaces allowed) come from the app's field; anything else was typed in the recovery code's. */
function isAppCode(code: string): boolean {
  return /^\d{6}$/.test(code.replace(/\s/g, ''));
}

/** The answer to a sign-in step that another request (in another tab, or on another instance) finished first. */
function finishedAlready(): SsoOutcome {
  return pageOutcome(
    409,
    'Sign-in already finished',
    'This sign-in was finished in another tab, or has expired. Go back to the application: if you are signed in, it opens at once.',
  );
}

/** What the person reads when a passkey's answer is refused (never which check failed). */
function passkeyRefusal(check: Extract<PasskeyCheck, { ok: false }>): string {
  switch (check.reason) {
    case 'expired':
      return 'The passkey request expired. Try again.';
    case 'unknown_passkey':
      return 'That passkey is not registered for your account here. Use another passkey, or your password.';
    case 'malformed':
    case 'invalid_passkey':
    case 'passkey_counter_regressed':
    case 'wrong_code':
    case 'throttled':
    case 'locked_out':
      return 'That passkey could not be verified. Try again, or use another way to sign in.';
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && createHmac('sha256', 'k').update(x).digest().equals(createHmac('sha256', 'k').update(y).digest());
}
