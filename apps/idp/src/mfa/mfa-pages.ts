import { organizationBand, type OrganizationBand, type PageOrganization } from '../sso/branding';
import { escapeHtml, layout, type Page } from '../sso/html';

/** `band`: the organisation's (branding.ts); its logo's origin is the only one images may come from. */
const csp = (nonce: string, band: OrganizationBand) =>
  `default-src 'none';${band.imgSrc} style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
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
  /** The organisation signed into (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const recoveryInvalid = opts.recoveryError ? ' aria-invalid="true" aria-describedby="recovery-code-error"' : '';
  const recoveryError = opts.recoveryError
    ? `<p class="error" id="recovery-code-error" role="alert">${escapeHtml(opts.recoveryError)}</p>`
    : '';
  const html = layout(
    'Enter your code',
    opts.nonce,
    `${band.html}<h1>Enter your code</h1><p class="muted">to continue to ${escapeHtml(opts.applicationName)}</p>
<form method="post" action="/login/mfa">${csrfField(opts.csrfToken)}
${codeField({ label: 'Code from your authenticator app', hint: 'Six digits, from the app on your phone.', error: opts.error })}
<button type="submit">Verify</button></form>
<details${opts.recoveryError ? ' open' : ''}><summary>Lost your device? Use a recovery code</summary>
<form method="post" action="/login/mfa">${csrfField(opts.csrfToken)}
<label for="recovery-code">Recovery code</label><input id="recovery-code" name="code" autocomplete="off" autocapitalize="none" spellcheck="false" required${recoveryInvalid}>${recoveryError}
<button type="submit">Use recovery code</button></form></details>`,
    band.style,
  );
  return { status: opts.error || opts.recoveryError ? (opts.status ?? 401) : 200, html, csp: csp(opts.nonce, band) };
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
  /** The organisation signed into (branding.ts). */
  organization?: PageOrganization | null;
}): Page {
  const band = organizationBand(opts.organization);
  const grouped = opts.secret.replace(/(.{4})/g, '$1 ').trim();
  const html = layout(
    'Set up an authenticator app',
    opts.nonce,
    `${band.html}<h1>Set up an authenticator app</h1><p>${escapeHtml(opts.intro)}</p>
<ol><li>Scan this QR code with your authenticator app.<div class="qr" role="img" aria-label="QR code of your authenticator key">${opts.qrSvg}</div></li>
<li>Cannot scan? Type this key into the app instead: <p class="secret" id="secret">${escapeHtml(grouped)}</p></li>
<li>Enter the six-digit code the app shows.</li></ol>
<form method="post" action="${escapeHtml(opts.action)}">${csrfField(opts.csrfToken)}
${codeField({ label: 'Code from your authenticator app', error: opts.error })}
<button type="submit">Confirm</button></form>`,
    MFA_STYLE + band.style,
  );
  return { status: opts.error ? (opts.status ?? 400) : 200, html, csp: csp(opts.nonce, band) };
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

/** The account page's "Security devices": the person's factors, each removable, adding an app, and recovery codes. */
export function securityDevicesSection(opts: {
  csrfToken: string;
  factors: readonly { id: string; kind: 'totp'; createdAt: Date; lastUsedAt: Date | null }[];
  recoveryCodesLeft: number;
}): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const rows = opts.factors
    .map(
      (f, i) =>
        `<li>Authenticator app, added ${escapeHtml(day(f.createdAt))}${f.lastUsedAt ? `, last used ${escapeHtml(day(f.lastUsedAt))}` : ''}
<form method="post" action="/account/mfa/remove">${csrfField(opts.csrfToken)}<input type="hidden" name="factorId" value="${escapeHtml(f.id)}"><button type="submit" aria-label="Remove authenticator app ${i + 1}">Remove</button></form></li>`,
    )
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
<form method="post" action="/account/mfa/totp">${csrfField(opts.csrfToken)}<button type="submit">Add an authenticator app</button></form>${recovery}`;
}
