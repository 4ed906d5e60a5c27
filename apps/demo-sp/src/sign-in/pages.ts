import type { AccountView, JitAction } from '../accounts/account.entity';
import type { JitMode } from '../config';
import type { SignedIn } from './session';

// Every value on these pages comes from an assertion, a query string or the database: escape all of it.
export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const ACTION_TEXT: Record<JitAction, string> = {
  created: 'created: no account of this IdP had this NameID, so one was made from the assertion',
  updated: 'updated: the account of this IdP and NameID was refreshed from the assertion',
  linked: 'linked: an existing account of this IdP with the same email was adopted for this NameID',
  found: 'found: the account of this IdP and NameID was signed in to without changing it',
};

const MODE_TEXT: Record<JitMode, string> = {
  'create-only': 'create-only (never changes an existing account)',
  'create-or-update': 'create-or-update (keeps the account in step with each assertion)',
  'link-by-email': 'link-by-email (adopts an existing account with the same email)',
};

export interface HomeView {
  mode: JitMode;
  spEntityId: string;
  idpUrl: string;
  trustedAppId?: string;
  signedIn?: { session: SignedIn; account: AccountView };
}

export function homePage(view: HomeView): string {
  const settings = table([
    ['JIT mode', MODE_TEXT[view.mode]],
    ['SP entity ID', view.spEntityId],
    ['IdP', view.idpUrl],
  ]);
  if (!view.signedIn) {
    // Pinned to one application: that one only. Otherwise any application of the IdP, each its own issuer.
    const signIn = view.trustedAppId
      ? `<p><a href="/login?app=${encodeURIComponent(view.trustedAppId)}">Sign in with the IdP</a> (application ${escapeHtml(view.trustedAppId)}, the only one this SP trusts)</p>`
      : `<form action="/login" method="get">
  <label>IdP application id <input name="app" required></label>
  <button type="submit">Sign in with the IdP</button>
</form>`;
    return layout(
      'Demo SP',
      `<p>You are not signed in.</p>
${signIn}
<h2>This SP</h2>
${settings}
<p><a href="/accounts">Accounts (JSON)</a></p>`,
    );
  }
  const { session, account } = view.signedIn;
  const details = table([
    ['This sign-in', ACTION_TEXT[session.jitAction]],
    ['Application', session.appId],
    ['Account id', account.id],
    ['IdP entity (issuer)', account.issuer],
    ['NameID', account.nameId],
    ['NameID format', account.nameIdFormat],
    ['Email', account.email],
    ['First name', account.firstname],
    ['Last name', account.lastname],
    ['Created', account.createdAt.toISOString()],
    ['Updated', account.updatedAt.toISOString()],
    ['Last sign-in', account.lastLoginAt?.toISOString()],
    ['Sign-ins', account.loginCount],
  ]);
  const attributes = Object.entries(account.attributes);
  const attributeRows =
    attributes.length === 0
      ? '<p>The assertion carried no attributes.</p>'
      : table(
          attributes.map(([name, value]) => [
            name,
            // Several values arrive as an array: one list item each, so the page shows the split.
            Array.isArray(value) ? markup(`<ul>${value.map((v) => `<li>${escapeHtml(v)}</li>`).join('')}</ul>`) : value,
          ]),
        );
  return layout(
    'Demo SP: signed in',
    `<p>Signed in as <strong>${escapeHtml(account.email ?? account.nameId)}</strong> — <strong class="action">${escapeHtml(session.jitAction)}</strong>. <a href="/logout">Sign out</a></p>
<h2>Local account</h2>
${details}
<h2>Attributes received</h2>
${attributeRows}
<h2>This SP</h2>
${settings}`,
  );
}

export function errorPage(status: number, title: string, message: string): string {
  return layout(
    `${status} ${title}`,
    `<p class="error">${escapeHtml(message)}</p>
<p><a href="/">Back to the demo SP</a></p>`,
  );
}

/** Already escaped markup; every other cell value is escaped by `table`. */
interface Markup {
  readonly markup: string;
}
const markup = (html: string): Markup => ({ markup: html });
const isMarkup = (value: unknown): value is Markup => typeof value === 'object' && value !== null && 'markup' in value;

function table(rows: [string, string | number | null | undefined | Markup][]): string {
  const body = rows
    .map(([name, value]) => {
      const cell = isMarkup(value) ? value.markup : value === null || value === undefined ? '<em>none</em>' : escapeHtml(value);
      return `<tr><th>${escapeHtml(name)}</th><td>${cell}</td></tr>`;
    })
    .join('\n');
  return `<table>\n${body}\n</table>`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
th { text-align: left; padding-right: 1rem; vertical-align: top; }
td ul { margin: 0; padding-left: 1rem; }
.error { color: #a00; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}
