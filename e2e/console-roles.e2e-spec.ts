import assert from 'node:assert/strict';
import type { Browser as Chromium, Page } from 'playwright-core';
import { Browser, buildConsoleWeb, launchChromium, parseForm } from '@jit/testing';
import { System } from './harness';
import { desktopContext, heading, look, row, signInToConsole, table } from './console-browser';

/**
 * The console's admin roles in Chromium: a read-only admin is offered no write control on any
 * screen and the console's API refuses the write anyway; a help-desk admin lifts a lockout from the
 * user page and the person signs in again.
 */
describe('The admin console in a browser: read-only and help-desk admins', () => {
  const password = 'console roles e2e password';
  const consoleEnv: Record<string, string> = {};
  const system = new System(
    'consoleroles',
    undefined,
    {},
    {
      // Three wrong passwords lock an address out: the test locks someone in three posts.
      directory: { BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: password, DIRECTORY_LOCKOUT_THRESHOLD: '3' },
      console: consoleEnv,
    },
  );
  let chromium: Chromium;
  let organizationId = '';
  let appId = '';
  let groupId = '';
  let lockedId = '';

  const person = async (username: string, role?: 'read-only' | 'help-desk') => {
    const created = await system.admin<{ id: string; organizationId: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username, email: `${username}@example.com`, firstname: username, lastname: 'Example', password },
      201,
    );
    if (role) await system.admin('PUT', `${system.directoryUrl}/v1/users/${created.id}/admin-role`, { role }, 200);
    return created;
  };

  beforeAll(async () => {
    const [webDir] = await Promise.all([buildConsoleWeb(), system.start()]);
    consoleEnv.CONSOLE_WEB_DIR = webDir;
    [chromium] = await Promise.all([launchChromium(), system.startOne('console')]);
    await person('reader', 'read-only');
    await person('helper', 'help-desk');
    const locked = await person('locked');
    lockedId = locked.id;
    organizationId = locked.organizationId;
    // Something on every screen, so that a row's own controls (rename, remove, unbind) are looked for too.
    ({ appId, groupId } = await system.personWithDemoSpAccess(
      { username: 'member', email: 'member@example.com', firstname: 'Mem', lastname: 'Ber', password },
      'Readers',
    ));
  });

  afterAll(async () => {
    await chromium?.close();
    await system.stop();
  });

  /** No button, link or tab of the screen says any of these. */
  async function offersNone(page: Page, screen: string, names: RegExp): Promise<void> {
    const offered = await page
      .getByRole('button', { name: names })
      .or(page.getByRole('link', { name: names }))
      .allTextContents();
    assert.deepEqual(offered, [], `${screen} offers a read-only admin ${offered.join(', ')}`);
  }

  it('offers a read-only admin no write control on Applications, Users, User Groups and Settings; the API refuses a write (403)', async () => {
    const context = await desktopContext(chromium);
    const page = await context.newPage();
    await signInToConsole(system, page, 'reader', password);
    assert.match((await page.getByTestId('signed-in-as').textContent()) ?? '', /Read-only/);

    await page.getByTestId('applications-table').locator('tbody tr').filter({ hasText: 'Demo SP' }).waitFor();
    await offersNone(page, 'SSO Applications', /Add New Application/);
    await look(page, 'console-read-only-applications');

    await page.goto(`${system.consoleUrl}/applications/${appId}`);
    await heading(page, 'Demo SP').waitFor();
    await offersNone(page, 'the application page', /^(Delete|Disable|Enable)$/);
    assert.equal(await page.getByRole('tab', { name: 'Configuration' }).count(), 0, 'the Configuration tab is for writers');
    await page.getByRole('tab', { name: 'User Groups' }).click();
    await page.getByTestId('bound-groups').locator('tbody tr').filter({ hasText: 'Readers' }).waitFor();
    await offersNone(page, 'the bound groups', /Bind a user group|Unbind/);

    await page.goto(`${system.consoleUrl}/users`);
    await row(page, 'Users', 'member').waitFor();
    await offersNone(page, 'Users', /Create user|Import CSV/);
    await look(page, 'console-read-only-users');

    await page.goto(`${system.consoleUrl}/users/${lockedId}`);
    await heading(page, /locked/).waitFor();
    await offersNone(page, 'the user page', /^(Save|Suspend|Activate|Delete user|Unlock|Set password)$/);
    assert.equal(await page.getByRole('textbox').count(), 0, 'the user page shows attributes as text, not fields');

    await page.goto(`${system.consoleUrl}/groups`);
    await row(page, 'User groups', 'Readers').waitFor();
    await offersNone(page, 'User Groups', /Create group|Rename|Delete/);
    await page.goto(`${system.consoleUrl}/groups/${groupId}`);
    await row(page, 'Members of Readers', 'member').waitFor();
    await offersNone(page, 'the group page', /^(Rename|Delete group|Remove .*|Bind|Unbind .*)$/);
    assert.equal(await page.getByLabel('Bind an application').count(), 0);
    await look(page, 'console-read-only-group');

    await page.goto(`${system.consoleUrl}/settings`);
    await table(page, 'API keys').waitFor();
    await offersNone(page, 'Settings', /Create API key|Revoke/);
    await look(page, 'console-read-only-settings');

    // The console's API decides for itself: the same write the screens do not offer answers 403.
    const me = (await (await page.request.get(`${system.consoleUrl}/api/me`)).json()) as { csrfToken: string; role: string };
    assert.equal(me.role, 'read-only');
    const write = await page.request.post(`${system.consoleUrl}/api/directory/v1/user-groups`, {
      headers: { 'x-csrf-token': me.csrfToken },
      data: { name: 'Written by a reader' },
    });
    assert.equal(write.status(), 403, await write.text());
    const groups = await system.admin<{ items: Array<{ name: string }> }>(
      'GET',
      `${system.directoryUrl}/v1/user-groups?limit=100`,
      undefined,
      200,
    );
    assert.ok(!groups.items.some((g) => g.name === 'Written by a reader'));
    await context.close();
  });

  /** One password attempt at the IdP's login form over HTTP: the answer's status and page. */
  async function attempt(browser: Browser, attemptPassword: string): Promise<{ status: number; page: string }> {
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    const response = await browser.postForm(`${system.idpUrl}/login`, {
      csrf: form.fields.csrf ?? '',
      username: 'locked',
      password: attemptPassword,
    });
    return { status: response.status, page: await response.text() };
  }

  it('lets a help-desk admin unlock a locked-out user from the user page, and the user signs in again', async () => {
    const browser = new Browser();
    assert.equal((await browser.get(`${system.idpUrl}/?organization=${organizationId}`)).status, 302);
    for (let tries = 0; tries < 3; tries += 1) await attempt(browser, 'not the password');
    const refused = await attempt(browser, password);
    assert.notEqual(refused.status, 303, 'the right password is refused while locked out');
    const lockout = await system.admin<{ locked: boolean }>('GET', `${system.directoryUrl}/v1/users/${lockedId}/lockout`, undefined, 200);
    assert.equal(lockout.locked, true);

    const context = await desktopContext(chromium);
    const page = await context.newPage();
    await signInToConsole(system, page, 'helper', password);
    await page.goto(`${system.consoleUrl}/users/${lockedId}`);
    await heading(page, /locked/).waitFor();
    await page.getByText('Locked', { exact: true }).waitFor();
    await look(page, 'console-user-locked');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByText('Not locked', { exact: true }).waitFor();
    await look(page, 'console-user-unlocked');
    await context.close();

    const again = await attempt(browser, password);
    assert.ok([302, 303].includes(again.status), `the IdP answered ${again.status}: ${again.page.slice(0, 300)}`);
  });
  it('Settings > Sign-in page: an administrator sets name, logo and colour with a preview, a refused value told beside its field; a read-only admin sees it with no control', async () => {
    const context = await desktopContext(chromium);
    const admin = await context.newPage();
    await signInToConsole(system, admin, 'admin', password);
    await admin.goto(`${system.consoleUrl}/settings?tab=sign-in-page`);
    const name = admin.getByRole('textbox', { name: 'Organisation name' });
    await name.waitFor();
    assert.equal(await name.inputValue(), 'Default organisation');
    const preview = admin.getByRole('region', { name: 'Preview of the sign-in page' });

    await name.fill('Acme Corp');
    await admin.getByRole('textbox', { name: 'Logo URL' }).fill('https://user:secret@cdn.example.com/logo.svg');
    await admin.getByRole('textbox', { name: 'Brand colour' }).fill('#0B7285');
    await preview.getByText('Acme Corp').waitFor();
    await admin.getByRole('button', { name: 'Save' }).click();
    // The directory's reason, beside the field it concerns; nothing saved.
    await admin.getByText('The logo URL must not contain a user name or password').waitFor();
    assert.equal(await admin.getByRole('textbox', { name: 'Logo URL' }).getAttribute('aria-invalid'), 'true');
    await look(admin, 'console-sign-in-page-error');
    assert.equal((await system.admin<{ name: string }>('GET', `${system.directoryUrl}/v1/organization`)).name, 'Default organisation');

    await admin.getByRole('textbox', { name: 'Logo URL' }).fill('');
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByText('Saved: the sign-in pages show it now').waitFor();
    const saved = await system.admin<Record<string, unknown>>('GET', `${system.directoryUrl}/v1/organization`);
    assert.deepEqual(saved, { id: organizationId, name: 'Acme Corp', logoUrl: null, brandColor: '#0b7285' });
    // White text on the dark teal band, as the IdP draws it.
    const band = preview.locator('.sign-in-preview__band');
    assert.deepEqual(await band.evaluate((e) => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]), [
      'rgb(11, 114, 133)',
      'rgb(255, 255, 255)',
    ]);
    await look(admin, 'console-sign-in-page');

    const reader = await (await desktopContext(chromium)).newPage();
    await signInToConsole(system, reader, 'reader', password);
    await reader.goto(`${system.consoleUrl}/settings?tab=sign-in-page`);
    await reader.getByRole('region', { name: 'Preview of the sign-in page' }).getByText('Acme Corp').waitFor();
    assert.equal(await reader.getByRole('textbox').count(), 0, 'shown as text, not fields');
    await offersNone(reader, 'Settings > Sign-in page', /^Save$/);
    await look(reader, 'console-read-only-sign-in-page');
  });
});
