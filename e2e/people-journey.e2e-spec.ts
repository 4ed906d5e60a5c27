import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { Secret, TOTP } from 'otpauth';
import type { Browser as Chromium, BrowserContext, Page, Response } from 'playwright-core';
import { freePort, launchChromium, screenshot } from '@jit/testing';
import { System } from './harness';
import { heading, idpLogin, look } from './console-browser';
import { spCredentials } from './sp-libraries';

/**
 * A person's whole journey in Chromium, against the real services and demo-sp as the application:
 * the sign-in page (the wrong person first, then "Not you?"), the messages a locked and a suspended
 * person read, the portal's tiles (one IdP-initiated, one through the application's launch URL),
 * the account pages (profile, password change, sessions), signing out at the IdP through Single
 * Logout and at demo-sp (SP-initiated), then multi-factor sign-in: step-up for an application that
 * requires it, enrolment when the organisation requires it, a TOTP code typed keyboard-only, a
 * recovery code used once, an administrator's reset and re-enrolment on a phone-sized screen.
 * Every page is checked with axe and photographed (test-output/screenshots/people-*.png).
 *
 * The steps run in order and share the browsers: each starts where the previous one left off.
 */
describe('A person’s journey in a browser: sign-in, portal, account, sign-out and MFA', () => {
  const password = 'correct horse battery staple';
  const newPassword = 'a brand new passphrase';
  /** demo-sp signs its requests (its SP-initiated logout must be signed for the IdP to honour it). */
  const demoSpEnv: Record<string, string> = { DEMO_SP_IDP_INITIATED: 'true' };
  const system = new System(
    'peoplejourney',
    undefined,
    {},
    // Three wrong passwords lock an account (per source) here, instead of five.
    { directory: { DIRECTORY_LOCKOUT_THRESHOLD: '3' }, 'demo-sp': demoSpEnv },
  );
  let chromium: Chromium;
  /** The page a failed step photographs. */
  let current: Page | undefined;
  let organizationId = '';
  const ids = { ada: '', grace: '', lou: '', sam: '' };
  /** demo-sp opened through its launch URL, with Single Logout; the same SP taking IdP-initiated sign-in; and one requiring MFA. */
  const apps = { launch: '', idpInitiated: '', mfa: '' };
  /** Ada's and Grace's authenticator apps, once enrolled. */
  const authenticators: Partial<Record<'ada' | 'grace', Authenticator>> = {};
  let graceRecoveryCodes: string[] = [];

  // Ada's own browser, kept from step to step.
  let laptop: BrowserContext;
  let ada: Page;

  /** The organisation's logo, served over https by the test (a self-signed certificate), and the paths asked of it. */
  let logoServer: Server | undefined;
  let logoUrl = '';
  const logoRequests: string[] = [];
  const LOGO_SVG =
    '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40" viewBox="0 0 80 40"><rect width="80" height="40" rx="6" fill="#ffffff"/><text x="40" y="26" font-size="16" text-anchor="middle" fill="#0b7285">ACME</text></svg>';

  beforeAll(async () => {
    const sp = await spCredentials('demo-sp');
    demoSpEnv.DEMO_SP_SIGNING_KEY = sp.privateKeyPem;
    demoSpEnv.DEMO_SP_SIGNING_CERTIFICATE = sp.certificatePem;
    [chromium] = await Promise.all([launchChromium(), system.start()]);

    const person = async (username: string, firstname: string, lastname: string, extra: Record<string, unknown> = {}) => {
      const user = await system.admin<{ id: string; organizationId: string }>(
        'POST',
        `${system.directoryUrl}/v1/users`,
        { username, email: `${username}@example.com`, firstname, lastname, password, ...extra },
        201,
      );
      organizationId = user.organizationId;
      return user.id;
    };
    ids.ada = await person('ada', 'Ada', 'Lovelace', { department: 'Engines', jobTitle: 'Analyst' });
    ids.grace = await person('grace', 'Grace', 'Hopper');
    ids.lou = await person('lou', 'Lou', 'Locked');
    ids.sam = await person('sam', 'Sam', 'Suspended');
    await system.admin('PATCH', `${system.directoryUrl}/v1/users/${ids.sam}`, { state: 'SUSPENDED' }, 200);
    const group = await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'Everyone' }, 201);
    for (const userId of Object.values(ids)) {
      await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${group.id}/members`, { userId }, 201);
    }
    const application = async (body: Record<string, unknown>) => {
      const { id } = await system.admin<{ id: string }>('POST', `${system.catalogUrl}/v1/applications`, body, 201);
      await system.admin('POST', `${system.catalogUrl}/v1/applications/${id}/user-groups`, { groupId: group.id }, 201);
      return id;
    };
    const demoSp = { spEntityId: `${system.demoSpUrl}/saml/metadata`, acsUrls: [`${system.demoSpUrl}/saml/acs`] };
    // The demo-sp connector: its portal tile is its launch URL (demo-sp's /login?app=<id>).
    apps.launch = await application({
      connectorId: 'demo-sp',
      name: 'Demo SP',
      ...demoSp,
      portalColor: '#0b7285',
      singleLogoutUrl: `${system.demoSpUrl}/saml/slo`,
      spSigningCertificates: [sp.certificatePem],
    });
    const generic = {
      connectorId: 'saml2',
      ...demoSp,
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      nameIdSource: 'email',
      attributes: ['email', 'firstname', 'lastname'].map((name) => ({ spName: name, source: name })),
    };
    apps.idpInitiated = await application({ ...generic, name: 'Demo SP, IdP-initiated', portalColor: '#7048e8' });
    apps.mfa = await application({ ...generic, name: 'Payroll', idpInitiatedAllowed: false, mfaRequired: true });

    // The organisation's sign-in page: its name, its logo (https only) and its colour.
    const tls = await spCredentials('127.0.0.1');
    logoServer = createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, (req, res) => {
      logoRequests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(LOGO_SVG);
    });
    const logoPort = await freePort();
    await new Promise<void>((listening) => logoServer!.listen(logoPort, '127.0.0.1', listening));
    logoUrl = `https://127.0.0.1:${logoPort}/acme/logo.svg`;
    await system.admin('PATCH', `${system.directoryUrl}/v1/organization`, { name: 'Acme Corp', logoUrl, brandColor: '#0b7285' }, 200);

    // Ada's laptop trusts the logo server's self-signed certificate (ignoreHTTPSErrors): the IdP
    // and demo-sp are plain http here, so it concerns that server only.
    laptop = await chromium.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
    laptop.setDefaultTimeout(10_000);
    current = ada = await laptop.newPage();
  });

  afterAll(async () => {
    await chromium?.close();
    await system.stop();
    await new Promise((closed) => (logoServer ? logoServer.close(closed) : closed(undefined)));
  });

  /** A step of the journey; when it fails, a photo of the page it was on shows where it stood. */
  function step(name: string, run: () => Promise<void>): void {
    it(name, async () => {
      try {
        await run();
      } catch (error) {
        if (current) await screenshot(current, `failed-people-${name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
        throw error;
      }
    });
  }

  /** A new browser (a person's other device, or someone else's), at desktop size unless told. */
  const newPage = async (viewport?: { width: number; height: number }): Promise<Page> => {
    // Every browser here trusts the logo server's self-signed certificate, as Ada's laptop does.
    const context = viewport
      ? await chromium.newContext({ viewport, isMobile: true, hasTouch: true, deviceScaleFactor: 2, ignoreHTTPSErrors: true })
      : await chromium.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
    context.setDefaultTimeout(10_000);
    return (current = await context.newPage());
  };
  /** demo-sp's own "sign in" for an application: SP-initiated, to the IdP's login form when there is no IdP session. */
  const openDemoSp = (page: Page, appId: string) => page.goto(`${system.demoSpUrl}/login?app=${appId}`);
  /** Landed at demo-sp, signed in as this person to this application. */
  const atDemoSp = async (page: Page, email: string, appId: string) => {
    await page.waitForURL(`${system.demoSpUrl}/`);
    await page.getByText(`Signed in as ${email}`).waitFor();
    await page.getByRole('row', { name: `Application ${appId}` }).waitFor();
  };
  const alert = (page: Page) => page.getByRole('alert');
  const portalSignIn = async (page: Page, username: string, secret = password) => {
    await page.goto(`${system.idpUrl}/?organization=${organizationId}`);
    await idpLogin(system, page, username, secret);
    await heading(page, 'Your applications').waitFor();
  };

  step(
    'the sign-in page shows the organisation (name, logo, colour) and which application asked; the wrong person signs in to it',
    async () => {
      const shown = ada.waitForResponse(`${system.idpUrl}/login`);
      await openDemoSp(ada, apps.launch);
      await ada.waitForURL(`${system.idpUrl}/login`);
      await heading(ada, 'Sign in').waitFor();
      await ada.getByText('to continue to Demo SP').waitFor();
      // The organisation's band: its name, its logo loaded from its https origin, white on its teal.
      const band = ada.locator('header.org');
      assert.equal(await band.locator('.org-name').textContent(), 'Acme Corp');
      const logo = ada.getByRole('img', { name: 'Acme Corp logo' });
      assert.equal(await logo.getAttribute('src'), logoUrl);
      await ada.waitForFunction(() => document.querySelector<HTMLImageElement>('header.org img')?.naturalWidth === 80);
      assert.deepEqual(logoRequests, ['/acme/logo.svg']);
      assert.deepEqual(await band.evaluate((e) => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]), [
        'rgb(11, 114, 133)',
        'rgb(255, 255, 255)',
      ]);
      // Images from the logo's origin only, on this page only.
      const csp = (await (await shown).allHeaders())['content-security-policy'] ?? '';
      assert.ok(
        csp
          .split(';')
          .map((d) => d.trim())
          .includes(`img-src ${new URL(logoUrl).origin}`),
        csp,
      );
      await look(ada, 'people-sign-in');
      // Someone else at Ada's laptop signs in as themselves.
      await idpLogin(system, ada, 'grace', password);
      await atDemoSp(ada, 'grace@example.com', apps.launch);
      await look(ada, 'people-demo-sp-signed-in');
    },
  );

  step('"Not you? Use another account" at the portal ends that IdP session and signs the right person in', async () => {
    await ada.goto(`${system.idpUrl}/`);
    await ada.getByText('Signed in as Grace Hopper').waitFor();
    await ada.getByRole('button', { name: 'Not you? Use another account' }).click();
    await ada.waitForURL(`${system.idpUrl}/login`);
    assert.equal(await ada.getByText('This browser is already signed in here.').count(), 0);
    await idpLogin(system, ada, 'ada', password);
    await ada.waitForURL(`${system.idpUrl}/`);
    await ada.getByText('Signed in as Ada Lovelace').waitFor();
    await look(ada, 'people-portal');
  });

  step('portal tiles: one opens demo-sp IdP-initiated, the other through its launch URL, without the password again', async () => {
    const tiles = ada.getByRole('list').first().getByRole('listitem');
    assert.deepEqual(await tiles.allInnerTexts(), ['Demo SP', 'Demo SP, IdP-initiated', 'Payroll (open it from the application itself)']);
    assert.equal(
      await ada.getByRole('link', { name: 'Demo SP', exact: true }).getAttribute('href'),
      `${system.demoSpUrl}/login?app=${apps.launch}`,
    );
    assert.equal(await ada.getByRole('link', { name: 'Demo SP, IdP-initiated' }).getAttribute('href'), `/saml2/${apps.idpInitiated}/init`);
    assert.equal(await ada.getByRole('link', { name: 'Your account' }).getAttribute('href'), '/account');

    await ada.getByRole('link', { name: 'Demo SP, IdP-initiated' }).click();
    await atDemoSp(ada, 'ada@example.com', apps.idpInitiated);

    await ada.goto(`${system.idpUrl}/`);
    await ada.getByRole('link', { name: 'Demo SP', exact: true }).click();
    await atDemoSp(ada, 'ada@example.com', apps.launch);
    await look(ada, 'people-demo-sp-ada');
  });

  step('a locked person reads when to try again or to ask their admin, and so does an unknown name: nothing tells them apart', async () => {
    const page = await newPage();
    const attempt = async (username: string, secret: string) => {
      await page.getByLabel('Username or email').fill(username);
      await page.getByLabel('Password').fill(secret);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      return (await alert(page).textContent()) ?? '';
    };
    const lockedMessage = /^Too many failed sign-ins\. Try again after (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC, or ask your administrator\.$/;
    await page.goto(`${system.idpUrl}/?organization=${organizationId}`);
    await page.waitForURL(`${system.idpUrl}/login`);
    for (const username of ['lou', 'nobody']) {
      for (let i = 0; i < 3; i++) assert.equal(await attempt(username, `wrong guess ${i}`), 'Wrong username or password.');
      // The fourth try is refused whatever the password, the right one included.
      assert.match(await attempt(username, password), lockedMessage);
    }
    assert.equal(await page.getByLabel('Username or email').inputValue(), 'nobody', 'the name typed stays in its field');
    await look(page, 'people-sign-in-locked');
    await page.context().close();
  });

  step('a suspended person is told to ask their admin, only once the password is right', async () => {
    const page = await newPage();
    await page.goto(`${system.idpUrl}/?organization=${organizationId}`);
    await idpLogin(system, page, 'sam', 'not the password');
    assert.equal(await alert(page).textContent(), 'Wrong username or password.');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await alert(page).getByText('Your account is suspended. Ask your administrator.').waitFor();
    await look(page, 'people-sign-in-suspended');
    await page.context().close();
  });

  step('account: the profile read-only; a password change needs the current one and ends the other session', async () => {
    const phone = await newPage();
    await portalSignIn(phone, 'ada');
    current = ada;
    await ada.goto(`${system.idpUrl}/`);
    await ada.getByRole('link', { name: 'Your account' }).click();
    await heading(ada, 'Your account').waitFor();
    const profile = ada.locator('dl');
    const value = (label: string) => profile.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]').textContent();
    assert.equal(await value('Department'), 'Engines');
    assert.equal(await value('Job title'), 'Analyst');
    assert.equal(await profile.locator('input, textarea, select').count(), 0, 'the profile is the admin’s to change');
    await look(ada, 'people-account');

    await ada.getByLabel('Current password').fill('not my password');
    await ada.getByLabel('New password', { exact: true }).fill(newPassword);
    await ada.getByLabel('Repeat the new password').fill(newPassword);
    await ada.getByRole('button', { name: 'Change password' }).click();
    // Told beside its field, which says so to a screen reader too.
    const currentPassword = ada.getByLabel('Current password');
    assert.equal(await currentPassword.getAttribute('aria-invalid'), 'true');
    assert.equal(
      await ada.locator(`#${await currentPassword.getAttribute('aria-describedby')}`).textContent(),
      'The current password is wrong.',
    );
    await look(ada, 'people-account-wrong-password');

    await currentPassword.fill(password);
    await ada.getByLabel('New password', { exact: true }).fill(newPassword);
    await ada.getByLabel('Repeat the new password').fill(newPassword);
    await ada.getByRole('button', { name: 'Change password' }).click();
    await ada.getByRole('status').getByText('Password changed').waitFor();
    await look(ada, 'people-account-password-changed');

    await phone.goto(`${system.idpUrl}/account`);
    await phone.waitForURL(`${system.idpUrl}/`);
    await phone.getByText('Open one of your applications to sign in').waitFor();
    await phone.context().close();
  });

  step('account: active sessions, and "Sign out everywhere else" ends the other one', async () => {
    const other = await newPage();
    await portalSignIn(other, 'ada', newPassword);
    current = ada;
    await ada.goto(`${system.idpUrl}/account`);
    const sessions = ada.locator('#sessions li');
    assert.equal(await sessions.count(), 2);
    assert.equal(await sessions.filter({ hasText: '(this browser)' }).count(), 1);
    await ada.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await ada.getByText('Signed out of 1 other session.').waitFor();
    assert.equal(await ada.locator('#sessions li').count(), 1);
    await look(ada, 'people-account-signed-out-elsewhere');
    await other.goto(`${system.idpUrl}/account`);
    await other.waitForURL(`${system.idpUrl}/`);
    await other.getByText('Open one of your applications to sign in').waitFor();
    await other.context().close();
  });

  /**
   * The organisation's band on a page: its name, its logo loaded (which the page's CSP must allow:
   * `img-src` the logo's origin, as the answer that drew it says).
   */
  const showsOrganisation = async (page: Page, csp: string | undefined) => {
    assert.equal(await page.locator('header.org .org-name').textContent(), 'Acme Corp');
    assert.equal(await page.getByRole('img', { name: 'Acme Corp logo' }).getAttribute('src'), logoUrl);
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('header.org img')?.naturalWidth === 80);
    if (csp !== undefined) {
      const directives = csp.split(';').map((d) => d.trim());
      assert.ok(directives.includes(`img-src ${new URL(logoUrl).origin}`), csp);
    }
  };
  const cspOf = async (answer: Promise<Response>) => (await (await answer).allHeaders())['content-security-policy'] ?? '';

  step('signing out at the portal reaches demo-sp through Single Logout, then shows the signed-out page', async () => {
    // The IdP's own sign-out page shows the organisation too.
    const signOutAnswer = ada.waitForResponse(`${system.idpUrl}/logout`);
    await ada.goto(`${system.idpUrl}/logout`);
    await heading(ada, 'Sign out').waitFor();
    await showsOrganisation(ada, await cspOf(signOutAnswer));
    await look(ada, 'people-sign-out');
    await ada.goto(`${system.idpUrl}/`);
    await ada.getByRole('button', { name: 'Sign out', exact: true }).click();
    await heading(ada, 'You are signed out').waitFor();
    // The walk came back from demo-sp: the logo loading proves the page's CSP lets it in.
    await showsOrganisation(ada, undefined);
    assert.equal(new URL(ada.url()).origin, system.idpUrl);
    const listAfter = (text: string) => ada.locator('p', { hasText: text }).locator('xpath=following-sibling::ul[1]/li').allInnerTexts();
    assert.deepEqual(await listAfter('Also signed out of:'), ['Demo SP']);
    // The IdP-initiated application has no Single Logout address: the page says to sign out there.
    assert.deepEqual(await listAfter('cannot be signed out from here'), ['Demo SP, IdP-initiated']);
    await look(ada, 'people-signed-out');
    // An error page about one of the organisation's applications (no SAMLRequest): its band too.
    const refusal = ada.waitForResponse((r) => r.url().startsWith(`${system.idpUrl}/saml2/${apps.launch}/sso`));
    await ada.goto(`${system.idpUrl}/saml2/${apps.launch}/sso`);
    await heading(ada, 'Missing SAMLRequest').waitFor();
    await showsOrganisation(ada, await cspOf(refusal));
    await look(ada, 'people-error-page');
    // An application nobody knows belongs to no organisation: no band, and no image may load.
    const unknown = ada.waitForResponse((r) => r.url().startsWith(`${system.idpUrl}/saml2/`));
    await ada.goto(`${system.idpUrl}/saml2/00000000-0000-4000-8000-000000000000/sso`);
    assert.equal(await ada.locator('header.org').count(), 0);
    assert.doesNotMatch(await cspOf(unknown), /img-src/);
    await ada.goto(`${system.demoSpUrl}/`);
    await ada.getByText('You are not signed in.').waitFor();
    await ada.goto(`${system.idpUrl}/`);
    await ada.getByText('Open one of your applications to sign in').waitFor();
  });

  step('signing out at demo-sp (SP-initiated, signed) ends the IdP session too', async () => {
    await openDemoSp(ada, apps.launch);
    await idpLogin(system, ada, 'ada', newPassword);
    await atDemoSp(ada, 'ada@example.com', apps.launch);
    await ada.getByRole('link', { name: 'Sign out' }).click();
    await ada.waitForURL(`${system.demoSpUrl}/?logged-out=1`);
    await ada.getByText('You are not signed in.').waitFor();
    await look(ada, 'people-demo-sp-signed-out');
    await ada.goto(`${system.idpUrl}/`);
    await ada.getByText('Open one of your applications to sign in').waitFor();
  });

  step('an application that requires MFA steps a password-only session up, walking the person through enrolment', async () => {
    await openDemoSp(ada, apps.launch);
    await idpLogin(system, ada, 'ada', newPassword);
    await atDemoSp(ada, 'ada@example.com', apps.launch);

    await openDemoSp(ada, apps.mfa);
    await ada.waitForURL(`${system.idpUrl}/login/mfa`);
    // The application asks, not the organisation (its policy is off).
    await ada.getByText('Payroll asks for a second step at sign-in').waitFor();
    authenticators.ada = await enrol(ada, (name) => look(ada, `people-mfa-enrol${name}`));
    await ada.getByRole('button', { name: 'Continue to Payroll' }).click();
    await atDemoSp(ada, 'ada@example.com', apps.mfa);
  });

  step('the organisation requires MFA: a person without a factor enrols at sign-in and sees recovery codes once', async () => {
    assert.deepEqual(await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'required' }, 200), { policy: 'required' });
    const page = await newPage();
    await openDemoSp(page, apps.launch);
    await idpLogin(system, page, 'grace', password);
    await page.waitForURL(`${system.idpUrl}/login/mfa`);
    await page.getByText('Your organisation asks for a second step at sign-in').waitFor();
    authenticators.grace = await enrol(page, (name) => look(page, `people-mfa-enrol-required${name}`));
    graceRecoveryCodes = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts();
    assert.equal(graceRecoveryCodes.length, 10);
    await page.getByRole('button', { name: 'Continue to Demo SP' }).click();
    await atDemoSp(page, 'grace@example.com', apps.launch);
    await page.context().close();
  });

  step('keyboard only: the sign-in form and the code, with the keys a person would press', async () => {
    const page = await newPage();
    await openDemoSp(page, apps.launch);
    await page.waitForURL(`${system.idpUrl}/login`);
    const focused = () => page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'username');
    await page.keyboard.type('ada');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'password');
    await page.keyboard.type(newPassword);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${system.idpUrl}/login/mfa`);
    await heading(page, 'Enter your code').waitFor();
    await look(page, 'people-mfa-code');
    // The code field has the focus already: type, Enter.
    assert.equal(await focused(), 'code');
    await page.keyboard.type(await authenticators.ada!.code());
    await page.keyboard.press('Enter');
    await atDemoSp(page, 'ada@example.com', apps.launch);
    await page.context().close();
  });

  let graceSignedIn: Page;
  step('a recovery code signs in once; used again, it is refused', async () => {
    const useRecoveryCode = async (page: Page) => {
      await openDemoSp(page, apps.launch);
      await idpLogin(system, page, 'grace', password);
      await heading(page, 'Enter your code').waitFor();
      await page.getByText('Lost your device? Use a recovery code').click();
      await page.getByLabel('Recovery code').fill(graceRecoveryCodes[0]);
      await page.getByRole('button', { name: 'Use recovery code' }).click();
    };
    graceSignedIn = await newPage();
    await useRecoveryCode(graceSignedIn);
    await atDemoSp(graceSignedIn, 'grace@example.com', apps.launch);

    const again = await newPage();
    await useRecoveryCode(again);
    // Told beside the recovery code's field, which stays open, not beside the app code's.
    const recoveryField = again.getByLabel('Recovery code');
    assert.equal(await recoveryField.getAttribute('aria-invalid'), 'true');
    assert.equal(
      await again.locator(`#${await recoveryField.getAttribute('aria-describedby')}`).textContent(),
      'That recovery code is not right, or was used already. Each code works once.',
    );
    assert.equal(await again.getByLabel('Code from your authenticator app').getAttribute('aria-invalid'), null);
    await look(again, 'people-mfa-recovery-code-used');
    await again.context().close();
  });

  step(
    'an administrator resets the person’s factors through the API: their session ends, and the next sign-in enrols again (at phone width)',
    async () => {
      const reset = await system.admin<{ factorsRemoved: number }>('DELETE', `${system.idpUrl}/v1/users/${ids.grace}/mfa`, undefined, 200);
      assert.equal(reset.factorsRemoved, 1);
      current = graceSignedIn;
      await graceSignedIn.goto(`${system.idpUrl}/`);
      await graceSignedIn.getByText('Open one of your applications to sign in').waitFor();
      await graceSignedIn.context().close();

      // The phone-width pass: every page on the way, at 375 px, with nothing wider than the screen.
      const phone = await newPage({ width: 375, height: 740 });
      const fits = async (name: string) => {
        const { scrollWidth, innerWidth } = await phone.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
        }));
        assert.ok(scrollWidth <= innerWidth, `${name} is ${scrollWidth} px wide on a ${innerWidth} px screen`);
        await look(phone, name);
      };
      await openDemoSp(phone, apps.launch);
      await phone.waitForURL(`${system.idpUrl}/login`);
      await fits('people-phone-sign-in');
      await idpLogin(system, phone, 'grace', 'not the password');
      await alert(phone).waitFor();
      await fits('people-phone-sign-in-error');
      await phone.getByLabel('Password').fill(password);
      await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
      await phone.waitForURL(`${system.idpUrl}/login/mfa`);
      authenticators.grace = await enrol(phone, (name) => fits(`people-phone-mfa-enrol${name}`));
      await phone.getByRole('button', { name: 'Continue to Demo SP' }).click();
      await atDemoSp(phone, 'grace@example.com', apps.launch);
      await phone.goto(`${system.idpUrl}/`);
      await heading(phone, 'Your applications').waitFor();
      await fits('people-phone-portal');
      await phone.getByRole('link', { name: 'Your account' }).click();
      await heading(phone, 'Your account').waitFor();
      await fits('people-phone-account');
      await phone.goto(`${system.idpUrl}/logout`);
      await heading(phone, 'Sign out').waitFor();
      await fits('people-phone-sign-out');
      await phone.getByRole('button', { name: 'Sign out', exact: true }).click();
      await heading(phone, 'You are signed out').waitFor();
      await fits('people-phone-signed-out');
      await phone.context().close();
    },
  );
});

/**
 * An authenticator app: codes computed from the key the enrolment page shows (otpauth, as the IdP:
 * SHA-1, 6 digits, 30 s). The IdP accepts one step either side of now and each step once, so each
 * code is of a step after the last one given.
 */
class Authenticator {
  private lastStep = 0;
  private readonly totp: TOTP;

  constructor(secret: string) {
    this.totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  }

  async code(): Promise<string> {
    const now = Math.floor(Date.now() / 30_000);
    const step = Math.max(this.lastStep + 1, now);
    // Two codes already given this step and the next: wait for the clock to reach the one after.
    if (step > now + 1) await new Promise((resolve) => setTimeout(resolve, (step - 1) * 30_000 - Date.now()));
    this.lastStep = step;
    return this.totp.generate({ timestamp: step * 30_000 });
  }
}

/**
 * Enrols an authenticator app on the page that asks for it (QR code, the key typed out), confirming
 * with a code from it; leaves the page on the recovery codes. `check` looks at each page (axe and a
 * photo): the enrolment as '', the recovery codes as '-recovery-codes'.
 */
async function enrol(page: Page, check: (suffix: string) => Promise<void>): Promise<Authenticator> {
  await heading(page, 'Set up a second step').waitFor();
  await page.getByRole('img', { name: 'QR code of your authenticator key' }).waitFor();
  await check('');
  const secret = ((await page.locator('#secret').textContent()) ?? '').replace(/ /g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const authenticator = new Authenticator(secret);
  await page.getByLabel('Code from your authenticator app').fill(await authenticator.code());
  await page.getByRole('button', { name: 'Confirm' }).click();
  await heading(page, 'Your recovery codes').waitFor();
  assert.equal(await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count(), 10);
  await check('-recovery-codes');
  return authenticator;
}
