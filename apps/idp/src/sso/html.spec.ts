import assert from 'node:assert/strict';
import { autoPostPage, loginPage, portalPage, signedOutPage, signOutPage } from './html';

const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

describe('autoPostPage', () => {
  it('carries the response as base64 that decodes to the XML, quotes and markup included', () => {
    const responseXml = '<samlp:Response ID="_a&quot;b">ü "<\'&`</samlp:Response>';
    const page = autoPostPage({ nonce: 'n', acsUrl: 'https://sp.example/acs', responseXml, relayState: null });
    const value = field(page.html, 'SAMLResponse');
    assert.ok(value && /^[A-Za-z0-9+/]+={0,2}$/.test(value));
    assert.equal(Buffer.from(value, 'base64').toString('utf8'), responseXml);
    assert.doesNotMatch(page.html, /name="RelayState"/);
    // Its own text is ASCII: the page stays a one-byte string, cheap to send.
    assert.match(page.html, /^[\x00-\x7f]*$/);
  });

  it('escapes the ACS URL and RelayState, which the page does not make', () => {
    const page = autoPostPage({
      nonce: 'n',
      acsUrl: 'https://sp.example/acs?a=1&b="x"',
      responseXml: '<r/>',
      relayState: '"><script>x</script>',
    });
    assert.match(page.html, /action="https:\/\/sp\.example\/acs\?a=1&#38;b=&#34;x&#34;"/);
    assert.equal(field(page.html, 'RelayState'), '&#34;&#62;&#60;script&#62;x&#60;/script&#62;');
    assert.doesNotMatch(page.html, /<script>x/);
    assert.match(page.csp, /form-action https:\/\/sp\.example;/);
  });
});

describe('the sign-out pages', () => {
  it('escape every application name and the sign-in link', () => {
    const page = signedOutPage({
      nonce: 'n',
      signedOut: ['<b>Wiki</b>'],
      unconfirmed: ['"CRM"'],
      skipped: ["Chat & 'Co'"],
      signInHref: '/?organization="x"',
    });
    assert.match(page.html, /<li>&#60;b&#62;Wiki&#60;\/b&#62;<\/li>/);
    assert.match(page.html, /<li>&#34;CRM&#34;<\/li>/);
    assert.match(page.html, /<li>Chat &#38; &#39;Co&#39;<\/li>/);
    assert.match(page.html, /href="\/\?organization=&#34;x&#34;"/);
    assert.doesNotMatch(page.csp, /unsafe-inline/);
  });

  it('the portal and the login form post to the IdP itself with the CSRF token', () => {
    const portal = portalPage({ nonce: 'n', csrfToken: 't"1', signedInAs: 'Ada', tiles: [] });
    assert.match(
      portal.html,
      /<form method="post" action="\/logout"><input type="hidden" name="csrf" value="t&#34;1"><button type="submit">Sign out<\/button><\/form>/,
    );
    assert.match(
      portal.html,
      /<form method="post" action="\/login\/another-account"><input type="hidden" name="csrf" value="t&#34;1"><button type="submit">Not you\? Use another account<\/button><\/form>/,
    );
    assert.match(portal.csp, /form-action 'self'$/);
    // The sign-out's redirects to the applications' SLO addresses are form-action targets too (Chromium checks each).
    const withSlo = portalPage({
      nonce: 'n',
      csrfToken: 't',
      signedInAs: 'Ada',
      tiles: [],
      signOutTargets: ['https://sp.example:8443', 'x; script-src *'],
    });
    assert.match(withSlo.csp, /form-action 'self' https:\/\/sp\.example:8443$/);
    assert.match(
      signOutPage({ nonce: 'n', csrfToken: 't', applications: ['SP'], skipped: [], signOutTargets: ['http://127.0.0.1:4100'] }).csp,
      /form-action 'self' http:\/\/127\.0\.0\.1:4100$/,
    );
    const login = loginPage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', signedIn: true });
    assert.match(login.html, /<form method="post" action="\/login\/another-account"><input type="hidden" name="csrf" value="t">/);
    assert.match(login.html, /Not you\? Use another account/);
    assert.doesNotMatch(loginPage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki' }).html, /another-account/);
  });
});
