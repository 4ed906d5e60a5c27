import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Browser, assertSchemaValid, eventually, parseForm, readStream } from '@jit/testing';
import { System } from './harness';

/** The IdP's checks of what SPs send (SECURITY.md), each with a request crafted by hand. */
describe('IdP refuses AuthnRequests it must not answer', () => {
  const system = new System('samlreq');
  let appId = '';
  const spEntityId = 'https://sp.example.com/metadata';
  const acsUrl = 'https://sp.example.com/acs';
  const password = 'correct horse battery staple';

  const authnRequest = (
    over: {
      issuer?: string;
      acs?: string;
      binding?: string;
      issueInstant?: string;
      destination?: string;
      id?: string;
      doctype?: boolean;
      /** Elements after the Issuer. */
      extra?: string;
    } = {},
  ) => {
    const id = over.id ?? `_${randomBytes(20).toString('hex')}`;
    const attrs = [
      `ID="${id}"`,
      'Version="2.0"',
      `IssueInstant="${over.issueInstant ?? new Date().toISOString()}"`,
      `AssertionConsumerServiceURL="${over.acs ?? acsUrl}"`,
      `ProtocolBinding="${over.binding ?? 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'}"`,
      ...(over.destination ? [`Destination="${over.destination}"`] : []),
    ];
    const doctype = over.doctype ? '<!DOCTYPE x [<!ENTITY e "boom">]>' : '';
    const xml = `${doctype}<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ${attrs.join(' ')}><saml:Issuer>${over.issuer ?? spEntityId}</saml:Issuer>${over.extra ?? ''}</samlp:AuthnRequest>`;
    return { id, encoded: encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64')) };
  };

  const sso = (browser: Browser, encoded: string, relayState?: string) =>
    browser.get(
      `${system.idpUrl}/saml2/${appId}/sso?SAMLRequest=${encoded}${relayState === undefined ? '' : `&RelayState=${encodeURIComponent(relayState)}`}`,
    );

  /** A browser with an IdP session, so that a good request goes straight to the auto-POST page. */
  const signedInBrowser = async () => {
    const browser = new Browser();
    const first = await sso(browser, authnRequest().encoded);
    assert.equal(first.status, 302);
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    const posted = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'grace', password });
    assert.equal(posted.status, 200);
    return browser;
  };

  beforeAll(async () => {
    await system.start();
    const user = await system.admin<{ id: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username: 'grace', email: 'grace@example.com', firstname: 'Grace', lastname: 'Hopper', password },
      201,
    );
    const group = await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'All' }, 201);
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${group.id}/members`, { userId: user.id }, 201);
    appId = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.catalogUrl}/v1/applications`,
        { connectorId: 'saml2', name: 'Generic', spEntityId, acsUrls: [acsUrl] },
        201,
      )
    ).id;
    await system.admin('POST', `${system.catalogUrl}/v1/applications/${appId}/user-groups`, { groupId: group.id }, 201);
  });

  afterAll(async () => {
    await system.stop();
  });

  it('posts to the registered ACS URL with safe headers and RelayState echoed byte for byte', async () => {
    const browser = await signedInBrowser();
    const relay = `"><script>alert(1)</script>&x=ü`;
    const res = await sso(browser, authnRequest().encoded, relay);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'nonce-[^']+'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const html = await res.text();
    assert.equal(html.includes('<script>alert(1)'), false, 'RelayState is escaped');
    const form = parseForm(html);
    assert.equal(form.action, acsUrl);
    assert.equal(form.fields.RelayState, relay);
    const xml = Buffer.from(form.fields.SAMLResponse ?? '', 'base64').toString('utf8');
    assert.match(xml, new RegExp(`Destination="${acsUrl}"`));
    assertSchemaValid(xml);
  });

  it('never posts to an ACS URL that is not registered, not even one that shares a prefix', async () => {
    const browser = await signedInBrowser();
    for (const acs of [`${acsUrl}/../evil`, `${acsUrl}x`, 'https://sp.example.com.evil.com/acs', 'HTTPS://sp.example.com/acs']) {
      const res = await sso(browser, authnRequest({ acs }).encoded);
      assert.equal(res.status, 400, acs);
      const html = await res.text();
      assert.match(html, /not registered/);
      assert.equal(html.includes('SAMLResponse'), false);
    }
  });

  it('refuses an unknown issuer, another binding, a stale request, a foreign Destination, a replay, a DOCTYPE and an ID that is not an xs:ID', async () => {
    const browser = await signedInBrowser();
    const expect = async (encoded: string, status: number, text: RegExp) => {
      const res = await sso(browser, encoded);
      const html = await res.text();
      assert.equal(res.status, status, html);
      assert.match(html, text);
      assert.equal(html.includes('SAMLResponse'), false);
    };
    await expect(authnRequest({ issuer: 'https://attacker.example.com' }).encoded, 400, /Issuer is not the entity ID/);
    await expect(authnRequest({ binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact' }).encoded, 400, /HTTP-POST binding only/);
    await expect(authnRequest({ issueInstant: new Date(Date.now() - 3600_000).toISOString() }).encoded, 400, /too old/);
    await expect(authnRequest({ destination: 'https://other-idp.example.com/sso' }).encoded, 400, /another identity provider/);
    const once = authnRequest();
    assert.equal((await sso(browser, once.encoded)).status, 200);
    await expect(once.encoded, 400, /already used/);
    await expect(authnRequest({ doctype: true }).encoded, 400, /cannot accept/);
    // An ID that is not an xs:ID would be echoed into a schema-invalid InResponseTo.
    await expect(authnRequest({ id: '1234-not-an-ncname' }).encoded, 400, /ID must be an xs:ID/);
  });

  it('refuses, without a session, a request nested 18,000 levels deep, elements inside the Issuer and an ID of 257 characters', async () => {
    const browser = new Browser();
    const expect = async (encoded: string, text: RegExp) => {
      const res = await sso(browser, encoded);
      const html = await res.text();
      assert.equal(res.status, 400, html);
      assert.match(html, text);
    };
    const deep = authnRequest({ extra: `<samlp:Extensions>${'<a>'.repeat(18_000)}${'</a>'.repeat(18_000)}</samlp:Extensions>` });
    assert.ok(deep.encoded.length < 1024, `${deep.encoded.length} characters`);
    await expect(deep.encoded, /elements are nested more than 32 levels deep/);
    await expect(authnRequest({ issuer: `${spEntityId}<saml:x/>` }).encoded, /Issuer must be text only, but contains &#60;saml:x&#62;/);
    await expect(
      authnRequest({ issuer: `${'<a>'.repeat(5000)}${spEntityId}${'</a>'.repeat(5000)}` }).encoded,
      /nested more than 32 levels/,
    );
    await expect(authnRequest({ id: `_${'a'.repeat(256)}` }).encoded, /ID is longer than 256 characters/);
  });

  it('a replay gets no response even though signing starts before the replay cache answers: one issued event, two refusals', async () => {
    const browser = await signedInBrowser();
    const replayRefusals = async () =>
      (await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`)).filter(
        (e) => e.subject.endsWith('idp.sso.refused.v1') && e.payload.reason === 'request_replayed',
      ).length;
    const refusedBefore = await replayRefusals();
    const once = authnRequest();
    // Sent together, so that all are signed while their INSERTs are on the way.
    const answers = await Promise.all([sso(browser, once.encoded), sso(browser, once.encoded), sso(browser, once.encoded)]);
    const pages = await Promise.all(answers.map((res) => res.text()));
    assert.deepEqual(answers.map((res) => res.status).sort(), [200, 400, 400]);
    assert.equal(pages.filter((page) => page.includes('SAMLResponse')).length, 1);
    assert.equal(pages.filter((page) => /already used/.test(page)).length, 2);
    await eventually(async () => {
      const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`);
      const issued = events.filter((e) => e.subject.endsWith('idp.sso.issued.v1') && e.payload.inResponseTo === once.id);
      assert.equal(issued.length, 1, 'the dropped responses are not audited as issued');
      assert.equal(await replayRefusals(), refusedBefore + 2, 'both replays are audited as refusals');
    });
  });

  it('refuses an oversized RelayState instead of truncating it', async () => {
    const browser = await signedInBrowser();
    const res = await sso(browser, authnRequest().encoded, 'r'.repeat(1025));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /RelayState is limited to 1024 bytes/);
  });

  it('answers an unknown application and a missing SAMLRequest with a clear page', async () => {
    const browser = new Browser();
    const unknown = await browser.get(`${system.idpUrl}/saml2/00000000-0000-4000-8000-000000000000/sso?SAMLRequest=x`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /no application at this address/);
    const missing = await browser.get(`${system.idpUrl}/saml2/${appId}/sso`);
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /expects a SAMLRequest/);
  });

  it('refuses a login form post without the CSRF token of the session', async () => {
    const browser = new Browser();
    assert.equal((await sso(browser, authnRequest().encoded)).status, 302);
    const res = await browser.postForm(`${system.idpUrl}/login`, { csrf: 'forged', username: 'grace', password });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /stale or forged/);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax (Secure only under https) and gives it a new id at sign-in', async () => {
    const browser = new Browser();
    const first = await sso(browser, authnRequest().encoded);
    const before = first.headers.getSetCookie().find((c) => c.startsWith('jit_idp_session='));
    assert.ok(before);
    assert.match(before, /; HttpOnly/i);
    assert.match(before, /; SameSite=Lax/i);
    assert.doesNotMatch(before, /; Secure/i, 'IDP_BASE_URL is http here');
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    const posted = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'grace', password });
    const after = posted.headers.getSetCookie().find((c) => c.startsWith('jit_idp_session='));
    assert.ok(after);
    assert.notEqual(after.split(';')[0], before.split(';')[0]);
    // The id from before the sign-in is worth nothing now.
    const stale = await fetch(`${system.idpUrl}/`, { headers: { cookie: before.split(';')[0] } });
    // The portal of a signed-in person says who it is; the stale id gets the sign-in page instead.
    const SIGNED_IN_PORTAL = 'Your applications</h1><p class="muted">Signed in as Grace';
    assert.equal((await stale.text()).includes(SIGNED_IN_PORTAL), false);
    const fresh = await fetch(`${system.idpUrl}/`, { headers: { cookie: after.split(';')[0] } });
    assert.equal((await fresh.text()).includes(SIGNED_IN_PORTAL), true);
  });
});
