import assert from 'node:assert/strict';
import { contrastRatio } from '@jit/directory-contracts';
import { mfaCodePage, mfaEnrolPage, recoveryCodesPage } from '../mfa/mfa-pages';
import { organizationBand, type PageOrganization } from './branding';
import { accountPage, errorPage, loginPage, portalPage, signedOutPage, signOutPage } from './html';

const ACME = { name: 'Acme Corp', logoUrl: 'https://cdn.example.com/acme/logo.svg?v=2', brandColor: '#0b7285' };
const login = (organization: Parameters<typeof loginPage>[0]['organization']) =>
  loginPage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', organization });
const directives = (csp: string) => csp.split(';').map((d) => d.trim());

describe('the organisation on the sign-in pages (name, logo, colour)', () => {
  it('shows the name, the logo with alt text and the colour; images are allowed from the logo’s origin only', () => {
    const page = login(ACME);
    assert.match(
      page.html,
      /<header class="org"><img src="https:\/\/cdn\.example\.com\/acme\/logo\.svg\?v=2" alt="Acme Corp logo" height="40"><span class="org-name">Acme Corp<\/span><\/header><h1>Sign in<\/h1>/,
    );
    assert.match(page.html, /\.org\{background:#0b7285;color:#ffffff;border-top-color:#0b7285\}/);
    assert.ok(directives(page.csp).includes('img-src https://cdn.example.com'), page.csp);
    assert.ok(directives(page.csp).includes("default-src 'none'"));
  });

  it('without branding: the name only, and no image may load at all', () => {
    const page = login({ name: 'Acme Corp', logoUrl: null, brandColor: null });
    assert.match(page.html, /<header class="org"><span class="org-name">Acme Corp<\/span><\/header>/);
    assert.doesNotMatch(page.html, /<img/);
    assert.doesNotMatch(page.csp, /img-src/);
    // Before the directory has told the IdP anything: the page as it always was.
    const unknown = login(null);
    assert.doesNotMatch(unknown.html, /class="org"/);
    assert.doesNotMatch(unknown.csp, /img-src/);
    // Pages that do not show the organisation never allow images.
    assert.doesNotMatch(errorPage({ nonce: 'n', status: 400, title: 't', message: 'm' }).csp, /img-src/);
  });

  it('escapes the name and re-checks logo and colour: what the directory would refuse is left out of page and CSP', () => {
    const band = organizationBand({
      name: '<script>alert(1)</script>"',
      logoUrl: 'javascript:alert(1)',
      brandColor: 'red;}body{display:none',
    });
    assert.doesNotMatch(band.html, /<script>|<img/);
    assert.match(band.html, /&#60;script&#62;alert\(1\)&#60;\/script&#62;&#34;/);
    assert.doesNotMatch(band.style, /red|display:none/);
    assert.equal(band.imgSrc, '');
    for (const logoUrl of [
      'http://cdn.example.com/a.png',
      'https://u:p@cdn.example.com/a.png',
      "https://cdn.example.com/a'; script-src *",
    ]) {
      const page = login({ name: 'Acme', logoUrl, brandColor: null });
      assert.doesNotMatch(page.html, /<img/, logoUrl);
      assert.doesNotMatch(page.csp, /img-src|script-src/, logoUrl);
    }
  });

  it('picks the text colour on the band for AA contrast, light or dark brand', () => {
    for (const brandColor of ['#ffd43b', '#0b7285', '#767676', '#777777', '#000000', '#ffffff']) {
      const style = organizationBand({ name: 'A', logoUrl: null, brandColor }).style;
      const text = /\.org\{background:#[0-9a-f]{6};color:(#[0-9a-f]{6})/.exec(style)?.[1] ?? '';
      assert.ok(contrastRatio(brandColor, text) >= 4.5, `${brandColor} on ${text}`);
    }
  });

  it('the portal, the account page and the second-step pages show it too, each with the logo’s origin in its CSP', () => {
    const pages = [
      portalPage({ nonce: 'n', csrfToken: 't', signedInAs: 'Ada', tiles: [], organization: ACME }),
      accountPage({ nonce: 'n', csrfToken: 't', profile: [], sessions: [], organization: ACME }),
      mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', organization: ACME }),
      mfaEnrolPage({
        nonce: 'n',
        csrfToken: 't',
        action: '/login/mfa',
        qrSvg: '<svg></svg>',
        secret: 'ABCD',
        intro: 'x',
        organization: ACME,
      }),
      recoveryCodesPage({ nonce: 'n', csrfToken: 't', codes: ['a'], continueTo: { href: '/', label: 'Go' }, organization: ACME }),
    ];
    for (const page of pages) {
      assert.match(page.html, /alt="Acme Corp logo"/);
      assert.ok(directives(page.csp).includes('img-src https://cdn.example.com'), page.csp);
    }
  });
  it('the sign-out, signed-out and error pages show it when they know the organisation, and allow its logo only then', () => {
    const signOut = (organization?: PageOrganization | null) =>
      signOutPage({ nonce: 'n', csrfToken: 't', applications: ['Wiki'], skipped: [], organization });
    const signedOut = (organization?: PageOrganization | null) =>
      signedOutPage({ nonce: 'n', signedOut: ['Wiki'], unconfirmed: [], skipped: [], signInHref: '/', organization });
    const error = (organization?: PageOrganization | null) =>
      errorPage({ nonce: 'n', status: 403, title: 'Refused', message: 'm', organization });
    for (const [name, render, heading] of [
      ['sign-out', signOut, 'Sign out'],
      ['signed-out', signedOut, 'You are signed out'],
      ['error', error, 'Refused'],
    ] as const) {
      const page = render(ACME);
      assert.match(
        page.html,
        new RegExp(
          `<header class="org"><img src="https://cdn\\.example\\.com/acme/logo\\.svg\\?v=2" alt="Acme Corp logo" height="40"><span class="org-name">Acme Corp</span></header><h1>${heading}</h1>`,
        ),
        name,
      );
      assert.match(page.html, /\.org\{background:#0b7285;color:#ffffff;border-top-color:#0b7285\}/, name);
      assert.ok(directives(page.csp).includes('img-src https://cdn.example.com'), `${name}: ${page.csp}`);
      assert.ok(directives(page.csp).includes("default-src 'none'"), name);
      for (const unknown of [render(null), render(undefined)]) {
        assert.doesNotMatch(unknown.html, /class="org"/, name);
        assert.doesNotMatch(unknown.csp, /img-src/, name);
      }
      const plain = render({ name: 'Acme Corp', logoUrl: null, brandColor: null });
      assert.match(plain.html, /<span class="org-name">Acme Corp<\/span>/, name);
      assert.doesNotMatch(plain.csp, /img-src/, name);
    }
  });
});
