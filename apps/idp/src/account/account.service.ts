import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DirectoryRpc } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { FreshReadModel } from '../common/fresh-read-model';
import { nonce, pageOutcome, type SsoOutcome } from '../common/outcome';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import { accountPage, type PasswordFieldErrors } from '../sso/html';
import { signInRefusal } from '../login/sign-in-messages';
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
 * the directory over NATS) and their sessions. The page lists the sessions this instance holds;
 * "everywhere else" ends every other signed-in session of the person on every IdP instance
 * (SessionStore, with the shared store).
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly fresh: FreshReadModel,
    private readonly sessions: SessionStore,
    private readonly bus: NatsBus,
  ) {}

  page(session: IdpSession | undefined): SsoOutcome {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    return this.render(s);
  }

  async changePassword(session: IdpSession | undefined, form: PasswordChangeForm): Promise<SsoOutcome> {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(form.csrf, s)) return staleForm();
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
    this.sessions.endOthers(s.user.organizationId, s.user.id, s.id);
    // And this browser's session gets a new id, so an id seen before the change is worth nothing.
    const renewed = signedIn(this.sessions.regenerate(s))!;
    return { ...this.render(renewed, { notice: { text: 'Password changed', error: false } }), session: renewed };
  }

  endOthers(session: IdpSession | undefined, csrf: string | undefined): SsoOutcome {
    const s = signedIn(session);
    if (!s) return notSignedIn();
    if (!csrfMatches(csrf, s)) return staleForm();
    const ended = this.sessions.endOthers(s.user.organizationId, s.user.id, s.id);
    return this.render(s, { notice: { text: `Signed out of ${ended} other session${ended === 1 ? '' : 's'}.`, error: false } });
  }

  private render(
    s: SignedIn,
    extra: { errors?: PasswordFieldErrors; notice?: { text: string; error: boolean }; status?: number } = {},
  ): SsoOutcome & { kind: 'page' } {
    // Shown as the read model has it now: the page decides nothing, so it does not wait for freshness.
    const profile = this.fresh.readModel.profile(s.user.organizationId, s.user.id);
    const sessions = this.sessions.sessionsOf(s.user.organizationId, s.user.id).map((other) => ({
      createdAt: new Date(other.createdAt),
      lastSeenAt: new Date(other.lastSeenAt),
      current: other.id === s.id,
    }));
    return {
      kind: 'page',
      page: accountPage({ nonce: nonce(), csrfToken: s.csrfToken, profile: profileRows(profile), sessions, ...extra }),
    };
  }
}

function signedIn(session: IdpSession | undefined): SignedIn | undefined {
  return session?.user ? (session as SignedIn) : undefined;
}

/** Not signed in: the portal, which says how to sign in. */
function notSignedIn(): SsoOutcome {
  return { kind: 'redirect', location: '/' };
}

function staleForm(): SsoOutcome {
  return pageOutcome(403, 'Form expired', 'The form was stale or forged. Open your account page again and retry.');
}

function csrfMatches(given: string | undefined, s: IdpSession): boolean {
  if (!given) return false;
  const digest = (v: string) => createHmac('sha256', 'csrf').update(v).digest();
  return digest(given).equals(digest(s.csrfToken));
}
