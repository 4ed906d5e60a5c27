import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import { Browser, parseForm, readStream } from '@jit/testing';
import { System } from './harness';
import { CatalogPublisher, SP, answer, idpCertificate, nodeSaml } from './sp-libraries';

const PASSWORD_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const MFA_CLASS = 'https://refeds.org/profile/mfa';

/**
 * Multi-factor sign-in over HTTP, as a person and an administrator meet it: the organisation
 * requires MFA, so a new person is walked through enrolling an authenticator app at sign-in
 * (codes computed here from the secret the page shows, with otpauth) and sees recovery codes
 * once; the next sign-in asks for a code; wrong codes are refused, then locked out; a recovery
 * code works once; an administrator's reset lifts it all. node-saml accepts every assertion, and
 * its AuthnContextClassRef says what the person gave.
 */
describe('Multi-factor sign-in (TOTP and recovery codes)', () => {
  const system = new System('mfa', undefined, { IDP_MFA_FAILURES_PER_USER: '3', IDP_MFA_FAILURES_PER_SESSION: '10' });
  const password = 'correct horse battery staple';
  let appId = '';
  let userId = '';
  let certs: string[] = [];
  let publisher: CatalogPublisher;
  let secret = '';
  let recoveryCodes: string[] = [];
  /** When the enrolment's code was made: a code of that step was used. */
  let enrolledAt = 0;
  /** Signed in with a recovery code: an admin reset ends its session. */
  let signedInBrowser: Browser;

  /** A code of the step `steps` away from now: the IdP accepts one step either side, and each step once. */
  const code = (steps = 0, from = Date.now()) =>
    new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
      timestamp: from + steps * 30_000,
    });

  beforeAll(async () => {
    await system.start();
    userId = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.directoryUrl}/v1/users`,
        { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password },
        201,
      )
    ).id;
    const group = await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'Engineers' }, 201);
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${group.id}/members`, { userId }, 201);
    const grace = await system.admin<{ id: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username: 'grace', email: 'grace@example.com', firstname: 'Grace', lastname: 'Hopper', password },
      201,
    );
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${group.id}/members`, { userId: grace.id }, 201);
    appId = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.catalogUrl}/v1/applications`,
        { connectorId: 'saml2', name: 'MFA SP', spEntityId: SP.entityId, acsUrls: [SP.acsUrl] },
        201,
      )
    ).id;
    await system.admin('POST', `${system.catalogUrl}/v1/applications/${appId}/user-groups`, { groupId: group.id }, 201);
    const catalogEvents = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    publisher = await CatalogPublisher.connect(system, String(catalogEvents[0]?.payload.organizationId));
    await configure();
    certs = await idpCertificate(system, appId);
  });

  afterAll(async () => {
    await publisher?.close();
    await system.stop();
  });

  /** The application's options as the catalog would publish them (CatalogPublisher): MFA options the test sets. */
  const configure = (over: { mfaRequired?: boolean; mfaAuthnContext?: 'refeds-mfa' | 'microsoft-multipleauthn' } = {}) =>
    publisher.configure(appId, {
      name: 'MFA SP',
      connectorId: 'saml2',
      spEntityId: SP.entityId,
      acsUrls: [SP.acsUrl],
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      nameIdSource: 'email',
      signAssertion: true,
      signResponse: true,
      active: true,
      attributes: [{ spName: 'email', source: 'email', constant: null, enabled: true, required: true }],
      ...over,
    });

  /**
   * node-saml asking for at least PasswordProtectedTransport: answered with the strongest class
   * true of the sign-in. (Its default, exact PasswordProtectedTransport, is answered with exactly
   * that even after a second factor: e2e/authn-context.e2e-spec.ts.)
   */
  const minimumSp = () => nodeSaml(system, appId, certs, { racComparison: 'minimum' });

  /** node-saml starts a sign-in; the password goes in; answers the page after it, and node-saml to check the end. */
  const startSignIn = async (browser: Browser, username = 'ada') => {
    const sp = minimumSp();
    const first = await answer(await browser.get(await sp.getAuthorizeUrlAsync('', undefined, {})));
    assert.equal(first.kind, 'login');
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    const posted = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username, password });
    return { sp, posted };
  };
  const secondStep = async (browser: Browser) => {
    const response = await browser.get(`${system.idpUrl}/login/mfa`);
    const html = await response.text();
    return { status: response.status, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  };
  const sendCode = (browser: Browser, csrf: string, value: string) => browser.postForm(`${system.idpUrl}/login/mfa`, { csrf, code: value });
  /** The assertion node-saml accepted, and its AuthnContextClassRef. */
  const accepted = async (sp: ReturnType<typeof nodeSaml>, response: Response, nameId = 'ada@example.com') => {
    const result = await answer(response);
    assert.equal(result.kind, 'post', JSON.stringify(result).slice(0, 600));
    if (result.kind !== 'post') throw new Error('no SAMLResponse');
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: result.samlResponse });
    assert.equal(profile?.nameID, nameId);
    return /<saml:AuthnContextClassRef>([^<]+)</.exec(result.xml)?.[1];
  };

  it('with the policy off, the password alone signs in, and the assertion says PasswordProtectedTransport', async () => {
    assert.deepEqual(await system.admin('GET', `${system.idpUrl}/v1/mfa-policy`, undefined, 200), { policy: 'off' });
    const browser = new Browser();
    const { sp, posted } = await startSignIn(browser);
    assert.equal(await accepted(sp, posted), PASSWORD_CLASS);
  });

  const account = async (browser: Browser) => {
    const response = await browser.get(`${system.idpUrl}/account`);
    const html = await response.text();
    return { status: response.status, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  };
  let graceSecret = '';
  let graceRecoveryCodes: string[] = [];

  it('at the account page a person adds an authenticator app; the next sign-in asks for its code', async () => {
    const browser = new Browser();
    const { posted } = await startSignIn(browser, 'grace');
    assert.equal((await answer(posted)).kind, 'post', 'no factor, policy off: the password signs in');
    const before = await account(browser);
    assert.match(before.html, /<h2>Security devices<\/h2>/);
    assert.match(before.html, /No second factor yet/);

    const start = await browser.postForm(`${system.idpUrl}/account/mfa/totp`, { csrf: before.csrf });
    assert.equal(start.status, 200);
    const enrol = await start.text();
    assert.match(enrol, /action="\/account\/mfa\/totp\/confirm"/);
    graceSecret = (/<p class="secret" id="secret">([A-Z2-7 ]+)<\/p>/.exec(enrol)?.[1] ?? '').replace(/ /g, '');
    const graceCode = (steps = 0) =>
      new TOTP({ secret: Secret.fromBase32(graceSecret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
        timestamp: Date.now() + steps * 30_000,
      });
    const wrong = await browser.postForm(`${system.idpUrl}/account/mfa/totp/confirm`, { csrf: before.csrf, code: graceCode(4) });
    assert.equal(wrong.status, 400);
    const confirmed = await browser.postForm(`${system.idpUrl}/account/mfa/totp/confirm`, { csrf: before.csrf, code: graceCode() });
    assert.equal(confirmed.status, 200);
    const codes = [...(await confirmed.text()).matchAll(/<li>([a-z2-9]{5}-[a-z2-9]{5})<\/li>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10);

    const after = await account(browser);
    assert.equal(after.html.match(/<li>Authenticator app, added /g)?.length, 1);
    assert.match(after.html, /10 recovery codes left\./);
    const regenerated = await browser.postForm(`${system.idpUrl}/account/mfa/recovery-codes`, { csrf: after.csrf });
    const fresh = (graceRecoveryCodes = [...(await regenerated.text()).matchAll(/<li>([a-z2-9]{5}-[a-z2-9]{5})<\/li>/g)].map((m) => m[1]));
    assert.equal(fresh.length, 10);

    const next = new Browser();
    const again = await startSignIn(next, 'grace');
    assert.equal(again.posted.headers.get('location'), '/login/mfa');
    const step = await secondStep(next);
    assert.equal((await sendCode(next, step.csrf, codes[0])).status, 401, 'the old set of recovery codes is void');
    assert.equal(await accepted(again.sp, await sendCode(next, step.csrf, graceCode(1)), 'grace@example.com'), MFA_CLASS);
  });

  it('with the policy required, walks a person without a factor through enrolment, then shows recovery codes once', async () => {
    const bad = await fetch(`${system.idpUrl}/v1/mfa-policy`, {
      method: 'PUT',
      headers: { 'x-api-key': 'e2e-bootstrap-admin-key-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ policy: 'always' }),
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'required' }, 200), { policy: 'required' });

    const browser = new Browser();
    const { sp, posted } = await startSignIn(browser);
    assert.equal(posted.status, 302);
    assert.equal(posted.headers.get('location'), '/login/mfa');
    const enrol = await secondStep(browser);
    assert.equal(enrol.status, 200);
    assert.match(enrol.html, /Set up an authenticator app/);
    assert.match(enrol.html, /<svg /, 'the QR code');
    assert.match(enrol.html, /<label for="code">/);
    assert.match(enrol.html, /autocomplete="one-time-code" inputmode="numeric"/);
    secret = (/<p class="secret" id="secret">([A-Z2-7 ]+)<\/p>/.exec(enrol.html)?.[1] ?? '').replace(/ /g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal((await browser.get(`${system.idpUrl}/account`)).status, 302, 'not signed in before the code');

    const wrong = await sendCode(browser, enrol.csrf, code(5));
    assert.equal(wrong.status, 400);
    const again = await wrong.text();
    assert.match(again, /That code is not right/);
    assert.ok(again.includes(secret.replace(/(.{4})/g, '$1 ').trim()), 'the same key, shown again');

    enrolledAt = Date.now();
    const confirmed = await sendCode(browser, enrol.csrf, code(0, enrolledAt));
    assert.equal(confirmed.status, 200);
    const codesPage = await confirmed.text();
    recoveryCodes = [...codesPage.matchAll(/<li>([a-z2-9]{5}-[a-z2-9]{5})<\/li>/g)].map((m) => m[1]);
    assert.equal(recoveryCodes.length, 10);
    const next = parseForm(codesPage);
    assert.equal(next.action, '/login/continue');
    const issued = await browser.postForm(`${system.idpUrl}/login/continue`, next.fields);
    assert.equal(await accepted(sp, issued), MFA_CLASS);

    const mfa = await system.admin<{ factors: { kind: string; confirmed: boolean }[]; recoveryCodesLeft: number }>(
      'GET',
      `${system.idpUrl}/v1/users/${userId}/mfa`,
      undefined,
      200,
    );
    assert.deepEqual(
      mfa.factors.map((f) => [f.kind, f.confirmed]),
      [['totp', true]],
    );
    assert.equal(mfa.recoveryCodesLeft, 10);
    assert.equal(JSON.stringify(mfa).includes(secret), false, 'no secret in the admin API');
  });

  it('asks for the code at the next sign-in; the code of the step just used is refused (no replay), the next one accepted', async () => {
    const browser = new Browser();
    const { sp, posted } = await startSignIn(browser);
    assert.equal(posted.headers.get('location'), '/login/mfa');
    const step = await secondStep(browser);
    assert.match(step.html, /Enter your code/);
    const replayed = await sendCode(browser, step.csrf, code(0, enrolledAt));
    assert.equal(replayed.status, 401, 'the enrolment used this step');
    assert.equal(await accepted(sp, await sendCode(browser, step.csrf, code(1))), MFA_CLASS);
  });

  it('a recovery code works once', async () => {
    const first = (signedInBrowser = new Browser());
    const signIn = await startSignIn(first);
    const step = await secondStep(first);
    assert.equal(await accepted(signIn.sp, await sendCode(first, step.csrf, recoveryCodes[0].toUpperCase())), MFA_CLASS);

    const second = new Browser();
    await startSignIn(second);
    const again = await secondStep(second);
    assert.equal((await sendCode(second, again.csrf, recoveryCodes[0])).status, 401);
    const mfa = await system.admin<{ recoveryCodesLeft: number }>('GET', `${system.idpUrl}/v1/users/${userId}/mfa`, undefined, 200);
    assert.equal(mfa.recoveryCodesLeft, 9);
  });

  it('locks the second step after too many wrong codes, even for a right one; the last factor cannot be removed while required; an admin reset lifts it and ends the sessions', async () => {
    const browser = new Browser();
    await startSignIn(browser);
    const step = await secondStep(browser);
    // One wrong code was counted in the test before; two more reach IDP_MFA_FAILURES_PER_USER (3).
    for (let i = 0; i < 2; i++) assert.equal((await sendCode(browser, step.csrf, '000000')).status, 401);
    const locked = await sendCode(browser, step.csrf, recoveryCodes[1]);
    assert.equal(locked.status, 429);
    assert.match(await locked.text(), /Too many wrong codes\. Try again in 15 minutes/);
    const lockout = await system.admin<{ lockedUntil: string | null }>('GET', `${system.idpUrl}/v1/users/${userId}/mfa`, undefined, 200);
    const lockedFor = Date.parse(lockout.lockedUntil ?? '') - Date.now();
    assert.ok(lockedFor > 14 * 60_000 && lockedFor <= 15 * 60_000, `the admin API says locked until ${lockout.lockedUntil}`);

    const signedIn = new Browser();
    const { posted } = await startSignIn(signedIn);
    assert.equal(posted.status, 302, 'the password is still right');

    const reset = await system.admin<{ factorsRemoved: number }>('DELETE', `${system.idpUrl}/v1/users/${userId}/mfa`, undefined, 200);
    assert.equal(reset.factorsRemoved, 1);
    assert.equal((await signedInBrowser.get(`${system.idpUrl}/account`)).status, 302, 'signed out by the reset');
    const after = await system.admin<{ factors: unknown[]; recoveryCodesLeft: number }>(
      'GET',
      `${system.idpUrl}/v1/users/${userId}/mfa`,
      undefined,
      200,
    );
    assert.deepEqual(after, { factors: [], recoveryCodesLeft: 0, lockedUntil: null });

    // Grace may not remove her only factor while the policy requires one.
    const graceBrowser = new Browser();
    const graceSignIn = await startSignIn(graceBrowser, 'grace');
    const graceStep = await secondStep(graceBrowser);
    const graceIssued = await sendCode(graceBrowser, graceStep.csrf, graceRecoveryCodes[0]);
    assert.equal(await accepted(graceSignIn.sp, graceIssued, 'grace@example.com'), MFA_CLASS);
    const page = await account(graceBrowser);
    const factorId = /name="factorId" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    const refused = await graceBrowser.postForm(`${system.idpUrl}/account/mfa/remove`, { csrf: page.csrf, factorId });
    assert.equal(refused.status, 409);
    assert.match(await refused.text(), /Your organisation requires a second factor: add another device before you remove this one\./);
    assert.equal((await account(graceBrowser)).html.match(/<li>Authenticator app, added /g)?.length, 1);

    // The policy still requires a factor: the next sign-in enrols again.
    const fresh = new Browser();
    await startSignIn(fresh);
    assert.match((await secondStep(fresh)).html, /Set up an authenticator app/);
  });

  it('an application that requires MFA steps a password-only session up (enrolling the person), and may ask for Microsoft’s multipleauthn', async () => {
    await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'off' }, 200);
    const browser = new Browser();
    // Ada has no factor since the reset, and neither the organisation nor the application asks for one.
    const first = await startSignIn(browser);
    assert.equal(await accepted(first.sp, first.posted), PASSWORD_CLASS);

    await configure({ mfaRequired: true, mfaAuthnContext: 'microsoft-multipleauthn' });
    const sp = minimumSp();
    const again = await browser.get(await sp.getAuthorizeUrlAsync('', undefined, {}));
    assert.equal(again.status, 302);
    assert.equal(again.headers.get('location'), '/login/mfa', 'signed in, but with a password only: a second step');
    const enrol = await secondStep(browser);
    assert.match(enrol.html, /Set up an authenticator app/);
    secret = (/<p class="secret" id="secret">([A-Z2-7 ]+)<\/p>/.exec(enrol.html)?.[1] ?? '').replace(/ /g, '');
    const confirmed = await sendCode(browser, enrol.csrf, code());
    assert.equal(confirmed.status, 200);
    const issued = await browser.postForm(`${system.idpUrl}/login/continue`, parseForm(await confirmed.text()).fields);
    assert.equal(await accepted(sp, issued), 'http://schemas.microsoft.com/claims/multipleauthn');

    // Signed in with both factors now: the next SSO issues at once.
    const sso = minimumSp();
    assert.equal(
      await accepted(sso, await browser.get(await sso.getAuthorizeUrlAsync('', undefined, {}))),
      'http://schemas.microsoft.com/claims/multipleauthn',
    );
  });

  it('ForceAuthn asks for the password and the code again', async () => {
    const browser = new Browser();
    const first = await startSignIn(browser);
    assert.equal(first.posted.headers.get('location'), '/login/mfa');
    const step = await secondStep(browser);
    assert.match(step.html, /Enter your code/);
    // One code, sent twice below: worked out again, it would be the next period's if one began meanwhile.
    const used = code(1);
    assert.equal((await answer(await sendCode(browser, step.csrf, used))).kind, 'post');

    const forced = nodeSaml(system, appId, certs, { forceAuthn: true });
    const again = await answer(await browser.get(await forced.getAuthorizeUrlAsync('', undefined, {})));
    assert.deepEqual(again, { kind: 'login', location: '/login' }, 'the password again');
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    const posted = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'ada', password });
    assert.equal(posted.headers.get('location'), '/login/mfa', 'and the code again');
    const reStep = await secondStep(browser);
    assert.equal((await sendCode(browser, reStep.csrf, used)).status, 401, 'the code just used is not accepted twice');

    const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`);
    const subjects = new Set(events.filter((e) => e.subject.includes('idp.mfa.')).map((e) => e.subject.replace(/^.*idp\.mfa\./, '')));
    assert.deepEqual([...subjects].sort(), [
      'enrolled.v1',
      'policy-set.v1',
      'recovery-codes-regenerated.v1',
      'rejected.v1',
      'reset.v1',
      'verified.v1',
    ]);
    const reset = events.find((e) => e.subject.endsWith('idp.mfa.reset.v1'));
    assert.equal((reset?.payload.actor as { kind?: string } | undefined)?.kind, 'api-key', 'the reset names who made it');
  });
});
