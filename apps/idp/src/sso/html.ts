import { PORTAL_COLOR } from '@jit/catalog-contracts';
import { organizationBand, type PageOrganization } from './branding';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface Page {
  status: number;
  html: string;
  /** Content-Security-Policy for this page; always without 'unsafe-inline'. */
  csp: string;
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1f2933}' +
  'h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}' +
  'button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00020}.muted{color:#616e7c;font-size:.9rem}';

/** `style`: rules of this page only, added to the shared ones under the same nonce (no inline style attributes: the CSP refuses them). */
export function layout(title: string, nonce: string, body: string, style = ''): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}${style}</style></head><body>${body}</body></html>`;
}

export function loginPage(opts: {
  nonce: string;
  csrfToken: string;
  applicationName: string;
  error?: string;
  username?: string;
  /** The status with an error; 401 unless given. */
  status?: number;
  /** The browser is already signed in here: offer to end that session and sign in as someone else. */
  signedIn?: boolean;
  /**
   * Passwordless sign-in: authentication options (PasskeysService) for the "Sign in with a
   * passkey" button and the username field's autofill (conditional UI).
   */
  passkey?: { form: string; scripts: string };
  /** The organisation signed into: its name, logo and colour (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  const anotherAccount = opts.signedIn
    ? `<form method="post" action="/login/another-account"><input type="hidden" name="csrf" value="${escapeHtml(opts.csrfToken)}">
<p class="muted">This browser is already signed in here.</p><button type="submit">Not you? Use another account</button></form>`
    : '';
  const html = layout(
    'Sign in',
    opts.nonce,
    `${band.html}<h1>Sign in</h1><p class="muted">to continue to ${escapeHtml(opts.applicationName)}</p>${error}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="${escapeHtml(opts.csrfToken)}">
<label for="username">Username or email</label><input id="username" name="username" autocomplete="${opts.passkey ? 'username webauthn' : 'username'}" required value="${escapeHtml(opts.username ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>${opts.passkey?.form ?? ''}${anotherAccount}${opts.passkey?.scripts ?? ''}`,
    band.style,
  );
  return {
    status: opts.error ? (opts.status ?? 401) : 200,
    html,
    // The passkey's two scripts are the IdP's own files (script-src 'self'); nothing inline runs.
    csp: `default-src 'none';${opts.passkey ? " script-src 'self';" : ''}${band.imgSrc} style-src 'nonce-${opts.nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  };
}

/** A way forward from a page that cannot go on: a sentence, and a link to follow. */
export interface PageAction {
  note: string;
  href: string;
  label: string;
}

export function errorPage(opts: {
  nonce: string;
  status: number;
  title: string;
  message: string;
  action?: PageAction;
  /** The organisation, when the page knows it (a session's, or the application's): its name, logo and colour (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const action = opts.action
    ? `<p>${escapeHtml(opts.action.note)}</p><p><a href="${escapeHtml(opts.action.href)}">${escapeHtml(opts.action.label)}</a></p>`
    : '';
  return {
    status: opts.status,
    html: layout(
      opts.title,
      opts.nonce,
      `${band.html}<h1>${escapeHtml(opts.title)}</h1><p>${escapeHtml(opts.message)}</p>${action}`,
      band.style,
    ),
    csp: `default-src 'none';${band.imgSrc} style-src 'nonce-${opts.nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  };
}

/**
 * The HTTP-POST binding page: a form to the registered ACS URL, submitted by a script allowed
 * by nonce. Every value is attribute-escaped, except the SAMLResponse: it is base64 made here
 * (A-Z, a-z, 0-9, "+", "/", "="), which has nothing to escape, and at 5-10 KB a scan for what
 * is not there costs more than the rest of the page. RelayState is echoed byte for byte.
 */
export function autoPostPage(opts: { nonce: string; acsUrl: string; responseXml: string; relayState: string | null }): Page {
  const relay = opts.relayState === null ? '' : `<input type="hidden" name="RelayState" value="${escapeHtml(opts.relayState)}">`;
  const html = layout(
    // ASCII only, as is all the page holds of its own: one character past U+00FF would make the
    // whole page (base64 response included) a two-byte string, which costs three times as much
    // to measure and encode for the socket.
    'Signing in',
    opts.nonce,
    `<form method="post" action="${escapeHtml(opts.acsUrl)}" id="saml">
<input type="hidden" name="SAMLResponse" value="${Buffer.from(opts.responseXml, 'utf8').toString('base64')}">${relay}
<noscript><button type="submit">Continue</button></noscript></form>
<script nonce="${opts.nonce}">document.getElementById('saml').submit();</script>`,
  );
  const origin = new URL(opts.acsUrl).origin;
  return {
    status: 200,
    html,
    csp: `default-src 'none'; script-src 'nonce-${opts.nonce}'; style-src 'nonce-${opts.nonce}'; form-action ${origin}; frame-ancestors 'none'; base-uri 'none'`,
  };
}

const TILE_STYLE =
  '.tiles{list-style:none;padding:0}.tile{border:1px solid #cbd2d9;border-left:.4rem solid #cbd2d9;border-radius:.3rem;' +
  'margin:.5rem 0;padding:.6rem .8rem}.tile a{font-weight:600}';

/** A portal tile as portal-tiles.ts decides it; the colour must already be a checked hex colour. */
export interface PortalTileView {
  label: string;
  href: string | null;
  color: string | null;
}

/**
 * The user portal: who is signed in, a tile per application they may open (a link, or a note
 * that the application must be opened from itself), and a sign-out button. A tile's colour is a
 * rule of the page's own stylesheet, since the CSP allows no style attribute.
 */
export function portalPage(opts: {
  nonce: string;
  csrfToken: string;
  signedInAs: string;
  tiles: readonly PortalTileView[];
  /** Origins the Sign out button's POST is redirected to (signOutFormTargets). */
  signOutTargets?: readonly string[];
  /** The person's organisation: its name, logo and colour (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const colors = opts.tiles.map((t, i) => (t.color && PORTAL_COLOR.test(t.color) ? `.t${i}{border-left-color:${t.color}}` : '')).join('');
  const tile = (t: PortalTileView, i: number) =>
    t.href === null
      ? `<li class="tile t${i}">${escapeHtml(t.label)} <span class="muted">(open it from the application itself)</span></li>`
      : `<li class="tile t${i}"><a href="${escapeHtml(t.href)}">${escapeHtml(t.label)}</a></li>`;
  const list =
    opts.tiles.length === 0
      ? '<p class="muted">No applications are assigned to you yet.</p>'
      : `<ul class="tiles">${opts.tiles.map(tile).join('')}</ul>`;
  return {
    status: 200,
    html: layout(
      'Your applications',
      opts.nonce,
      `${band.html}<h1>Your applications</h1><p class="muted">Signed in as ${escapeHtml(opts.signedInAs)} · <a href="/account">Your account</a></p>${anotherAccountForm(opts.csrfToken)}${list}${signOutForm(opts.csrfToken)}`,
      TILE_STYLE + colors + band.style,
    ),
    csp: `default-src 'none';${band.imgSrc} style-src 'nonce-${opts.nonce}'; frame-ancestors 'none'; base-uri 'none'; ${signOutFormAction(opts.signOutTargets)}`,
  };
}

/** A session as the account page lists it. */
export interface AccountSessionView {
  createdAt: Date;
  lastSeenAt: Date;
  /** The session of the browser looking at the page. */
  current: boolean;
}

/** Field errors of the change-password form, beside their fields. */
export interface PasswordFieldErrors {
  currentPassword?: string;
  newPassword?: string;
  repeatPassword?: string;
}

const ACCOUNT_STYLE = 'dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}.notice{color:#0b6e4f}';

/**
 * The account page (GET /account): the profile as the read model has it, the change-password form
 * (errors beside their fields; a password is never written back into the page), this person's
 * sessions (on every IdP instance) with "this browser" marked, and a link back to the portal.
 */
export function accountPage(opts: {
  nonce: string;
  csrfToken: string;
  profile: readonly (readonly [label: string, value: string])[];
  sessions: readonly AccountSessionView[];
  errors?: PasswordFieldErrors;
  /** The "Security devices" section, rendered (mfa-pages.ts). */
  securityDevices?: string;
  /** A sentence above the form: what just happened ("Password changed"), or why the change failed. */
  notice?: { text: string; error: boolean };
  status?: number;
  /** The person's organisation: its name, logo and colour (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const errors = opts.errors ?? {};
  const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(opts.csrfToken)}">`;
  const profile =
    opts.profile.length === 0
      ? '<p class="muted">Your profile is not available yet.</p>'
      : `<dl>${opts.profile.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`;
  const passwordField = (name: keyof PasswordFieldErrors, label: string, autocomplete: string) => {
    const error = errors[name];
    const errorId = `${name}-error`;
    return (
      `<label for="${name}">${escapeHtml(label)}</label>` +
      `<input id="${name}" name="${name}" type="password" autocomplete="${autocomplete}" required${error ? ` aria-invalid="true" aria-describedby="${errorId}"` : ''}>` +
      (error ? `<p class="error" id="${errorId}">${escapeHtml(error)}</p>` : '')
    );
  };
  const notice = opts.notice
    ? `<p class="${opts.notice.error ? 'error' : 'notice'}" role="${opts.notice.error ? 'alert' : 'status'}">${escapeHtml(opts.notice.text)}</p>`
    : '';
  const time = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const sessionRows = opts.sessions
    .map(
      (s) =>
        `<li>Signed in ${escapeHtml(time(s.createdAt))}, last used ${escapeHtml(time(s.lastSeenAt))}${s.current ? ' <strong>(this browser)</strong>' : ''}</li>`,
    )
    .join('');
  const others = opts.sessions.some((s) => !s.current)
    ? `<form method="post" action="/account/sessions/end-others">${csrf}<button type="submit">Sign out everywhere else</button></form>`
    : '<p class="muted">You are signed in nowhere else on this server.</p>';
  const html = layout(
    'Your account',
    opts.nonce,
    `${band.html}<h1>Your account</h1><p><a href="/">Back to your applications</a></p>${notice}
<h2>Profile</h2>${profile}
<h2>Change password</h2>
<form method="post" action="/account/password">${csrf}
${passwordField('currentPassword', 'Current password', 'current-password')}
${passwordField('newPassword', 'New password', 'new-password')}
${passwordField('repeatPassword', 'Repeat the new password', 'new-password')}
<button type="submit">Change password</button></form>${opts.securityDevices ?? ''}
<h2>Your sessions</h2><ul id="sessions">${sessionRows}</ul>${others}`,
    ACCOUNT_STYLE + band.style,
  );
  return {
    status: opts.status ?? 200,
    html,
    csp: `default-src 'none';${band.imgSrc} style-src 'nonce-${opts.nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
  };
}

/**
 * "Not you?": ends this browser's IdP session (not the applications') and opens the login form
 * for someone else. A button, not a link: it changes state, with the CSRF token.
 */
function anotherAccountForm(csrfToken: string): string {
  return `<form method="post" action="/login/another-account"><input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}"><button type="submit">Not you? Use another account</button></form>`;
}

/**
 * The CSP form-action of a page with the Sign out button: the IdP, and the origins the sign-out's
 * redirects lead to (a browser checks each redirect after a form POST against it). Origins only,
 * from URLs checked when they were registered and again by sloUrlOf.
 */
function signOutFormAction(targets: readonly string[] = []): string {
  return `form-action ${["'self'", ...targets.filter((t) => /^https?:\/\/[^\s;,']+$/.test(t))].join(' ')}`;
}

/** POST /logout with the session's CSRF token: a sign-out no other site can trigger. */
function signOutForm(csrfToken: string): string {
  return `<form method="post" action="/logout"><input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}"><button type="submit">Sign out</button></form>`;
}

const list = (items: readonly string[]): string => `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;

/** The sign-out page (GET /logout): what signing out will end, and the button that does it. */
export function signOutPage(opts: {
  nonce: string;
  csrfToken: string;
  applications: readonly string[];
  skipped: readonly string[];
  /** Origins the Sign out button's POST is redirected to (signOutFormTargets). */
  signOutTargets?: readonly string[];
  /** The person's organisation: its name, logo and colour (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const ends =
    opts.applications.length === 0
      ? '<p>Signing out ends your session here.</p>'
      : `<p>Signing out ends your session here and in:</p>${list(opts.applications)}`;
  const skipped =
    opts.skipped.length === 0
      ? ''
      : `<p class="muted">These applications cannot be signed out from here; sign out in each of them:</p>${list(opts.skipped)}`;
  return {
    status: 200,
    html: layout('Sign out', opts.nonce, `${band.html}<h1>Sign out</h1>${ends}${skipped}${signOutForm(opts.csrfToken)}`, band.style),
    csp: `default-src 'none';${band.imgSrc} style-src 'nonce-${opts.nonce}'; frame-ancestors 'none'; base-uri 'none'; ${signOutFormAction(opts.signOutTargets)}`,
  };
}

/** The end of a sign-out: what was signed out, what did not confirm, what may still be signed in. */
export function signedOutPage(opts: {
  nonce: string;
  signedOut: readonly string[];
  unconfirmed: readonly string[];
  skipped: readonly string[];
  signInHref: string;
  /** The organisation signed out of: its name, logo and colour (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const parts = [
    band.html,
    '<h1>You are signed out</h1>',
    opts.signedOut.length === 0 ? '' : `<p>Also signed out of:</p>${list(opts.signedOut)}`,
    opts.unconfirmed.length === 0
      ? ''
      : `<p class="error">These applications did not confirm the sign-out; you may still be signed in there:</p>${list(opts.unconfirmed)}`,
    opts.skipped.length === 0
      ? ''
      : `<p class="muted">These applications cannot be signed out from here, so you may still be signed in there; sign out in each of them:</p>${list(opts.skipped)}`,
    `<p><a href="${escapeHtml(opts.signInHref)}">Sign in again</a></p>`,
  ];
  return {
    status: 200,
    html: layout('Signed out', opts.nonce, parts.join(''), band.style),
    csp: `default-src 'none';${band.imgSrc} style-src 'nonce-${opts.nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  };
}
