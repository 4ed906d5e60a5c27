import type { DirectoryRpc } from '@jit/directory-contracts';
import type { ResponseOf } from '@jit/messaging';

/** The directory's answer to a password check that did not let the person in. */
export type RefusedCheck = Extract<ResponseOf<typeof DirectoryRpc.verifyCredentials>, { ok: false }>;

/** What the login page says, and with which status, when a sign-in is refused. */
export interface SignInRefusal {
  status: number;
  message: string;
}

/** Too many attempts from one address (or session): the IdP's throttle and the directory's say the same. */
export function throttledMessage(waitSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(waitSeconds / 60));
  return `Too many sign-in attempts from your network. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

/**
 * `at` as a person reads it on the page: the minute it ends, rounded up (so that trying again
 * then works), in UTC, with the date when that is another day than `now`.
 */
export function retryTime(at: Date, now: Date): string {
  const minute = new Date(Math.ceil(at.getTime() / 60_000) * 60_000).toISOString();
  const sameDay = minute.slice(0, 10) === now.toISOString().slice(0, 10);
  return `${sameDay ? '' : `${minute.slice(0, 10)} `}${minute.slice(11, 16)} UTC`;
}

/**
 * The page for each refusal. Wrong password and unknown login name read alike (the directory
 * answers them alike, and an unknown name backs off as an account does, so the locked page is the
 * same too). The account's state is told only after the right password: the directory answers
 * `not_active` only then.
 */
export function signInRefusal(answer: RefusedCheck, now: Date): SignInRefusal {
  const retryAfter = answer.retryAfter === undefined ? undefined : new Date(answer.retryAfter);
  switch (answer.reason) {
    case 'invalid_credentials':
      return { status: 401, message: 'Wrong username or password.' };
    case 'locked_out':
      return {
        status: 429,
        message: `Too many failed sign-ins. Try again ${retryAfter ? `after ${retryTime(retryAfter, now)}` : 'later'}, or ask your administrator.`,
      };
    case 'throttled':
      // The directory's source throttle counts by the minute: without a time, a minute it is.
      return { status: 429, message: throttledMessage(retryAfter ? (retryAfter.getTime() - now.getTime()) / 1000 : 60) };
    case 'not_active':
      return {
        status: 403,
        message:
          answer.state === 'SUSPENDED'
            ? 'Your account is suspended. Ask your administrator.'
            : answer.state === 'STAGED'
              ? 'Your account is not active yet. Ask your administrator.'
              : 'Your account is not active. Ask your administrator.',
      };
  }
}
