import { organizationBand, type OrganizationBand, type PageOrganization } from '../sso/branding';
import { escapeHtml, layout, type Page } from '../sso/html';
import { PASSKEYS_SCRIPT_PATH, WEBAUTHN_BROWSER_PATH } from './passkey-script';

/** `band`: the organisation's (branding.ts); its logo's origin is the only one images may come from. */
const csp = (nonce: string, band?: OrganizationBand) =>
  `default-src 'none';${band?.imgSrc ?? ''} style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
/** A page with a passkey ceremony: the two same-origin scripts, nothing inline. */
export const passkeyCsp = (nonce: string, band?: OrganizationBand) =>
  `default-src 'none'; script-src 'self';${band?.imgSrc ?? ''} style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
export const PASSKEY_SCRIPTS = `<script src="${WEBAUTHN_BROWSER_PATH}" defer></script><script src="${PASSKEYS_SCRIPT_PATH}" defer></script>`;

/**
 * A form that runs a passkey ceremony (passkey-script.ts): hidden until the script finds WebAuthn
 * in the browser; `options` are the server's, with a challenge bound to this session.
 */
export function passkeyForm(opts: {
  id: string;
  mode: 'register' | 'authenticate';
  action: string;
  csrfToken: string;
  options: unknown;
  button: string;
  /** Also offer the passkeys in the username field's autofill (conditional UI). */
  autofill?: boolean;
  /** A field for the passkey's name (registration). */
  nameField?: boolean;
  /** A sentence before the button, hidden with the form where there are no passkeys. */
  lead?: string;
}): string {
  const name = opts.nameField
    ? `<label for="${opts.id}-name">Name this passkey (optional)</label><input id="${opts.id}-name" name="name" maxlength="64" autocomplete="off" placeholder="For example: Work laptop">`
    : '';
  return `<form id="${opts.id}" method="post" action="${escapeHtml(opts.action)}" data-passkey="${opts.mode}"${opts.autofill ? ' data-autofill' : ''} data-options="${escapeHtml(JSON.stringify(opts.options))}" hidden>${csrfField(opts.csrfToken)}<input type="hidden" name="credential" value="">${opts.lead ? `<p class="muted">${escapeHtml(opts.lead)}</p>` : ''}${name}<button type="submit">${escapeHtml(opts.button)}</button><p class="error" data-passkey-error role="alert" hidden></p></form>`;
}
const csrfField = (token: string) => `<input type="hidden" name="csrf" value="${escapeHtml(token)}">`;
const MFA_STYLE =
  '.qr svg{width:12rem;height:12rem}.secret{font-family:monospace;font-size:1.1rem;overflow-wrap:anywhere}.codes{font-family:monospace;font-size:1.1rem}';

/** The field for a six-digit code: numeric keypad on phones, and the browser may fill it from an authenticator. */
function codeField(opts: { label: string; hint?: string; error?: string }): string {
  const described = [opts.hint ? 'code-hint' : '', opts.error ? 'code-error' : ''].filter(Boolean).join(' ');
  return `<label for="code">${escapeHtml(opts.label)}</label>${opts.hint ? `<p class="muted" id="code-hint">${escapeHtml(opts.hint)}</p>` : ''}
<input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]*" maxlength="8" required autofocus${
    described ? ` aria-describedby="${described}"` : ''
  }${opts.error ? ' aria-invalid="true"' : ''}>${opts.error ? `<p class="error" id="code-error" role="alert">${escapeHtml(opts.error)}</p>` : ''}`;
}

/**
 * The second step of a sign-in: a code from the authenticator app (a numeric field), or, behind
 * "Use a recovery code", a recovery code in a text field of its own (letters: no numeric keypad).
 * Both post `code`; the server tells them apart.
 */
export function mfaCodePage(opts: {
  nonce: string;
  csrfToken: string;
  applicationName: string;
  /** Beside the app code's field. */
  error?: string;
  /** Beside the recovery code's field, shown open: the person used that form, not the app's. */
  recoveryError?: string;
  status?: number;
  /** Authentication options when the person has a passkey: "Use your passkey" comes first. */
  passkeyOptions?: unknown;
  /** Offer the code fields (an authenticator app's code, a recovery code): false when only a passkey will do. */
  codes?: boolean;
  /** The person has an authenticator app: false leaves only the recovery code field (a person with passkeys alone). */
  app?: boolean;
  /** The organisation signed into (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const codes = opts.codes ?? true;
  const app = opts.app ?? true;
  const passkey = opts.passkeyOptions
    ? passkeyForm({
        id: 'passkey',
        mode: 'authenticate',
        action: '/login/passkey',
        csrfToken: opts.csrfToken,
        options: opts.passkeyOptions,
        button: 'Use your passkey',
      })
    : '';
  const intro = codes
    ? ''
    : `<p>${escapeHtml(opts.applicationName)} asks for a passkey: a code from an app or a recovery code is not enough for it.</p>${
        opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : ''
      }`;
  const appForm = app
    ? `<form method="post" action="/login/mfa">${csrfField(opts.csrfToken)}
${codeField({ label: 'Code from your authenticator app', hint: 'Six digits, from the app on your phone.', error: opts.error })}
<button type="submit">Verify</button></form>`
    : opts.error
      ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>`
      : '';
  const recoveryInvalid = opts.recoveryError ? ' aria-invalid="true" aria-describedby="recovery-code-error"' : '';
  const recoveryError = opts.recoveryError
    ? `<p class="error" id="recovery-code-error" role="alert">${escapeHtml(opts.recoveryError)}</p>`
    : '';
  const codeForms = codes
    ? `${appForm}
<details${opts.recoveryError ? ' open' : ''}><summary>Lost your device? Use a recovery code</summary>
<form method="post" action="/login/mfa">${csrfField(opts.csrfToken)}
<label for="recovery-code">Recovery code</label><input id="recovery-code" name="code" autocomplete="off" autocapitalize="none" spellcheck="false" required${recoveryInvalid}>${recoveryError}
<button type="submit">Use recovery code</button></form></details>`
    : '';
  const html = layout(
    codes ? 'Enter your code' : 'Use your passkey',
    opts.nonce,
    `${band.html}<h1>${codes ? 'Enter your code' : 'Use your passkey'}</h1><p class="muted">to continue to ${escapeHtml(opts.applicationName)}</p>${intro}
${passkey}${codeForms}${passkey ? PASSKEY_SCRIPTS : ''}`,
    band.style,
  );
  return {
    status: opts.error || opts.recoveryError ? (opts.status ?? 401) : 200,
    html,
    csp: passkey ? passkeyCsp(opts.nonce, band) : csp(opts.nonce, band),
  };
}

/**
 * Creating a passkey: at sign-in (the person must enrol a factor, or the application needs a
 * passkey) or from the account page. `alternative`: a way to set up an authenticator app instead.
 */
export function passkeyEnrolPage(opts: {
  nonce: string;
  csrfToken: string;
  action: string;
  options: unknown;
  intro: string;
  error?: string;
  status?: number;
  alternative?: { action: string; label: string };
  back?: { href: string; label: string };
  /** The organisation signed into (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const alternative = opts.alternative
    ? `<form method="post" action="${escapeHtml(opts.alternative.action)}">${csrfField(opts.csrfToken)}<p class="muted">No passkey on this device?</p><button type="submit">${escapeHtml(opts.alternative.label)}</button></form>`
    : '';
  const html = layout(
    'Create a passkey',
    opts.nonce,
    `${band.html}<h1>Create a passkey</h1><p>${escapeHtml(opts.intro)}</p>
<p class="muted">Your device will ask for your fingerprint, face, PIN or security key. A passkey works only on this site, so a look-alike site cannot use it.</p>
${opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : ''}
<noscript><p class="error">Creating a passkey needs JavaScript.</p></noscript>
${passkeyForm({ id: 'passkey', mode: 'register', action: opts.action, csrfToken: opts.csrfToken, options: opts.options, button: 'Create a passkey', nameField: true })}
${alternative}${opts.back ? `<p><a href="${escapeHtml(opts.back.href)}">${escapeHtml(opts.back.label)}</a></p>` : ''}${PASSKEY_SCRIPTS}`,
    band.style,
  );
  return { status: opts.error ? (opts.status ?? 400) : 200, html, csp: passkeyCsp(opts.nonce, band) };
}

/**
 * "Confirm it's you" before a change of factors: a passkey, a code from the app (or a recovery
 * code), or the password when the person has no factor. Each posts to /account/verify.
 */
export function reverifyPage(opts: {
  nonce: string;
  csrfToken: string;
  passkeyOptions?: unknown;
  codes: boolean;
  password: boolean;
  error?: string;
  status?: number;
  /** The organisation signed into (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const passkey = opts.passkeyOptions
    ? passkeyForm({
        id: 'passkey',
        mode: 'authenticate',
        action: '/account/verify',
        csrfToken: opts.csrfToken,
        options: opts.passkeyOptions,
        button: 'Confirm with your passkey',
      })
    : '';
  const code = opts.codes
    ? `<form method="post" action="/account/verify">${csrfField(opts.csrfToken)}
${codeField({ label: 'Code from your authenticator app, or a recovery code', error: opts.password ? undefined : opts.error })}
<button type="submit">Confirm</button></form>`
    : '';
  const passwordError = opts.password ? opts.error : undefined;
  const password = opts.password
    ? `<form method="post" action="/account/verify">${csrfField(opts.csrfToken)}
<label for="password">Your password</label><input id="password" name="password" type="password" autocomplete="current-password" required${
        passwordError ? ' aria-invalid="true" aria-describedby="password-error"' : ''
      }>${passwordError ? `<p class="error" id="password-error" role="alert">${escapeHtml(passwordError)}</p>` : ''}
<button type="submit">Confirm</button></form>`
    : '';
  const generalError = opts.error && !opts.codes && !opts.password ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  const html = layout(
    "Confirm it's you",
    opts.nonce,
    `${band.html}<h1>Confirm it's you</h1><p>Changing your security devices needs a fresh confirmation first.</p>${generalError}
${passkey}${code}${password}<p><a href="/account">Back to your account</a></p>${passkey ? PASSKEY_SCRIPTS : ''}`,
    band.style,
  );
  return { status: opts.error ? (opts.status ?? 401) : 200, html, csp: passkey ? passkeyCsp(opts.nonce, band) : csp(opts.nonce, band) };
}

/** Setting up an authenticator app: the QR code, the secret typed out for who cannot scan, and a code to confirm. */
export function mfaEnrolPage(opts: {
  nonce: string;
  csrfToken: string;
  /** Where the confirming code is posted. */
  action: string;
  qrSvg: string;
  secret: string;
  intro: string;
  error?: string;
  status?: number;
  /** At sign-in: creating a passkey instead, offered first. */
  passkey?: { action: string; options: unknown };
  /** The organisation signed into (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const passkey = opts.passkey
    ? `<div data-passkey-section hidden><h2>Use a passkey</h2><p class="muted">Your device will ask for your fingerprint, face, PIN or security key.</p>${passkeyForm(
        {
          id: 'passkey',
          mode: 'register',
          action: opts.passkey.action,
          csrfToken: opts.csrfToken,
          options: opts.passkey.options,
          button: 'Create a passkey',
          nameField: true,
        },
      )}<h2>Or use an authenticator app</h2></div>`
    : '';
  const grouped = opts.secret.replace(/(.{4})/g, '$1 ').trim();
  const html = layout(
    'Set up an authenticator app',
    opts.nonce,
    `${band.html}<h1>${opts.passkey ? 'Set up a second step' : 'Set up an authenticator app'}</h1><p>${escapeHtml(opts.intro)}</p>${passkey}
<ol><li>Scan this QR code with your authenticator app.<div class="qr" role="img" aria-label="QR code of your authenticator key">${opts.qrSvg}</div></li>
<li>Cannot scan? Type this key into the app instead: <p class="secret" id="secret">${escapeHtml(grouped)}</p></li>
<li>Enter the six-digit code the app shows.</li></ol>
<form method="post" action="${escapeHtml(opts.action)}">${csrfField(opts.csrfToken)}
${codeField({ label: 'Code from your authenticator app', error: opts.error })}
<button type="submit">Confirm</button></form>${opts.passkey ? PASSKEY_SCRIPTS : ''}`,
    MFA_STYLE + band.style,
  );
  return {
    status: opts.error ? (opts.status ?? 400) : 200,
    html,
    csp: opts.passkey ? passkeyCsp(opts.nonce, band) : csp(opts.nonce, band),
  };
}

/** Recovery codes, shown once; `continueTo`: a form that carries the sign-in on, or a link. */
export function recoveryCodesPage(opts: {
  nonce: string;
  csrfToken: string;
  codes: readonly string[];
  continueTo: { action: string; label: string } | { href: string; label: string };
  /** The organisation signed into (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const next =
    'href' in opts.continueTo
      ? `<p><a href="${escapeHtml(opts.continueTo.href)}">${escapeHtml(opts.continueTo.label)}</a></p>`
      : `<form method="post" action="${escapeHtml(opts.continueTo.action)}">${csrfField(opts.csrfToken)}<button type="submit">${escapeHtml(opts.continueTo.label)}</button></form>`;
  const html = layout(
    'Your recovery codes',
    opts.nonce,
    `${band.html}<h1>Your recovery codes</h1>
<p>Each code signs you in once if you lose your authenticator app. Keep them somewhere safe: they are shown only now.</p>
<ul class="codes" aria-label="Recovery codes">${opts.codes.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>
${next}`,
    MFA_STYLE + band.style,
  );
  return { status: 200, html, csp: csp(opts.nonce, band) };
}

/**
 * The account page's "Security devices": the person's factors (passkeys by the name they gave,
 * renamable), each removable, adding a passkey or an app, and recovery codes. Adding, removing
 * and new recovery codes ask for a fresh confirmation first (AccountService).
 */
export function securityDevicesSection(opts: {
  csrfToken: string;
  factors: readonly { id: string; kind: 'totp' | 'webauthn'; name: string | null; createdAt: Date; lastUsedAt: Date | null }[];
  recoveryCodesLeft: number;
}): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  let apps = 0;
  const rows = opts.factors
    .map((f) => {
      const label = f.kind === 'webauthn' ? `Passkey “${f.name ?? 'Passkey'}”` : 'Authenticator app';
      const named = f.kind === 'webauthn' ? `passkey “${f.name ?? 'Passkey'}”` : `authenticator app ${++apps}`;
      const when = `added ${escapeHtml(day(f.createdAt))}${f.lastUsedAt ? `, last used ${escapeHtml(day(f.lastUsedAt))}` : ''}`;
      const rename =
        f.kind === 'webauthn'
          ? `<details><summary>Rename ${escapeHtml(named)}</summary><form method="post" action="/account/mfa/passkey/rename">${csrfField(opts.csrfToken)}<input type="hidden" name="factorId" value="${escapeHtml(f.id)}"><label for="name-${escapeHtml(f.id)}">New name</label><input id="name-${escapeHtml(f.id)}" name="name" maxlength="64" required value="${escapeHtml(f.name ?? '')}"><button type="submit">Save name</button></form></details>`
          : '';
      return `<li>${escapeHtml(label)}, ${when}
<form method="post" action="/account/mfa/remove">${csrfField(opts.csrfToken)}<input type="hidden" name="factorId" value="${escapeHtml(f.id)}"><button type="submit" aria-label="Remove ${escapeHtml(named)}">Remove</button></form>${rename}</li>`;
    })
    .join('');
  const list =
    opts.factors.length > 0
      ? `<ul id="factors">${rows}</ul>`
      : '<p class="muted">No second factor yet: your password alone signs you in.</p>';
  const recovery =
    opts.factors.length > 0
      ? `<p>${opts.recoveryCodesLeft} recovery code${opts.recoveryCodesLeft === 1 ? '' : 's'} left.</p>
<form method="post" action="/account/mfa/recovery-codes">${csrfField(opts.csrfToken)}<button type="submit">Make new recovery codes</button></form>`
      : '';
  return `<h2>Security devices</h2>${list}
<form method="post" action="/account/mfa/passkey/start">${csrfField(opts.csrfToken)}<button type="submit">Add a passkey</button></form>
<form method="post" action="/account/mfa/totp">${csrfField(opts.csrfToken)}<button type="submit">Add an authenticator app</button></form>${recovery}`;
}
