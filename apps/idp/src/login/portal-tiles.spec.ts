import assert from 'node:assert/strict';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { portalPage } from '../sso/html';
import { ConsoleApplication } from '../read-model/console-application';
import { portalTiles, signedInName } from './portal-tiles';
import { testApplicationSnapshot } from '../test-fixtures';

const ORG = '11111111-1111-4111-8111-111111111111';

/** An application as the read model holds it: the contract's defaults, then `options`. */
const app = (id: string, name: string, options: Parameters<typeof testApplicationSnapshot>[0] = {}): ReadApplicationView => ({
  id,
  organizationId: ORG,
  snapshot: testApplicationSnapshot({
    name,
    spEntityId: `https://${id}.example.com/saml/metadata`,
    acsUrls: [`https://${id}.example.com/saml/acs`],
    ...options,
  }),
});

describe('portal tiles', () => {
  it('opens each application the way it takes: IdP-initiated where allowed, else its launch URL, else no link; hidden ones are left out', () => {
    const tiles = portalTiles([
      app('a1', 'Wiki'),
      // IdP-initiated wins where allowed: it signs the person in at once.
      app('a2', 'Chat', { launchUrl: 'https://chat.example.com/login' }),
      app('a3', 'Demo SP', { idpInitiatedAllowed: false, launchUrl: 'http://localhost:4100/login?app=a3' }),
      app('a4', 'Payroll', { idpInitiatedAllowed: false }),
      app('a5', 'Secret', { portalVisible: false }),
      app('a6', 'Hidden too', { portalVisible: false, idpInitiatedAllowed: false, launchUrl: 'https://h.example.com/' }),
    ]);
    assert.deepEqual(tiles, [
      { label: 'Chat', href: '/saml2/a2/init', color: null },
      { label: 'Demo SP', href: 'http://localhost:4100/login?app=a3', color: null },
      { label: 'Payroll', href: null, color: null },
      { label: 'Wiki', href: '/saml2/a1/init', color: null },
    ]);
  });

  it('opens the admin console at its own address: the console starts the sign-in', () => {
    const console = new ConsoleApplication('http://localhost:4003');
    const view: ReadApplicationView = { id: console.id(ORG), organizationId: ORG, snapshot: console.snapshot(ORG), builtIn: 'console' };
    assert.deepEqual(portalTiles([view, app('a1', 'Wiki')]), [
      { label: 'Admin console', href: 'http://localhost:4003/', color: null },
      { label: 'Wiki', href: '/saml2/a1/init', color: null },
    ]);
  });

  it("shows the admin's label (else the name) and colour, sorted by label", () => {
    assert.deepEqual(
      portalTiles([app('b1', 'Zendesk', { portalLabel: 'Help desk', portalColor: '#0b7285' }), app('b2', 'Jira', { portalColor: '#abc' })]),
      [
        { label: 'Help desk', href: '/saml2/b1/init', color: '#0b7285' },
        { label: 'Jira', href: '/saml2/b2/init', color: '#abc' },
      ],
    );
  });

  it('checks the launch URL and colour again: a value the catalog would refuse is not rendered', () => {
    assert.deepEqual(
      portalTiles([app('c1', 'Old', { idpInitiatedAllowed: false, launchUrl: 'JavaScript:alert(1)', portalColor: 'red;}body{x' })]),
      [{ label: 'Old', href: null, color: null }],
    );
  });

  it('names the person: display name, else first and last name, else username', () => {
    const profile = { username: 'ada', displayname: null, firstname: null, lastname: null };
    assert.equal(signedInName({ ...profile, displayname: 'Countess Ada', firstname: 'Ada' }), 'Countess Ada');
    assert.equal(signedInName({ ...profile, firstname: 'Ada', lastname: 'Lovelace' }), 'Ada Lovelace');
    assert.equal(signedInName(profile), 'ada');
  });

  it('renders links, the note for an application without one, the colour in the nonce stylesheet, everything escaped', () => {
    const tiles = portalTiles([
      app('d1', '<b>Wiki</b>', { portalColor: '#0b7285' }),
      app('d2', 'Q&A', { idpInitiatedAllowed: false, launchUrl: 'https://qa.example.com/login?a=1&b=2' }),
      app('d3', 'Payroll', { idpInitiatedAllowed: false }),
    ]);
    const page = portalPage({ nonce: 'n0', csrfToken: 't', signedInAs: 'Ada "<x>"', tiles });
    assert.equal(page.status, 200);
    assert.match(page.html, /<li class="tile t0"><a href="\/saml2\/d1\/init">&#60;b&#62;Wiki&#60;\/b&#62;<\/a><\/li>/);
    assert.match(page.html, /<li class="tile t2"><a href="https:\/\/qa\.example\.com\/login\?a=1&#38;b=2">Q&#38;A<\/a><\/li>/);
    assert.match(page.html, /<li class="tile t1">Payroll <span class="muted">\(open it from the application itself\)<\/span><\/li>/);
    assert.match(page.html, /<style nonce="n0">[^<]*\.t0\{border-left-color:#0b7285\}[^<]*<\/style>/);
    assert.doesNotMatch(page.html, /\.t[12]\{/);
    assert.doesNotMatch(page.html, / style=/, 'no inline style: the CSP would refuse it');
    assert.match(page.html, /Signed in as Ada &#34;&#60;x&#62;&#34;/);
    assert.match(
      page.html,
      /<form method="post" action="\/logout"><input type="hidden" name="csrf" value="t"><button type="submit">Sign out<\/button><\/form>/,
    );
    assert.equal(page.csp, "default-src 'none'; style-src 'nonce-n0'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  });

  it('says so when nothing is assigned', () => {
    const page = portalPage({
      nonce: 'n',
      csrfToken: 't',
      signedInAs: 'ada',
      tiles: portalTiles([app('e1', 'Hidden', { portalVisible: false })]),
    });
    assert.match(page.html, /No applications are assigned to you yet\./);
  });
});
