import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, CDPSession, Page, Browser as PlaywrightBrowser } from 'playwright-core';
import { assertAccessible, launchChromium, screenshot } from '@jit/testing';
import { System } from './harness';

const MFA_CLASS = 'https://refeds.org/profile/mfa';

/**
 * WebAuthn needs a domain for its rpID (an IP address is refused by browsers): the IdP and demo-sp
 * are reached as `localhost` here, which is also a secure context over http.
 */
class LocalhostSystem extends System {
  override get idpUrl() {
    return `http://localhost:${this.ports.idp}`;
  }
  override get demoSpUrl() {
    return `http://localhost:${this.ports.demoSp}`;
  }
}

/**
 * Passkeys in Chromium with its CDP virtual authenticator (CTAP2, internal transport, resident
 * keys, user verification): a person adds a passkey at the account page, signs in to demo-sp with
 * it and no password (node-saml in demo-sp accepts the assertion; its AuthnContextClassRef is the
 * multi-factor class), and with the organisation's policy `required` cannot remove that last
 * factor. Each new page passes axe and is photographed, at a phone's width.
 */
describe('Passkeys (WebAuthn) in Chromium', () => {
  // A short re-verification window, so the test sees a verification expire.
  const REVERIFY_SECONDS = 10;
  const system = new LocalhostSystem('passkeys', undefined, { IDP_REVERIFY_SECONDS: String(REVERIFY_SECONDS) });
  const password = 'correct horse battery staple';
  let appId = '';
  let groupId = '';
  let browser: PlaywrightBrowser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId = '';

  beforeAll(async () => {
    await system.start();
    ({ appId, groupId } = await system.personWithDemoSpAccess(
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password },
      'Engineers',
    ));
    browser = await launchChromium();
    // axe is injected as an inline script: the context lets it in (the pages' own scripts are same-origin files).
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await system.stop();
  });

  const check = async (name: string) => {
    await assertAccessible(page, name);
    await screenshot(page, `passkeys-${name}`);
  };

  /** The SAMLResponse demo-sp's ACS receives next, decoded. */
  const nextAssertion = () =>
    new Promise<string>((resolve) => {
      const listener = (request: { url(): string; postData(): string | null }) => {
        if (!request.url().endsWith('/saml/acs')) return;
        page.off('request', listener);
        const body = new URLSearchParams(request.postData() ?? '');
        resolve(Buffer.from(body.get('SAMLResponse') ?? '', 'base64').toString('utf8'));
      };
      page.on('request', listener);
    });

  it('the login page offers passkeys: the username field autofills them, a button signs in with one, and only same-origin scripts run', async () => {
    await page.goto(`${system.demoSpUrl}/login?app=${appId}`);
    await page.waitForURL(/\/login$/);
    assert.equal(await page.getAttribute('#username', 'autocomplete'), 'username webauthn');
    await page.locator('#passkey button').waitFor({ state: 'visible' });
    const response = await fetch(page.url(), {
      headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
    });
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const bundle = await fetch(`${system.idpUrl}/assets/simplewebauthn-browser.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    await check('login');
  });

  it('a person signed in with a password confirms it is them (the password: no factor yet), then adds a passkey and gets recovery codes', async () => {
    await page.fill('#username', 'ada');
    await page.fill('#password', password);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`^${system.demoSpUrl}`));
    await page.goto(`${system.idpUrl}/account`);
    // The sign-in's verification expires: adding a factor asks again.
    await page.waitForTimeout((REVERIFY_SECONDS + 1) * 1000);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('heading', { name: "Confirm it's you" }).waitFor();
    await check('confirm-password');
    await page.fill('#password', 'not the password');
    await page.keyboard.press('Enter');
    await page.getByText('The password is wrong.').waitFor();
    await page.fill('#password', password);
    await page.keyboard.press('Enter');
    await page.getByText('Confirmed. You can change your security devices').waitFor();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#passkey button').waitFor({ state: 'visible' });
    await check('create');
    await page.fill('#passkey-name', 'Test laptop');
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    await check('recovery-codes');
    await page.getByRole('link', { name: 'Back to your account' }).click();
    await page.getByText('Passkey “Test laptop”').waitFor();
    const { credentials } = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })) as {
      credentials: { isResidentCredential: boolean; rpId: string }[];
    };
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]?.isResidentCredential, true);
    assert.equal(credentials[0]?.rpId, 'localhost');
    const factors = await system.admin<{ factors: { kind: string; name: string | null }[] }>(
      'GET',
      `${system.idpUrl}/v1/users/${await adaId()}/mfa`,
      undefined,
      200,
    );
    assert.deepEqual(
      factors.factors.map((f) => [f.kind, f.name]),
      [['webauthn', 'Test laptop']],
    );
    await check('account');
  });

  it('passwordless by autofill (conditional UI): the login page signs in to demo-sp with the passkey, and the assertion node-saml accepted is multi-factor', async () => {
    await context.clearCookies();
    // The virtual authenticator answers a conditional request at once, as a person picking the
    // passkey from the username field's autofill would.
    const assertion = nextAssertion();
    await page.goto(`${system.demoSpUrl}/login?app=${appId}`);
    const xml = await assertion;
    assert.equal(/<saml:AuthnContextClassRef>([^<]+)</.exec(xml)?.[1], MFA_CLASS);
    await page.getByText('Signed in as ada@example.com').waitFor();
    await check('demo-sp-signed-in');
  });

  it('passwordless by the button: "Sign in with a passkey" signs in to demo-sp, multi-factor', async () => {
    await context.clearCookies();
    // No touch for the autofill's request: it waits, and the button's request replaces it.
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
    await page.goto(`${system.demoSpUrl}/login?app=${appId}`);
    await page.waitForURL(/\/login$/);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor({ state: 'visible' });
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
    const assertion = nextAssertion();
    // Keyboard only: tab to the button and press Enter.
    await button.focus();
    await page.keyboard.press('Enter');
    const xml = await assertion;
    assert.equal(/<saml:AuthnContextClassRef>([^<]+)</.exec(xml)?.[1], MFA_CLASS);
    await page.getByText('Signed in as ada@example.com').waitFor();
  });

  it('removing a factor asks for a fresh confirmation (the passkey); the last factor stays while the organisation requires one', async () => {
    await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'required' }, 200);
    await page.goto(`${system.idpUrl}/account`);
    await page.waitForTimeout((REVERIFY_SECONDS + 1) * 1000);
    await page.getByRole('button', { name: 'Remove passkey “Test laptop”' }).click();
    await page.getByRole('heading', { name: "Confirm it's you" }).waitFor();
    await page.getByRole('button', { name: 'Confirm with your passkey' }).waitFor({ state: 'visible' });
    await check('confirm-passkey');
    await page.getByRole('button', { name: 'Confirm with your passkey' }).click();
    await page.getByText('Confirmed. You can change your security devices').waitFor();
    await page.getByRole('button', { name: 'Remove passkey “Test laptop”' }).click();
    await page.getByText('Your organisation requires a second factor').waitFor();
    await check('last-factor-refused');
    await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'optional' }, 200);
  });

  it('with the policy required, a person without a factor creates a passkey at sign-in, sees recovery codes once, and goes on to demo-sp', async () => {
    const linusId = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.directoryUrl}/v1/users`,
        { username: 'linus', email: 'linus@example.com', firstname: 'Linus', lastname: 'Pauling', password },
        201,
      )
    ).id;
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId: linusId }, 201);
    await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'required' }, 200);
    const linusContext = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
    try {
      const linus = await linusContext.newPage();
      const linusCdp = await linusContext.newCDPSession(linus);
      await linusCdp.send('WebAuthn.enable');
      await linusCdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
      });
      await linus.goto(`${system.demoSpUrl}/login?app=${appId}`);
      await linus.waitForURL(/\/login$/);
      await linus.fill('#username', 'linus');
      await linus.fill('#password', password);
      await linus.keyboard.press('Enter');
      await linus.getByRole('heading', { name: 'Set up a second step' }).waitFor();
      await linus.locator('#passkey button').waitFor({ state: 'visible' });
      await assertAccessible(linus, 'enrolment at sign-in with a passkey');
      await screenshot(linus, 'passkeys-enrol-policy-required');
      await linus.fill('#passkey-name', 'Linus phone');
      await linus.getByRole('button', { name: 'Create a passkey' }).click();
      await linus.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
      const assertion = new Promise<string>((resolve) => {
        linus.on('request', (request) => {
          if (request.url().endsWith('/saml/acs'))
            resolve(Buffer.from(new URLSearchParams(request.postData() ?? '').get('SAMLResponse') ?? '', 'base64').toString('utf8'));
        });
      });
      await linus.getByRole('button', { name: 'Continue to Demo SP' }).click();
      assert.equal(/<saml:AuthnContextClassRef>([^<]+)</.exec(await assertion)?.[1], MFA_CLASS);
      await linus.getByText('Signed in as linus@example.com').waitFor();
    } finally {
      await linusContext.close();
      await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'optional' }, 200);
    }
  });

  describe('an application that requires a phishing-resistant factor', () => {
    let grace: Page;
    let graceCdp: CDPSession;
    let secret = '';
    let graceAuthenticator = '';

    beforeAll(async () => {
      const graceId = (
        await system.admin<{ id: string }>(
          'POST',
          `${system.directoryUrl}/v1/users`,
          { username: 'grace', email: 'grace@example.com', firstname: 'Grace', lastname: 'Hopper', password },
          201,
        )
      ).id;
      await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId: graceId }, 201);
      const graceContext = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
      grace = await graceContext.newPage();
      graceCdp = await graceContext.newCDPSession(grace);
      await graceCdp.send('WebAuthn.enable');
      ({ authenticatorId: graceAuthenticator } = await graceCdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
      }));
    });

    const code = () => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate();
    const signInWithPassword = async () => {
      await grace.goto(`${system.demoSpUrl}/login?app=${appId}`);
      await grace.waitForURL(/\/login$/);
      await grace.fill('#username', 'grace');
      await grace.fill('#password', password);
      await grace.keyboard.press('Enter');
    };

    it('a person with an authenticator app signs in with password and code: a TOTP-only session', async () => {
      await signInWithPassword();
      await grace.waitForURL(new RegExp(`^${system.demoSpUrl}`));
      await grace.goto(`${system.idpUrl}/account`);
      await grace.getByRole('button', { name: 'Add an authenticator app' }).click();
      secret = ((await grace.textContent('#secret')) ?? '').replace(/\s+/g, '');
      await grace.fill('#code', code());
      await grace.keyboard.press('Enter');
      await grace.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
      await grace.context().clearCookies();
      await signInWithPassword();
      await grace.waitForURL(/\/login\/mfa$/);
      // Its own time step: the enrolment's code may not be used again.
      await grace.waitForTimeout(30_000 - (Date.now() % 30_000) + 500);
      await grace.fill('#code', code());
      await grace.keyboard.press('Enter');
      await grace.getByText('Signed in as grace@example.com').waitFor();
    });

    it('once the application requires a passkey, that session steps up: a person without one creates one, and the assertion follows', async () => {
      await system.admin('PATCH', `${system.catalogUrl}/v1/applications/${appId}`, { mfaPhishingResistant: true }, 200);
      await grace.goto(`${system.demoSpUrl}/login?app=${appId}`);
      await grace.getByRole('heading', { name: 'Create a passkey' }).waitFor();
      await grace.locator('#passkey button').waitFor({ state: 'visible' });
      assert.equal(await grace.locator('#code').count(), 0, 'no code field: an app code is not enough here');
      await assertAccessible(grace, 'passkey enrolment at sign-in');
      await screenshot(grace, 'passkeys-enrol-at-sign-in');
      const assertion = new Promise<string>((resolve) => {
        grace.on('request', (request) => {
          if (request.url().endsWith('/saml/acs'))
            resolve(Buffer.from(new URLSearchParams(request.postData() ?? '').get('SAMLResponse') ?? '', 'base64').toString('utf8'));
        });
      });
      await grace.getByRole('button', { name: 'Create a passkey' }).click();
      assert.equal(/<saml:AuthnContextClassRef>([^<]+)</.exec(await assertion)?.[1], MFA_CLASS);
      await grace.getByText('Signed in as grace@example.com').waitFor();
    });

    it('the next sign-in: after the password, only the passkey is offered as the second factor, and it signs in', async () => {
      await grace.context().clearCookies();
      // No touch for the login page's autofill request: the password goes in first.
      await graceCdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: graceAuthenticator, enabled: false });
      await signInWithPassword();
      await grace.waitForURL(/\/login\/mfa$/);
      await grace.getByRole('heading', { name: 'Use your passkey' }).waitFor();
      assert.equal(await grace.locator('#code').count(), 0);
      // A right code posted anyway is refused: only a passkey will do for this application.
      const csrf = (await grace.locator('input[name="csrf"]').first().getAttribute('value')) ?? '';
      const posted = await grace.request.post(`${system.idpUrl}/login/mfa`, { form: { csrf, code: code() }, maxRedirects: 0 });
      assert.equal(posted.status(), 400);
      assert.match(await posted.text(), /Demo SP needs a passkey: a code is not enough\./);
      await grace.locator('#passkey button').waitFor({ state: 'visible' });
      await assertAccessible(grace, 'passkey as the second factor');
      await screenshot(grace, 'passkeys-second-factor');
      await graceCdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: graceAuthenticator, enabled: true });
      await grace.getByRole('button', { name: 'Use your passkey' }).click();
      await grace.getByText('Signed in as grace@example.com').waitFor();
    });
  });

  const adaId = async () =>
    (
      await system.admin<{ items: { id: string; username: string }[] }>('GET', `${system.directoryUrl}/v1/users`, undefined, 200)
    ).items.find((u) => u.username === 'ada')?.id ?? '';
});
