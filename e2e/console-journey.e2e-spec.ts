import assert from 'node:assert/strict';
import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { buildConsoleWeb, launchChromium, screenshot } from '@jit/testing';
import { System } from './harness';
import { cutTableLabels, dateCellLines, desktopContext, dialog, heading, idpLogin, look, navLink, row, table } from './console-browser';

/**
 * The admin console in Chromium against the real services: an administrator signs in through the
 * IdP, adds the demo SP from the catalog, binds a group, fixes a member the SP could not create,
 * watches the person sign in to demo-sp, removes them and sees the refusal in Activity. Every screen
 * and dialog on the way is checked with axe and photographed (test-output/screenshots).
 *
 * The steps run in order and share the pages: each one starts where the previous one left off, as
 * the administrator would.
 */
describe('The admin console in a browser: an administrator adds, binds, fixes and revokes', () => {
  const adminPassword = 'console journey administrator password';
  const personPassword = 'console journey person password';
  const consoleEnv: Record<string, string> = {};
  const system = new System(
    'consolejourney',
    undefined,
    {},
    {
      directory: { BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: adminPassword },
      console: consoleEnv,
    },
  );
  let chromium: Chromium;
  let adminContext: BrowserContext;
  let admin: Page;
  let appId = '';
  let groupId = '';
  let userId = '';

  beforeAll(async () => {
    // The SPA builds while the services start: both take seconds, and neither needs the other.
    const [webDir] = await Promise.all([buildConsoleWeb(), system.start()]);
    consoleEnv.CONSOLE_WEB_DIR = webDir;
    [chromium] = await Promise.all([launchChromium(), system.startOne('console')]);
    adminContext = await desktopContext(chromium);
    admin = await adminContext.newPage();
  });

  afterAll(async () => {
    await chromium?.close();
    await system.stop();
  });

  const nav = navLink;

  /** A step of the journey; when it fails, a photo of the admin's page shows where it stood. */
  function step(name: string, run: () => Promise<void>): void {
    it(name, async () => {
      try {
        await run();
      } catch (error) {
        await screenshot(admin, `failed-journey-${name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
        throw error;
      }
    });
  }

  step('signs the administrator in through the IdP: the sign-in screen, the IdP login form, back to the console', async () => {
    await admin.goto(system.consoleUrl);
    await admin.getByRole('link', { name: 'Sign in' }).waitFor();
    await look(admin, 'console-sign-in');
    await admin.getByRole('link', { name: 'Sign in' }).click();
    await idpLogin(system, admin, 'admin', adminPassword);
    await admin.waitForURL(`${system.consoleUrl}/applications`);
    await heading(admin, 'SSO Applications').waitFor();
    await admin.getByRole('heading', { name: 'No applications yet' }).waitFor();
    await look(admin, 'console-applications-empty');
    // The first administrator's display name, then its username and role: no word said twice in a row.
    assert.equal(
      await admin.getByTestId('signed-in-as').textContent(),
      'First administrator (admin) · Administrator · Default organisation',
    );
  });

  step('adds JIT Demo SP from the catalog by search, keeping what was typed when a save is refused', async () => {
    await admin.getByRole('button', { name: '+ Add New Application' }).click();
    await heading(admin, 'Create New Application Integration').waitFor();
    await admin.getByRole('textbox', { name: 'Search the connector catalog' }).fill('demo');
    const result = admin.getByTestId('connector-results').locator('tbody tr').filter({ hasText: 'JIT Demo SP' });
    await result.waitFor();
    // Second of the three places the JIT Provisioning label shows: the catalog's search results.
    assert.equal(await result.getByTestId('jit-label').textContent(), 'JIT Provisioning');
    await look(admin, 'console-new-application-search');

    await admin.getByRole('button', { name: 'Select JIT Demo SP' }).click();
    const entityId = admin.getByRole('textbox', { name: 'SP Entity ID' });
    await entityId.waitFor();
    await entityId.fill(`${system.demoSpUrl}/saml/metadata`);
    const acs = admin.getByRole('textbox', { name: 'ACS URL 1' });
    await acs.fill('not a url');
    await look(admin, 'console-new-application');
    // The README's photo: the window as the admin sees it at the attributes.
    await admin.getByRole('heading', { name: 'Attributes', exact: true }).evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await screenshot(admin, 'console-new-application-attributes');
    await admin.getByRole('button', { name: 'Save application' }).click();
    // The refusal sits beside its field, and nothing else typed is lost.
    await admin.locator('[aria-invalid="true"]').first().waitFor();
    assert.equal(await acs.getAttribute('aria-invalid'), 'true');
    // The Save button is at the foot of a long form: the field in error takes the focus, in view.
    assert.equal(await acs.evaluate((element) => element === document.activeElement), true, 'the ACS URL field has the focus');
    const acsHelp = (await acs.getAttribute('aria-describedby')) ?? '';
    assert.ok(acsHelp, 'the ACS URL field names its error text');
    assert.match((await admin.locator(`[id="${acsHelp.split(' ')[0]}"]`).textContent()) ?? '', /\S/);
    assert.equal(await entityId.inputValue(), `${system.demoSpUrl}/saml/metadata`);
    assert.equal(await acs.inputValue(), 'not a url');
    await look(admin, 'console-new-application-refused');

    await acs.fill(`${system.demoSpUrl}/saml/acs`);
    await admin.getByRole('button', { name: 'Save application' }).click();
    await admin.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    appId = new URL(admin.url()).pathname.split('/').pop() ?? '';
    await heading(admin, 'JIT Demo SP').waitFor();
    await look(admin, 'console-application-overview');
  });

  step('shows JIT Provisioning in the Supported Functionality column of Configured Applications', async () => {
    await nav(admin, 'SSO Applications').click();
    const row = admin.getByTestId('applications-table').locator('tbody tr').filter({ hasText: 'JIT Demo SP' });
    await row.waitFor();
    assert.equal(await row.getByTestId('jit-label').textContent(), 'JIT Provisioning');
    await look(admin, 'console-applications-added');
  });

  step("maps an attribute: department is sent, read from the directory's cost center", async () => {
    await admin.goto(`${system.consoleUrl}/applications/${appId}?tab=configuration`);
    const source = admin.getByLabel('Directory attribute for department');
    await source.waitFor();
    await source.selectOption('costCenter');
    const send = admin.getByRole('switch', { name: 'Send department in the assertion' });
    await send.focus();
    await admin.keyboard.press('Space');
    assert.equal(await send.isChecked(), true);
    await look(admin, 'console-application-attributes');
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByRole('heading', { name: 'Saved' }).waitFor();
    const saved = await system.admin<{ attributes: Array<{ spName: string; source?: string; enabled?: boolean }> }>(
      'GET',
      `${system.catalogUrl}/v1/applications/${appId}`,
      undefined,
      200,
    );
    const department = saved.attributes.find((a) => a.spName === 'department');
    assert.equal(department?.source, 'costCenter');
    assert.notEqual(department?.enabled, false);
  });

  step('creates a user group and binds the application from the group page; its Applications panel shows JIT Provisioning', async () => {
    await nav(admin, 'User Groups').click();
    await heading(admin, 'User Groups').waitFor();
    await look(admin, 'console-groups-empty');
    await admin.getByRole('button', { name: 'Create group' }).click();
    const create = dialog(admin, 'Create user group');
    await create.waitFor();
    await look(admin, 'console-group-create-dialog');
    await create.getByLabel('Group name').fill('Demo users');
    await create.getByRole('button', { name: 'Create group' }).click();
    await admin.waitForURL(/\/groups\/[0-9a-f-]{36}$/);
    groupId = new URL(admin.url()).pathname.split('/').pop() ?? '';
    await heading(admin, /Demo users/).waitFor();

    await admin.getByLabel('Bind an application').selectOption({ label: 'JIT Demo SP' });
    await admin.getByRole('button', { name: 'Bind', exact: true }).click();
    const bound = row(admin, 'Applications bound to Demo users', 'JIT Demo SP');
    await bound.waitFor();
    // Third place: the User Group's Applications panel.
    assert.equal(await bound.getByTestId('jit-label').textContent(), 'JIT Provisioning');
  });

  step('adds a member without a last name; JIT readiness lists them with what they lack', async () => {
    await nav(admin, 'Users').click();
    await heading(admin, 'Users').waitFor();
    await admin.getByRole('button', { name: 'Create user' }).click();
    const create = dialog(admin, 'Create user');
    await create.waitFor();
    await look(admin, 'console-user-create-dialog');
    await create.getByRole('textbox', { name: /^Username/ }).fill('nolast');
    await create.getByRole('textbox', { name: /^Email/ }).fill('nolast@example.com');
    await create.getByRole('textbox', { name: 'First name' }).fill('Nola');
    await create.getByLabel('Password', { exact: true }).fill(personPassword);
    await create.getByRole('button', { name: 'Create user' }).click();
    await admin.waitForURL(/\/users\/[0-9a-f-]{36}$/);
    userId = new URL(admin.url()).pathname.split('/').pop() ?? '';
    await heading(admin, /Nola/).waitFor();

    await admin.goto(`${system.consoleUrl}/groups/${groupId}`);
    await admin.getByRole('textbox', { name: 'Search users to add to Demo users' }).fill('nolast');
    await admin.getByRole('button', { name: 'Add nolast' }).click();
    await row(admin, 'Members of Demo users', 'nolast').waitFor();
    await look(admin, 'console-group');

    await admin.goto(`${system.consoleUrl}/applications/${appId}?tab=readiness`);
    const lacking = admin.getByTestId('readiness-table').locator('tbody tr').filter({ hasText: 'nolast' });
    await lacking.waitFor();
    assert.match((await lacking.getByRole('list', { name: 'What nolast lacks' }).textContent()) ?? '', /lastname/);
    assert.match((await admin.getByTestId('readiness-summary').textContent()) ?? '', /1 of 1 authorised users would fail JIT provisioning/);
    await look(admin, 'console-application-readiness');
    // The list counts them too: one authorised user, one who would fail JIT.
    await nav(admin, 'SSO Applications').click();
    const listed = admin.getByTestId('applications-table').locator('tbody tr').filter({ hasText: 'JIT Demo SP' });
    await listed.locator('td[data-label="Would fail JIT"]').getByText('1', { exact: true }).waitFor();
    await look(admin, 'console-applications');
    // The count links to who they are.
    await listed.locator('td[data-label="Would fail JIT"]').getByRole('link').click();
    await admin.getByTestId('readiness-table').waitFor();
  });

  step('fixes the user from the readiness link: the user page, their last name, saved; readiness clears', async () => {
    await admin.getByRole('link', { name: 'Fix nolast' }).click();
    await admin.waitForURL(`${system.consoleUrl}/users/${userId}`);
    await admin.getByLabel('Last name').fill('Lastly');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByRole('heading', { name: /saved/i }).waitFor();
    await look(admin, 'console-user');

    await admin.goto(`${system.consoleUrl}/applications/${appId}?tab=readiness`);
    await admin.getByTestId('readiness-summary').filter({ hasText: 'All 1 authorised users are ready' }).waitFor();
  });

  let person: BrowserContext;

  step('lets the person sign in to demo-sp, which creates their account from the assertion', async () => {
    person = await desktopContext(chromium);
    const page = await person.newPage();
    await page.goto(`${system.demoSpUrl}/login?app=${appId}`);
    await idpLogin(system, page, 'nolast', personPassword);
    await page.waitForURL(`${system.demoSpUrl}/`);
    const body = (await page.locator('body').textContent()) ?? '';
    assert.match(body, /Signed in as nolast@example\.com/);
    assert.match(body, /created/);
    assert.match(body, /Lastly/);
    await screenshot(page, 'demo-sp-signed-in');
    await page.close();
  });

  step('removes the member from the group; their next sign-in is refused, and the refusal shows in Activity', async () => {
    await admin.goto(`${system.consoleUrl}/groups/${groupId}`);
    await admin.getByRole('button', { name: 'Remove nolast from Demo users' }).click();
    const confirm = dialog(admin, 'Remove nolast from Demo users?');
    await confirm.waitFor();
    await look(admin, 'console-remove-member-dialog');
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await confirm.waitFor({ state: 'hidden' });
    await row(admin, 'Members of Demo users', 'nolast').waitFor({ state: 'detached' });

    const page = await person.newPage();
    // The same browser, with its IdP session: no login form, and still refused.
    await page.goto(`${system.demoSpUrl}/login?app=${appId}`);
    await page
      .getByText(/not authori[sz]ed/i)
      .first()
      .waitFor();
    await screenshot(page, 'idp-refused');
    await page.close();

    await admin.goto(`${system.consoleUrl}/activity?userId=${userId}`);
    await heading(admin, 'Activity').waitFor();
    // The console's activity consumer may be a moment behind: the row appears once it has the event.
    const refusal = row(admin, 'Activity, newest first', 'app_not_authorized').first();
    await refusal.waitFor({ timeout: 15_000 });
    // The row names the person and the application, not their ids.
    await refusal.getByRole('link', { name: 'nolast' }).waitFor();
    await refusal.getByRole('link', { name: 'JIT Demo SP' }).waitFor();
    // The typed reason wraps between its words in its narrow column, not inside one ('authoriz' / 'ed').
    assert.equal(await refusal.locator('code').textContent(), 'app_not_authorized');
    assert.equal(await refusal.locator('code wbr').count(), 2);
    // Each of its words (its text nodes between the break opportunities) keeps to one line.
    const wordsOnOneLine = await refusal.locator('code').evaluate((code: HTMLElement) => {
      const words: boolean[] = [];
      const texts = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
      for (let node = texts.nextNode(); node; node = texts.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        words.push(new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size === 1);
      }
      return words;
    });
    assert.deepEqual(wordsOnOneLine, [true, true, true], 'no word of the reason is broken over two lines');
    // The filter's user picker names the person the address chose.
    await admin.getByRole('option', { name: 'nolast (nolast@example.com)' }).waitFor({ state: 'attached' });
    // The membership change reads by the group's name, not its id.
    await row(admin, 'Activity, newest first', 'removed user nolast from group Demo users').waitFor();
    await look(admin, 'console-activity');
    // The admin's own sign-in to this console: by name, with no link to an application page it does not have.
    await admin.goto(`${system.consoleUrl}/activity`);
    await admin.getByLabel('Application', { exact: true }).selectOption({ label: 'Admin console' });
    const consoleSignIn = row(admin, 'Activity, newest first', 'signed in to the admin console').first();
    await consoleSignIn.waitFor();
    assert.equal(await consoleSignIn.getByRole('link', { name: 'Admin console' }).count(), 0);
  });

  step('shows a change made elsewhere on the open page without a reload (live updates)', async () => {
    await admin.goto(`${system.consoleUrl}/groups/${groupId}`);
    await heading(admin, /Demo users/).waitFor();
    await system.admin('PATCH', `${system.directoryUrl}/v1/user-groups/${groupId}`, { name: 'Demo people' }, 200);
    await heading(admin, /Demo people/).waitFor({ timeout: 3000 });
  });

  step('opens the remaining screens and dialogs: users, groups, settings and their dialogs, all accessible', async () => {
    await nav(admin, 'Users').click();
    await row(admin, 'Users', 'nolast').waitFor();
    await look(admin, 'console-users');
    await admin.getByRole('button', { name: 'Import CSV' }).click();
    const importing = dialog(admin, /Import/);
    await importing.waitFor();
    await look(admin, 'console-users-import-dialog');
    await importing.getByRole('button', { name: 'Cancel' }).click();

    await nav(admin, 'User Groups').click();
    await row(admin, 'User groups', 'Demo people').waitFor();
    await look(admin, 'console-groups');

    await admin.goto(`${system.consoleUrl}/applications/${appId}?tab=groups`);
    await admin.getByTestId('bound-groups').waitFor();
    await admin.getByRole('button', { name: /Bind a user group/ }).click();
    const binding = dialog(admin, 'Bind a user group to JIT Demo SP');
    await binding.waitFor();
    await look(admin, 'console-bind-group-dialog');
    await binding.getByRole('button', { name: 'Done' }).click();

    await nav(admin, 'Settings').click();
    await heading(admin, 'Settings').waitFor();
    await table(admin, 'API keys').waitFor();
    await look(admin, 'console-settings');
    await admin.getByRole('button', { name: 'Create API key' }).click();
    const key = dialog(admin, 'Create API key');
    await key.waitFor();
    await key.getByRole('textbox', { name: /^Name/ }).fill('journey key');
    await key.getByRole('button', { name: 'Create' }).click();
    const created = dialog(admin, /API key “journey key” created/);
    await created.waitFor();
    await look(admin, 'console-api-key-created-dialog');
    await created.getByRole('button', { name: 'Done' }).click();
    for (const tab of ['Signing keys', 'Admins']) {
      await admin.getByRole('tab', { name: tab }).click();
      await admin.getByRole('tabpanel').locator('table').first().waitFor();
      await look(admin, `console-settings-${tab.toLowerCase().replace(' ', '-')}`);
    }
  });

  step('works by keyboard alone: the sidebar to SSO Applications, then + Add New Application and a search', async () => {
    await admin.goto(`${system.consoleUrl}/users`);
    await heading(admin, 'Users').waitFor();
    const focused = () => admin.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    const tabTo = async (text: string) => {
      for (let presses = 0; presses < 40; presses += 1) {
        await admin.keyboard.press('Tab');
        if ((await focused()) === text) return;
      }
      assert.fail(`Tab never reached "${text}"`);
    };
    await tabTo('SSO Applications');
    await admin.keyboard.press('Enter');
    await heading(admin, 'SSO Applications').waitFor();
    await tabTo('+ Add New Application');
    await admin.keyboard.press('Enter');
    await heading(admin, 'Create New Application Integration').waitFor();
    // The search field takes the focus: typing goes straight into it.
    await admin.keyboard.type('demo');
    await admin.getByRole('button', { name: 'Select JIT Demo SP' }).waitFor();
    await tabTo('Select');
    await admin.keyboard.press('Space');
    await admin.getByRole('textbox', { name: 'SP Entity ID' }).waitFor();
  });

  step('reads at phone width (375x812): the main screens, photographed, every date on one line, no label cut short', async () => {
    const phone = await adminContext.newPage();
    await phone.setViewportSize({ width: 375, height: 812 });
    const screens: Array<[string, string, string]> = [
      ['applications', '/applications', 'SSO Applications'],
      ['application', `/applications/${appId}?tab=readiness`, 'JIT Demo SP'],
      ['users', '/users', 'Users'],
      ['group', `/groups/${groupId}`, 'Demo people'],
      ['activity', '/activity', 'Activity'],
      ['settings', '/settings', 'Settings'],
    ];
    for (const [name, path, title] of screens) {
      await phone.goto(`${system.consoleUrl}${path}`);
      await heading(phone, new RegExp(title)).waitFor();
      await look(phone, `console-phone-${name}`);
      // A date broken across lines ("12/7/2026, 3:40:12" above "PM") reads as two values.
      const dates = await dateCellLines(phone);
      assert.deepEqual(
        dates.filter((d) => d.lines !== 1),
        [],
        `${name}: ${JSON.stringify(dates)}`,
      );
      if (['users', 'activity', 'settings'].includes(name)) assert.ok(dates.length > 0, `${name} shows dates`);
      assert.deepEqual(await cutTableLabels(phone), [], `${name}: labels cut short`);
    }
    await phone.getByRole('tab', { name: 'Signing keys' }).click();
    await phone.getByRole('tabpanel').locator('table').first().waitFor();
    await look(phone, 'console-phone-settings-signing-keys');
    const keyDates = await dateCellLines(phone);
    assert.ok(keyDates.length >= 2, JSON.stringify(keyDates));
    assert.deepEqual(
      keyDates.filter((d) => d.lines !== 1),
      [],
    );
    await phone.close();
  });
});
