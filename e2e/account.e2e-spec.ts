import assert from 'node:assert/strict';
import { Browser, parseForm } from '@jit/testing';
import { System } from './harness';

/**
 * The account page, as a person uses it: signed in at the IdP, they change their password (a wrong
 * current one is told beside its field), which signs out their other browser; the new password
 * signs in; "sign out everywhere else" ends another browser's session.
 */
describe('The account page', () => {
  const system = new System('account');
  const oldPassword = 'correct horse battery staple';
  const newPassword = 'a brand new passphrase';
  let organizationId = '';

  beforeAll(async () => {
    await system.start();
    const user = await system.admin<{ organizationId: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', department: 'Engines', password: oldPassword },
      201,
    );
    organizationId = user.organizationId;
  });

  afterAll(() => system.stop());

  /** Signs in from the organisation's sign-in link; answers the login form's status. */
  const signIn = async (browser: Browser, password: string): Promise<number> => {
    assert.equal((await browser.get(`${system.idpUrl}/?organization=${organizationId}`)).status, 302);
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    return (await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'ada', password })).status;
  };
  const account = async (browser: Browser): Promise<{ status: number; html: string; csrf: string }> => {
    const response = await browser.get(`${system.idpUrl}/account`);
    const html = await response.text();
    return { status: response.status, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  };
  const changePassword = (browser: Browser, csrf: string, current: string) =>
    browser.postForm(`${system.idpUrl}/account/password`, {
      csrf,
      currentPassword: current,
      newPassword,
      repeatPassword: newPassword,
    });

  it('changes the password: a wrong current one is told beside its field; the right one signs out the other browser', async () => {
    const browser = new Browser();
    const elsewhere = new Browser();
    assert.equal((await browser.get(`${system.idpUrl}/account`)).status, 302, 'not signed in: to the portal');
    assert.equal(await signIn(browser, oldPassword), 302);
    assert.equal(await signIn(elsewhere, oldPassword), 302);

    const page = await account(browser);
    assert.equal(page.status, 200);
    assert.match(page.html, /<dt>Department<\/dt><dd>Engines<\/dd>/);
    assert.equal(page.html.match(/<li>Signed in /g)?.length, 2);
    assert.match(page.html, /\(this browser\)/);

    const wrong = await changePassword(browser, page.csrf, 'not my password');
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /<p class="error" id="currentPassword-error">The current password is wrong\.<\/p>/);

    const right = await changePassword(browser, page.csrf, oldPassword);
    assert.equal(right.status, 200);
    assert.match(await right.text(), /Password changed/);
    assert.equal((await account(browser)).status, 200, 'this browser stays signed in, under its new session id');
    assert.equal((await account(elsewhere)).status, 302, 'the other browser was signed out');

    assert.equal(await signIn(new Browser(), oldPassword), 401, 'the old password no longer signs in');
    assert.equal(await signIn(new Browser(), newPassword), 302, 'the new one does');
  });

  it('"sign out everywhere else" ends the other browser’s session and keeps this one', async () => {
    const browser = new Browser();
    const elsewhere = new Browser();
    assert.equal(await signIn(browser, newPassword), 302);
    assert.equal(await signIn(elsewhere, newPassword), 302);
    const { csrf } = await account(browser);
    const ended = await browser.postForm(`${system.idpUrl}/account/sessions/end-others`, { csrf });
    assert.equal(ended.status, 200);
    assert.match(await ended.text(), /Signed out of \d+ other sessions?\./);
    assert.equal((await account(elsewhere)).status, 302);
    assert.equal((await account(browser)).status, 200);
  });
});
