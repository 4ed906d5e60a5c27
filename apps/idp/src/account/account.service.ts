import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import QRCode from 'qrcode';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { FreshReadModel } from '../common/fresh-read-model';
import { nonce, pageOutcome, type SsoOutcome } from '../common/outcome';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import type { PageOrganization } from '../sso/branding';
import { accountPage, type PasswordFieldErrors } from '../sso/html';
import { signInRefusal } from '../login/sign-in-messages';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { MfaService } from '../mfa/mfa.service';
import { MfaThrottle } from '../mfa/mfa-throttle';
import { mfaEnrolPage, passkeyEnrolPage, recoveryCodesPage, reverifyPage, securityDevicesSection } from '../mfa/mfa-pages';
import { PasskeysService } from '../mfa/passkeys.service';
import { passkeyNameProblem, registrationRefusal } from '../mfa/passkey-rules';
import { recentlyVerified } from '../mfa/second-step';
import { totpUri } from '../mfa/totp';
import { profileRows } from './account-profile';

export interface PasswordChangeForm {
  csrf?: string;
  currentPassword?: string;
  newPassword?: string;
  repeatPassword?: string;
  sourceIp: string;
}

type SignedIn = IdpSession & { user: NonNullable<IdpSession['user']> };

/**
 * The signed-in person's account page: their profile, a change of password (checked and stored by
 * the directory over NATS) and their sessions. The page lists the person's sessions on every IdP
 * instance, and "everywhere else" ends every other one (SessionStore, with the shared store). "Security devices": the person's second factors
 * (MfaService), added, removed, and their recovery codes.
 */
@Injectable()
export class AccountService {
  private readonly logger = new Logger(AccountService.name);

  constructor(
    private readonly fresh: FreshReadModel,
    private readonly sessions: SessionStore,
    private readonly bus: NatsBus,
    private readonly mfa: MfaService,
    @Inject(MfaThrottle) private readonly mfaThrottle: MfaThrottle,
    @Inject(IDP_CONFIG) private readonly config: IdpConfig,
    private readonly passkeys: PasskeysService,
  ) {}

  async page(session: IdpSession | undefined): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    return this.render(s);
  }

  async changePassword(session: IdpSession | undefined, form: PasswordChangeForm): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(form.csrf, s)) return this.staleForm(s);
    const current = form.currentPassword ?? '';
    const next = form.newPassword ?? '';
    const errors: PasswordFieldErrors = {};
    if (!current) errors.currentPassword = 'Enter your current password.';
    else if (current.length > 1024) errors.currentPassword = 'The current password is wrong.';
    if (!next) errors.newPassword = 'Enter a new password.';
    else if (next.length > 4096) errors.newPassword = 'The new password must have at most 1024 characters.';
    if (next && form.repeatPassword !== next) errors.repeatPassword = 'The two new passwords differ.';
    if (Object.keys(errors).length > 0) return this.render(s, { errors, status: 400 });

    const answer = await this.bus.request(DirectoryRpc.changePassword, {
      organizationId: s.user.organizationId,
      userId: s.user.id,
      currentPassword: current,
      newPassword: next,
      sourceIp: form.sourceIp,
    });
    if (!answer.ok) {
      switch (answer.reason) {
        case 'invalid_credentials':
          return this.render(s, { errors: { currentPassword: 'The current password is wrong.' }, status: 400 });
        case 'weak_password':
          return this.render(s, { errors: { newPassword: answer.message ?? 'The new password does not meet the rule.' }, status: 400 });
        case 'locked_out':
        case 'throttled':
        case 'not_active': {
          // The same brakes and words as the sign-in form: the current password is a sign-in attempt.
          const refusal = signInRefusal({ ok: false, reason: answer.reason, retryAfter: answer.retryAfter }, new Date());
          return this.render(s, { notice: { text: refusal.message, error: true }, status: refusal.status });
        }
      }
    }
    // Whoever else held a session of this person (on any instance) held it under the old password.
    await this.sessions.endOthers(s.user.organizationId, s.user.id, s.id);
    // And this browser's session gets a new id, so an id seen before the change is worth nothing.
    const renewed = signedIn(this.sessions.regenerate(s))!;
    return { ...(await this.render(renewed, { notice: { text: 'Password changed', error: false } })), session: renewed };
  }

  async endOthers(session: IdpSession | undefined, csrf: string | undefined): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(csrf, s)) return this.staleForm(s);
    const ended = await this.sessions.endOthers(s.user.organizationId, s.user.id, s.id);
    return this.render(s, { notice: { text: `Signed out of ${ended} other session${ended === 1 ? '' : 's'}.`, error: false } });
  }

  /** Starts enrolling an authenticator app: a new key and its QR code, confirmed by a code at /account/mfa/totp/confirm. */
  async startTotp(session: IdpSession | undefined, csrf: string | undefined): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(csrf, s)) return this.staleForm(s);
    if (!this.recentlyVerified(s)) return this.reverify(s);
    const { factorId, secret } = await this.mfa.startTotp(who(s));
    s.enrolling = factorId;
    return { kind: 'page', page: await this.enrolPage(s, secret) };
  }

  async confirmTotp(session: IdpSession | undefined, form: { csrf?: string; code?: string }): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(form.csrf, s)) return this.staleForm(s);
    const secret = s.enrolling ? await this.mfa.unconfirmedSecret(who(s), s.enrolling) : null;
    if (!s.enrolling || !secret)
      return this.render(s, { notice: { text: 'Start the set-up again: it expired.', error: true }, status: 400 });
    // Wrong confirming codes count against the person like wrong codes at sign-in.
    const wait = await this.mfaThrottle.wait(s.user.id, s.id);
    if (wait.seconds > 0) return { kind: 'page', page: await this.enrolPage(s, secret, 'Too many wrong codes. Try again later.', 429) };
    const codes = await this.mfa.confirmTotp(who(s), s.enrolling, (form.code ?? '').slice(0, 64));
    if (codes === null) {
      await this.mfaThrottle.failed(s.user.id, s.id);
      return {
        kind: 'page',
        page: await this.enrolPage(s, secret, 'That code is not right. Check the key in your app and enter the code it shows now.'),
      };
    }
    await this.mfaThrottle.succeeded(s.user.id, s.id);
    s.enrolling = undefined;
    if (codes.length === 0) return this.render(s, { notice: { text: 'Authenticator app added', error: false } });
    return {
      kind: 'page',
      page: recoveryCodesPage({
        nonce: nonce(),
        csrfToken: s.csrfToken,
        codes,
        continueTo: { href: '/account', label: 'Back to your account' },
        organization: this.organizationOf(s),
      }),
    };
  }

  /** Removes a factor; not the last one while the organisation's policy requires one. */
  async removeFactor(session: IdpSession | undefined, form: { csrf?: string; factorId?: string }): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(form.csrf, s)) return this.staleForm(s);
    if (!this.recentlyVerified(s)) return this.reverify(s);
    const factors = await this.mfa.factors(who(s));
    const factor = factors.find((f) => f.id === form.factorId);
    if (!factor) return this.render(s, { notice: { text: 'That device is not yours or was removed already.', error: true }, status: 404 });
    const others = factors.filter((f) => f.confirmed && f.id !== factor.id);
    if (factor.confirmed && others.length === 0 && (await this.mfa.policy(s.user.organizationId)) === 'required') {
      return this.render(s, {
        notice: { text: 'Your organisation requires a second factor: add another device before you remove this one.', error: true },
        status: 409,
      });
    }
    await this.mfa.remove(who(s), factor.id);
    return this.render(s, { notice: { text: 'Device removed', error: false } });
  }

  /** A new set of recovery codes, shown once; the old set stops working. */
  async regenerateRecoveryCodes(session: IdpSession | undefined, csrf: string | undefined): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(csrf, s)) return this.staleForm(s);
    if (!(await this.mfa.hasConfirmedFactor(who(s)))) {
      return this.render(s, { notice: { text: 'Add a passkey or an authenticator app first.', error: true }, status: 409 });
    }
    if (!this.recentlyVerified(s)) return this.reverify(s);
    const codes = await this.mfa.regenerateRecoveryCodes(who(s));
    return {
      kind: 'page',
      page: recoveryCodesPage({
        nonce: nonce(),
        csrfToken: s.csrfToken,
        codes,
        continueTo: { href: '/account', label: 'Back to your account' },
        organization: this.organizationOf(s),
      }),
    };
  }

  /** Starts adding a passkey: the page that creates it (after a fresh confirmation). */
  async startPasskey(session: IdpSession | undefined, csrf: string | undefined): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(csrf, s)) return this.staleForm(s);
    if (!this.recentlyVerified(s)) return this.reverify(s);
    return { kind: 'page', page: await this.passkeyPage(s) };
  }

  /** The new passkey's answer: checked and stored; the first factor brings recovery codes. */
  async registerPasskey(session: IdpSession | undefined, form: { csrf?: string; credential?: string; name?: string }): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(form.csrf, s)) return this.staleForm(s);
    if (!this.recentlyVerified(s)) return this.reverify(s);
    const nameProblem = passkeyNameProblem(form.name);
    if (nameProblem) return { kind: 'page', page: await this.passkeyPage(s, `Passkey name: ${nameProblem}`, 400) };
    const registered = await this.passkeys.register(s.id, who(s), form.credential, form.name);
    if (!registered.ok) return { kind: 'page', page: await this.passkeyPage(s, registrationRefusal(registered.reason), 400) };
    if (registered.recoveryCodes.length === 0) return this.render(s, { notice: { text: 'Passkey added', error: false } });
    return {
      kind: 'page',
      page: recoveryCodesPage({
        nonce: nonce(),
        csrfToken: s.csrfToken,
        codes: registered.recoveryCodes,
        continueTo: { href: '/account', label: 'Back to your account' },
      }),
    };
  }

  /** A passkey's new name (naming asks no confirmation: it changes no way in). */
  async renamePasskey(session: IdpSession | undefined, form: { csrf?: string; factorId?: string; name?: string }): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(form.csrf, s)) return this.staleForm(s);
    const name = (form.name ?? '').trim();
    const problem = name ? passkeyNameProblem(name) : 'Enter a name.';
    if (problem) return this.render(s, { notice: { text: `Passkey name: ${problem}`, error: true }, status: 400 });
    if (!form.factorId || !(await this.passkeys.rename(who(s), form.factorId, name)))
      return this.render(s, { notice: { text: 'That passkey is not yours or was removed already.', error: true }, status: 404 });
    return this.render(s, { notice: { text: 'Passkey renamed', error: false } });
  }

  /**
   * "Confirm it's you": a passkey, a code (or a recovery code), or the password of a person
   * without a factor. Success lets the person change their factors for IDP_REVERIFY_SECONDS.
   */
  async verify(
    session: IdpSession | undefined,
    form: { csrf?: string; code?: string; password?: string; credential?: string; sourceIp: string },
  ): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(form.csrf, s)) return this.staleForm(s);
    const person = who(s);
    const hasFactor = await this.mfa.hasConfirmedFactor(person);
    const wait = await this.mfaThrottle.wait(s.user.id, s.id);
    if (wait.seconds > 0) {
      this.mfa.rejected(person, wait.reason);
      return this.reverify(s, 'Too many failed attempts. Try again later, or ask your administrator.', 429);
    }
    let ok = false;
    if (form.credential !== undefined && hasFactor) {
      const check = await this.passkeys.authenticate('reverify', s.id, person.organizationId, form.credential, person.userId);
      ok = check.ok;
    } else if (form.code !== undefined && hasFactor) {
      const code = form.code.trim().slice(0, 64);
      ok = code !== '' && (await this.mfa.verify(person, code)) !== null;
      if (!ok) this.mfa.rejected(person, 'wrong_code');
    } else if (form.password !== undefined && !hasFactor) {
      // Without a factor, the password: the directory checks it (and counts a wrong one like a sign-in's).
      const profile = this.fresh.readModel.profile(person.organizationId, person.userId);
      const password = form.password;
      if (profile && password && password.length <= 1024) {
        const answer = await this.bus.request(DirectoryRpc.verifyCredentials, {
          organizationId: person.organizationId,
          username: profile.username,
          password,
          sourceIp: form.sourceIp,
        });
        if (!answer.ok && answer.reason !== 'invalid_credentials') {
          const refusal = signInRefusal(answer, new Date());
          return this.reverify(s, refusal.message, refusal.status);
        }
        ok = answer.ok && answer.userId === person.userId;
      }
      if (!ok) return this.reverify(s, 'The password is wrong.', 401);
    }
    if (!ok) {
      await this.mfaThrottle.failed(s.user.id, s.id);
      return this.reverify(s, hasFactor ? 'That did not confirm it is you. Try again.' : 'The password is wrong.', 401);
    }
    await this.mfaThrottle.succeeded(s.user.id, s.id);
    s.user.verifiedAt = Date.now();
    this.logger.log({ ...person }, 'Re-verified for a change of security devices');
    return this.render(s, {
      notice: {
        text: `Confirmed. You can change your security devices for the next ${minutes(this.config.IDP_REVERIFY_SECONDS)}.`,
        error: false,
      },
    });
  }

  private staleForm(s: SignedIn): SsoOutcome {
    return pageOutcome(
      403,
      'Form expired',
      'The form was stale or forged. Open your account page again and retry.',
      this.organizationOf(s),
    );
  }

  /** What the account pages show of the person's organisation: its name, logo and colour. */
  private organizationOf(s: SignedIn): PageOrganization | null {
    return this.fresh.readModel.organization(s.user.organizationId);
  }

  private recentlyVerified(s: SignedIn): boolean {
    return recentlyVerified(s.user, Date.now(), this.config.IDP_REVERIFY_SECONDS * 1000);
  }

  /** The "Confirm it's you" page: whichever ways the person has. */
  private async reverify(s: SignedIn, error?: string, status?: number): Promise<SsoOutcome> {
    const person = who(s);
    const hasFactor = await this.mfa.hasConfirmedFactor(person);
    const passkeyOptions = (await this.passkeys.hasPasskey(person))
      ? await this.passkeys.authenticationOptions('reverify', s.id, person)
      : undefined;
    const codes = hasFactor && ((await this.mfa.hasTotp(person)) || (await this.mfa.recoveryCodesLeft(person)) > 0);
    return {
      kind: 'page',
      page: reverifyPage({
        nonce: nonce(),
        csrfToken: s.csrfToken,
        passkeyOptions,
        codes,
        password: !hasFactor,
        error,
        status,
        organization: this.organizationOf(s),
      }),
    };
  }

  private async passkeyPage(s: SignedIn, error?: string, status?: number) {
    const profile = this.fresh.readModel.profile(s.user.organizationId, s.user.id);
    const name = profile?.email || profile?.username || s.user.id;
    const displayName = [profile?.firstname, profile?.lastname].filter(Boolean).join(' ') || name;
    return passkeyEnrolPage({
      nonce: nonce(),
      csrfToken: s.csrfToken,
      action: '/account/mfa/passkey',
      options: await this.passkeys.registrationOptions(s.id, who(s), { name, displayName }),
      intro: 'Sign in with your fingerprint, face, PIN or security key instead of a password, or as your second step.',
      error,
      status,
      back: { href: '/account', label: 'Back to your account' },
      organization: this.organizationOf(s),
    });
  }

  private async enrolPage(s: SignedIn, secret: string, error?: string, status?: number) {
    const profile = this.fresh.readModel.profile(s.user.organizationId, s.user.id);
    const account = profile?.email || profile?.username || s.user.id;
    const qrSvg = await QRCode.toString(totpUri(secret, new URL(this.config.IDP_BASE_URL).host, account), { type: 'svg', margin: 2 });
    return mfaEnrolPage({
      nonce: nonce(),
      csrfToken: s.csrfToken,
      action: '/account/mfa/totp/confirm',
      qrSvg,
      secret,
      intro: 'Add a second step to your sign-in: a code from an authenticator app on your phone.',
      error,
      status,
      organization: this.organizationOf(s),
    });
  }

  private async render(
    s: SignedIn,
    extra: { errors?: PasswordFieldErrors; notice?: { text: string; error: boolean }; status?: number } = {},
  ): Promise<SsoOutcome & { kind: 'page' }> {
    const [factors, recoveryCodesLeft] = await Promise.all([this.mfa.factors(who(s)), this.mfa.recoveryCodesLeft(who(s))]);
    // Shown as the read model has it now: the page decides nothing, so it does not wait for freshness.
    const profile = this.fresh.readModel.profile(s.user.organizationId, s.user.id);
    const sessions = (await this.sessions.list(s.user.organizationId, s.user.id, s.id)).map((other) => ({
      createdAt: new Date(other.createdAt),
      lastSeenAt: new Date(other.lastSeenAt),
      current: other.current,
    }));
    return {
      kind: 'page',
      page: accountPage({
        nonce: nonce(),
        csrfToken: s.csrfToken,
        profile: profileRows(profile),
        sessions,
        securityDevices: securityDevicesSection({ csrfToken: s.csrfToken, factors: factors.filter((f) => f.confirmed), recoveryCodesLeft }),
        organization: this.organizationOf(s),
        ...extra,
      }),
    };
  }
}

function minutes(seconds: number): string {
  const m = Math.max(1, Math.round(seconds / 60));
  return m === 1 ? 'minute' : `${m} minutes`;
}

function who(s: SignedIn): { organizationId: string; userId: string } {
  return { organizationId: s.user.organizationId, userId: s.user.id };
}

function signedIn(session: IdpSession | undefined): SignedIn | undefined {
  return session?.user ? (session as SignedIn) : undefined;
}

/** Not signed in: the portal, which says how to sign in. */
function notSignedIn(): SsoOutcome {
  return { kind: 'redirect', location: '/' };
}

function csrfMatches(given: string | undefined, s: IdpSession): boolean {
  if (!given) return false;
  const digest = (v: string) => createHmac('sha256', 'csrf').update(v).digest();
  return digest(given).equals(digest(s.csrfToken));
}
