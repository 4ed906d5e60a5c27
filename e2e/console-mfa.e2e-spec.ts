import assert from 'node:assert/strict';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import { Browser, buildConsoleWeb, launchChromium, parseForm, screenshot } from '@jit/testing';
import { System } from './harness';
import { desktopContext, dialog, heading, look, signInToConsole } from './console-browser';

/**
 * The console's multi-factor screens in Chromium against the real services: an administrator sets
 * the organisation's MFA policy and an application's MFA options by keyboard; a person enrols an
 * authenticator app at their next sign-in and the open user page shows it without a reload; a
 * help-desk admin resets it (their session ends) and unlocks them; a read-only admin and a
 * help-desk admin are offered no control they may not use, and the API refuses them all the same.
 */
describe('The admin console in a browser: multi-factor authentication', () => {
  const password = 'console mfa e2e password';
  const consoleEnv: Record<string, string> = {};
  const system = new System(
    'consolemfa',
    undefined,
    // Three wrong codes lock a person's second step.
    { IDP_MFA_FAILURES_PER_USER: '3' },
    {
      // Three wrong passwords lock an address out: the unlock step locks the person in three posts.
      directory: { BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: password, DIRECTORY_LOCKOUT_THRESHOLD: '3' },
      console: consoleEnv,
    },
  );
  let chromium: Chromium;
  const contexts: BrowserContext[] = [];
  /** One page per admin, each signed in before the policy requires a second factor of everyone. */
  let admin: Page;
  let helper: Page;
  let reader: Page;
  /** A second administrator, demoted while their policy form is open. */
  let deputy: Page;
  let deputyId = '';
  let organizationId = '';
  let appId = '';
  let adaId = '';
  /** Ada's browser at the IdP, signed in with her authenticator app (the reset ends its session). */
  let ada: Browser;
  /** The browser she enrolled in, still signed in: the reset ends both sessions. */
  let adaEnrolled: Browser;
  let secret = '';

  const code = (steps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
      timestamp: Date.now() + steps * 30_000,
    });

  const adminOf = async (username: string, role?: 'administrator' | 'read-only' | 'help-desk') => {
    const created = await system.admin<{ id: string; organizationId: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username, email: `${username}@example.com`, firstname: username, lastname: 'Example', password },
      201,
    );
    if (role) await system.admin('PUT', `${system.directoryUrl}/v1/users/${created.id}/admin-role`, { role }, 200);
    return created;
  };

  const signedInPage = async (username: string): Promise<Page> => {
    const context = await desktopContext(chromium);
    contexts.push(context);
    const page = await context.newPage();
    await signInToConsole(system, page, username, password);
    return page;
  };

  beforeAll(async () => {
    const [webDir] = await Promise.all([buildConsoleWeb(), system.start()]);
    consoleEnv.CONSOLE_WEB_DIR = webDir;
    [chromium] = await Promise.all([launchChromium(), system.startOne('console')]);
    organizationId = (await adminOf('reader', 'read-only')).organizationId;
    await adminOf('helper', 'help-desk');
    deputyId = (await adminOf('deputy', 'administrator')).id;
    ({ appId, userId: adaId } = await system.personWithDemoSpAccess(
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password },
      'Engineers',
    ));
    // One after another: four browsers loading the console at once, beside the other test files,
    // took one past the 10 s a page load may take (every test of the file then failed).
    admin = await signedInPage('admin');
    helper = await signedInPage('helper');
    reader = await signedInPage('reader');
    deputy = await signedInPage('deputy');
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await chromium?.close();
    await system.stop();
  });

  /** A step; when it fails, a photo of each admin's page shows where it stood. */
  function step(name: string, run: () => Promise<void>): void {
    it(name, async () => {
      try {
        await run();
      } catch (error) {
        const label = name.slice(0, 40).replace(/\W+/g, '-');
        for (const [who, page] of [
          ['admin', admin],
          ['helper', helper],
          ['reader', reader],
          ['deputy', deputy],
        ] as const) {
          if (page) await screenshot(page, `failed-mfa-${who}-${label}`).catch(() => undefined);
        }
        throw error;
      }
    });
  }

  /** Presses Tab until the focus is on an element whose accessible text is `text` (at most 60 presses). */
  async function tabTo(page: Page, matches: (element: { text: string; label: string }) => boolean, what: string): Promise<void> {
    for (let presses = 0; presses < 60; presses += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement;
        const labelled = element?.id ? document.querySelector(`label[for="${element.id}"]`)?.textContent : undefined;
        return { text: element?.textContent?.trim() ?? '', label: labelled?.trim() ?? element?.getAttribute('aria-label') ?? '' };
      });
      if (matches(focused)) return;
    }
    assert.fail(`Tab never reached ${what}`);
  }

  /** The focus is on (or in) the element with this test id, within a second (after a dialog lets go of it). */
  async function focusIsOn(page: Page, testId: string): Promise<void> {
    await page.waitForFunction(
      (id) => document.activeElement?.closest(`[data-testid="${id}"]`) !== null && document.activeElement !== document.body,
      testId,
      { timeout: 1000 },
    );
  }

  step("sets the organisation's policy to required in Settings by keyboard alone; the IdP has it", async () => {
    await admin.goto(`${system.consoleUrl}/settings`);
    await heading(admin, 'Settings').waitFor();
    await admin.getByRole('tab', { name: 'Multi-factor authentication' }).click();
    const off = admin.getByRole('radio', { name: 'Off' });
    await off.waitFor();
    assert.equal(await off.isChecked(), true, 'off is the default');
    assert.equal(await admin.getByRole('button', { name: 'Save policy' }).isDisabled(), true, 'nothing to save yet');
    await look(admin, 'console-settings-mfa');

    // From the tab, by keyboard: the radio group is one stop, its arrows choose, Tab reaches Save.
    await admin.getByRole('tab', { name: 'Multi-factor authentication' }).focus();
    await tabTo(admin, (f) => f.label === 'Off', 'the policy');
    await admin.keyboard.press('ArrowDown');
    await admin.keyboard.press('ArrowDown');
    assert.equal(await admin.getByRole('radio', { name: 'Required' }).isChecked(), true);
    await tabTo(admin, (f) => f.text === 'Save policy', 'Save policy');
    await admin.keyboard.press('Enter');
    await admin.getByRole('heading', { name: 'The MFA policy is required now' }).waitFor();
    await look(admin, 'console-settings-mfa-saved');
    assert.deepEqual(await system.admin('GET', `${system.idpUrl}/v1/mfa-policy`, undefined, 200), { policy: 'required' });
  });

  step('keeps the chosen policy and says why when the IdP refuses the save (the admin was demoted meanwhile)', async () => {
    await deputy.goto(`${system.consoleUrl}/settings?tab=mfa`);
    const optional = deputy.getByRole('radio', { name: 'Optional' });
    await optional.check();
    await system.admin('PUT', `${system.directoryUrl}/v1/users/${deputyId}/admin-role`, { role: 'read-only' }, 200);
    await deputy.getByRole('button', { name: 'Save policy' }).click();
    const refused = deputy.getByRole('heading', { name: 'The MFA policy was not saved' });
    await refused.waitFor();
    assert.match(
      (await deputy.getByRole('form', { name: 'Multi-factor authentication policy' }).textContent()) ?? '',
      /Your admin role \(read-only\) may not/,
    );
    assert.equal(await optional.isChecked(), true, 'the choice is kept');
    await look(deputy, 'console-settings-mfa-refused');
    assert.deepEqual(await system.admin('GET', `${system.idpUrl}/v1/mfa-policy`, undefined, 200), { policy: 'required' });
  });

  step("sets an application's MFA options: a refused save keeps them, a corrected one stores them", async () => {
    await admin.goto(`${system.consoleUrl}/applications/${appId}?tab=configuration`);
    const required = admin.getByRole('checkbox', { name: 'Require multi-factor authentication' });
    await required.waitFor();
    assert.equal(await required.isChecked(), false);
    assert.equal(await admin.getByRole('radio', { name: /^REFEDS MFA/ }).isChecked(), true, 'REFEDS MFA is the default');
    await required.focus();
    await admin.keyboard.press('Space');
    await admin.getByRole('radio', { name: /^REFEDS MFA/ }).focus();
    await admin.keyboard.press('ArrowDown');
    const microsoft = admin.getByRole('radio', { name: /^Microsoft multipleauthn/ });
    assert.equal(await microsoft.isChecked(), true);
    await admin
      .getByRole('heading', { name: 'Multi-factor authentication', exact: true })
      .evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await screenshot(admin, 'console-application-mfa-options');

    // A launch URL the catalog refuses: the refusal sits beside it, and the MFA choices stay as chosen.
    const launch = admin.getByRole('textbox', { name: 'Launch URL' });
    await launch.fill('javascript:alert(1)');
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByTestId('save-failure').waitFor();
    assert.equal(await launch.getAttribute('aria-invalid'), 'true');
    assert.equal(await required.isChecked(), true);
    assert.equal(await microsoft.isChecked(), true);
    await look(admin, 'console-application-mfa-refused');
    const stored = await system.admin<{ mfaRequired: boolean }>('GET', `${system.catalogUrl}/v1/applications/${appId}`, undefined, 200);
    assert.equal(stored.mfaRequired, false, 'nothing of a refused save is stored');

    await launch.fill('');
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByRole('heading', { name: 'Saved' }).waitFor();
    const saved = await system.admin<{ mfaRequired: boolean; mfaAuthnContext: string }>(
      'GET',
      `${system.catalogUrl}/v1/applications/${appId}`,
      undefined,
      200,
    );
    assert.deepEqual([saved.mfaRequired, saved.mfaAuthnContext], [true, 'microsoft-multipleauthn']);
    await admin.getByRole('tab', { name: 'Overview' }).click();
    assert.match(
      (await admin.getByTestId('application-mfa').textContent()) ?? '',
      /Required for every sign-in.*Microsoft multipleauthn \(http:\/\/schemas\.microsoft\.com\/claims\/multipleauthn\)/,
    );
  });

  step('offers the MFA options on Create New Application Integration, and creates an application that requires MFA', async () => {
    await admin.goto(`${system.consoleUrl}/applications/new`);
    await heading(admin, 'Create New Application Integration').waitFor();
    await admin.getByRole('textbox', { name: 'Search the connector catalog' }).fill('generic');
    await admin.getByRole('button', { name: /^Select SAML 2\.0/ }).click();
    await admin.getByRole('textbox', { name: 'SP Entity ID' }).fill('https://mfa-sp.example.com/metadata');
    await admin.getByRole('textbox', { name: 'ACS URL 1' }).fill('https://mfa-sp.example.com/acs');
    const required = admin.getByRole('checkbox', { name: 'Require multi-factor authentication' });
    assert.equal(await required.isChecked(), false);
    assert.equal(await admin.getByRole('radio', { name: /^REFEDS MFA/ }).isChecked(), true);
    await required.check();
    await look(admin, 'console-new-application-mfa');
    await admin.getByRole('button', { name: 'Save application' }).click();
    await admin.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    const created = new URL(admin.url()).pathname.split('/').pop() ?? '';
    const app = await system.admin<{ mfaRequired: boolean; mfaAuthnContext: string }>(
      'GET',
      `${system.catalogUrl}/v1/applications/${created}`,
      undefined,
      200,
    );
    assert.deepEqual([app.mfaRequired, app.mfaAuthnContext], [true, 'refeds-mfa']);
  });

  step("shows a person's authenticator app on their open user page as soon as they enrol it at sign-in (live)", async () => {
    const connected = admin.waitForResponse((response) => new URL(response.url()).pathname === '/api/events');
    await admin.goto(`${system.consoleUrl}/users/${adaId}`);
    await heading(admin, /Ada Lovelace/).waitFor();
    await admin.getByText('No second factor set up.').waitFor();
    await connected;

    // Ada signs in to her portal: the policy now requires a factor, so she sets up an app first.
    ada = new Browser();
    assert.equal((await ada.get(`${system.idpUrl}/?organization=${organizationId}`)).status, 302);
    const form = parseForm(await (await ada.get(`${system.idpUrl}/login`)).text());
    const posted = await ada.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'ada', password });
    assert.equal(posted.headers.get('location'), '/login/mfa');
    const enrol = await (await ada.get(`${system.idpUrl}/login/mfa`)).text();
    secret = (/<p class="secret" id="secret">([A-Z2-7 ]+)<\/p>/.exec(enrol)?.[1] ?? '').replace(/ /g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(enrol)?.[1] ?? '';
    const confirmed = await ada.postForm(`${system.idpUrl}/login/mfa`, { csrf, code: code() });
    assert.equal(confirmed.status, 200);
    const next = parseForm(await confirmed.text());
    const portal = await ada.postForm(`${system.idpUrl}/login/continue`, next.fields);
    assert.equal(portal.headers.get('location'), '/');
    assert.equal((await ada.get(`${system.idpUrl}/account`)).status, 200, 'Ada is signed in');
    adaEnrolled = ada;

    const devices = admin.locator('table[aria-label="Security devices of ada"] tbody tr');
    await devices.filter({ hasText: 'Authenticator app (TOTP)' }).waitFor({ timeout: 3000 });
    assert.equal(await devices.count(), 1);
    assert.match((await admin.getByTestId('recovery-codes-left').textContent()) ?? '', /^10 recovery codes left\.$/);
    await look(admin, 'console-user-security-devices');
  });

  step("shows that wrong codes locked Ada's second step; a help-desk admin unlocks it and her devices stay", async () => {
    const browser = new Browser();
    assert.equal((await browser.get(`${system.idpUrl}/?organization=${organizationId}`)).status, 302);
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    const posted = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'ada', password });
    assert.equal(posted.headers.get('location'), '/login/mfa');
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await browser.get(`${system.idpUrl}/login/mfa`)).text())?.[1] ?? '';
    const send = (value: string) => browser.postForm(`${system.idpUrl}/login/mfa`, { csrf, code: value });
    for (let tries = 0; tries < 3; tries += 1) assert.equal((await send(code(5))).status, 401);
    assert.equal((await send(code(1))).status, 429, 'locked: even a right code is refused');

    await helper.goto(`${system.consoleUrl}/users/${adaId}`);
    const locked = helper.getByTestId('mfa-locked');
    await locked.waitFor();
    assert.match((await locked.textContent()) ?? '', /Second step locked until/);
    // The administrator's open page shows it too, from the refusals' events.
    await admin.getByTestId('mfa-locked').waitFor({ timeout: 3000 });
    await look(helper, 'console-user-mfa-locked');
    // By keyboard; the button goes with the lockout, and the focus moves to what happened.
    await helper.getByRole('button', { name: 'Unlock second step' }).focus();
    await helper.keyboard.press('Enter');
    await helper.getByRole('heading', { name: 'Unlocked: a right code works at once; the devices stay' }).waitFor();
    await locked.waitFor({ state: 'detached' });
    await focusIsOn(helper, 'security-devices-notice');
    await helper.locator('table[aria-label="Security devices of ada"]').waitFor();

    const unlocked = await send(code(1));
    assert.equal(unlocked.headers.get('location'), '/', 'the right code signs her in now');
    ada = browser;
  });

  step('lets a help-desk admin reset the factors from the user page, after a dialog that says it ends her sessions', async () => {
    await helper.goto(`${system.consoleUrl}/users/${adaId}`);
    await helper.locator('table[aria-label="Security devices of ada"]').waitFor();
    await helper.getByRole('button', { name: 'Reset MFA' }).focus();
    await helper.keyboard.press('Enter');
    const confirm = dialog(helper, 'Reset MFA for ada?');
    await confirm.waitFor();
    assert.match((await confirm.textContent()) ?? '', /This ends their sessions/);
    await look(helper, 'console-user-reset-mfa-dialog');
    // The dialog by keyboard: Escape cancels and nothing is reset.
    await helper.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    const still = await system.admin<{ factors: unknown[] }>('GET', `${system.idpUrl}/v1/users/${adaId}/mfa`, undefined, 200);
    assert.equal(still.factors.length, 1);

    // Again, by keyboard: the dialog takes the focus, Tab reaches its Reset MFA, Enter confirms.
    await helper.getByRole('button', { name: 'Reset MFA' }).focus();
    await helper.keyboard.press('Enter');
    await confirm.waitFor();
    await tabTo(helper, (f) => f.text === 'Reset MFA', 'the dialog’s Reset MFA');
    assert.equal(await confirm.getByRole('button', { name: 'Reset MFA' }).evaluate((e) => e === document.activeElement), true);
    await helper.keyboard.press('Enter');
    await helper.getByRole('heading', { name: 'MFA reset: 1 device removed, 2 sessions ended' }).waitFor();
    await focusIsOn(helper, 'security-devices-notice');
    await helper.getByText('No second factor set up.').waitFor();
    assert.match((await helper.getByTestId('recovery-codes-left').textContent()) ?? '', /^0 recovery codes left\.$/);
    await look(helper, 'console-user-mfa-reset');

    const after = await system.admin<{ factors: unknown[]; recoveryCodesLeft: number }>(
      'GET',
      `${system.idpUrl}/v1/users/${adaId}/mfa`,
      undefined,
      200,
    );
    assert.deepEqual(after, { factors: [], recoveryCodesLeft: 0, lockedUntil: null });
    assert.equal((await ada.get(`${system.idpUrl}/account`)).status, 302, "Ada's session has ended");
    assert.equal((await adaEnrolled.get(`${system.idpUrl}/account`)).status, 302, 'and the one she enrolled in');
    // The administrator's open page follows the reset too.
    await admin.getByText('No second factor set up.').waitFor({ timeout: 3000 });
  });

  step('shows a help-desk admin that Ada is locked out after wrong passwords, and Unlock lifts it', async () => {
    const attempt = async (browser: Browser, attemptPassword: string) => {
      const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
      return browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'ada', password: attemptPassword });
    };
    const browser = new Browser();
    assert.equal((await browser.get(`${system.idpUrl}/?organization=${organizationId}`)).status, 302);
    for (let tries = 0; tries < 3; tries += 1) await attempt(browser, 'not her password');
    assert.equal((await attempt(browser, password)).status, 429, 'the right password waits while locked out');

    await helper.reload();
    await helper.getByText('Locked', { exact: true }).waitFor();
    await helper.getByRole('button', { name: 'Unlock' }).click();
    await helper.getByText('Not locked', { exact: true }).waitFor();
    // The right password works again; with no factor left, the policy walks her to enrolment.
    const again = await attempt(browser, password);
    assert.equal(again.headers.get('location'), '/login/mfa');
  });

  step("offers a help-desk admin no policy control and no control on an administrator's account; the IdP refuses both (403)", async () => {
    await helper.goto(`${system.consoleUrl}/settings?tab=mfa`);
    await helper.getByTestId('mfa-policy').waitFor();
    assert.match((await helper.getByTestId('mfa-policy').textContent()) ?? '', /^Required/);
    assert.equal(await helper.getByRole('radio').count(), 0);
    assert.equal(await helper.getByRole('button', { name: 'Save policy' }).count(), 0);
    const me = (await (await helper.request.get(`${system.consoleUrl}/api/me`)).json()) as { csrfToken: string };
    const put = await helper.request.put(`${system.consoleUrl}/api/idp/v1/mfa-policy`, {
      headers: { 'x-csrf-token': me.csrfToken },
      data: { policy: 'off' },
    });
    assert.equal(put.status(), 403, await put.text());

    // An administrator's account is not theirs to change: no control on its page, and a 403 anyway.
    const administrator = await system.admin<{ items: Array<{ id: string }> }>(
      'GET',
      `${system.directoryUrl}/v1/users?username=admin`,
      undefined,
      200,
    );
    const adminId = administrator.items[0]?.id ?? '';
    await helper.goto(`${system.consoleUrl}/users/${adminId}`);
    await helper.getByTestId('recovery-codes-left').waitFor();
    const offered = await helper
      .getByRole('button', { name: /^(Save|Suspend|Delete user|Set password|Unlock|Unlock second step|Reset MFA)$/ })
      .allTextContents();
    assert.deepEqual(offered, [], `the administrator's page offers the help desk ${offered.join(', ')}`);
    assert.equal(await helper.getByRole('textbox').count(), 0, 'the attributes are text, not fields');
    const reset = await helper.request.delete(`${system.consoleUrl}/api/idp/v1/users/${adminId}/mfa`, {
      headers: { 'x-csrf-token': me.csrfToken },
    });
    assert.equal(reset.status(), 403, await reset.text());
    assert.match(((await reset.json()) as { message: string }).message, /may not change the account of an admin \(administrator\)/);
  });

  step('offers a read-only admin no MFA control anywhere, and the API refuses the reset and the policy (403)', async () => {
    await reader.goto(`${system.consoleUrl}/settings?tab=mfa`);
    await reader.getByTestId('mfa-policy').waitFor();
    assert.equal(await reader.getByRole('radio').count(), 0);
    await look(reader, 'console-read-only-settings-mfa');

    await reader.goto(`${system.consoleUrl}/users/${adaId}`);
    await reader.getByTestId('recovery-codes-left').waitFor();
    assert.equal(await reader.getByRole('button', { name: /Reset MFA|Unlock/ }).count(), 0);

    await reader.goto(`${system.consoleUrl}/applications/${appId}`);
    await reader.getByTestId('application-mfa').waitFor();
    assert.equal(await reader.getByRole('tab', { name: 'Configuration' }).count(), 0);
    assert.equal(await reader.getByRole('checkbox').count(), 0);

    const me = (await (await reader.request.get(`${system.consoleUrl}/api/me`)).json()) as { csrfToken: string; role: string };
    assert.equal(me.role, 'read-only');
    const headers = { 'x-csrf-token': me.csrfToken };
    const reset = await reader.request.delete(`${system.consoleUrl}/api/idp/v1/users/${adaId}/mfa`, { headers });
    assert.equal(reset.status(), 403, await reset.text());
    const policy = await reader.request.put(`${system.consoleUrl}/api/idp/v1/mfa-policy`, { headers, data: { policy: 'off' } });
    assert.equal(policy.status(), 403, await policy.text());
    const patch = await reader.request.patch(`${system.consoleUrl}/api/catalog/v1/applications/${appId}`, {
      headers,
      data: { mfaRequired: false },
    });
    assert.equal(patch.status(), 403, await patch.text());
    assert.deepEqual(await system.admin('GET', `${system.idpUrl}/v1/mfa-policy`, undefined, 200), { policy: 'required' });
  });

  step('reads at phone width (390x844): the MFA policy, the user page and the application page', async () => {
    const phone = await admin.context().newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    const screens: Array<[string, string, string]> = [
      ['settings-mfa', '/settings?tab=mfa', 'Settings'],
      ['user', `/users/${adaId}`, 'Ada Lovelace'],
      ['application-mfa', `/applications/${appId}`, 'Demo SP'],
    ];
    for (const [name, path, title] of screens) {
      await phone.goto(`${system.consoleUrl}${path}`);
      await heading(phone, new RegExp(title)).waitFor();
      await look(phone, `console-phone-${name}`);
    }
    await phone.close();
  });
});
