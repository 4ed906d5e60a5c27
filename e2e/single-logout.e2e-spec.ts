import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { z } from 'zod';
import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import { Browser, assertSchemaValid, eventually, readStream } from '@jit/testing';
import { System, signIn } from './harness';
import { CatalogPublisher, spCredentials } from './sp-libraries';

/**
 * A LogoutRequest as the HTTP-Redirect binding carries it, signed (RSA-SHA256) with `key`: the IdP
 * acts only on LogoutRequests signed with the SP's registered certificate, and demo-sp runs here
 * without DEMO_SP_SIGNING_KEY (so it does not sign its own): this stands in for its signature.
 */
function signedRedirect(url: string, xml: string, relayState: string | null, key: string): string {
  const octets =
    `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}` +
    (relayState === null ? '' : `&RelayState=${encodeURIComponent(relayState)}`) +
    `&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
  return `${url}?${octets}&Signature=${encodeURIComponent(sign('sha256', Buffer.from(octets), key).toString('base64'))}`;
}

/**
 * SP-initiated Single Logout over HTTP-Redirect with demo-sp (passport-saml's logout). The
 * application's singleLogoutUrl, which the catalog API cannot set yet, is published as a
 * catalog.application.updated.v1 event on the run's CATALOG stream.
 */
describe('Single Logout from demo-sp', () => {
  const system = new System('slo');
  const password = 'correct horse battery staple';
  let appId = '';
  let publisher: CatalogPublisher;
  let snapshot: z.input<typeof ApplicationSnapshot>;
  let spKey: { privateKeyPem: string; certificatePem: string };

  beforeAll(async () => {
    await system.start();
    const user = await system.admin<{ id: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password },
      201,
    );
    const group = await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'All' }, 201);
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${group.id}/members`, { userId: user.id }, 201);
    appId = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.catalogUrl}/v1/applications`,
        {
          connectorId: 'demo-sp',
          name: 'Demo SP',
          spEntityId: `${system.demoSpUrl}/saml/metadata`,
          acsUrls: [`${system.demoSpUrl}/saml/acs`],
        },
        201,
      )
    ).id;
    await system.admin('POST', `${system.catalogUrl}/v1/applications/${appId}/user-groups`, { groupId: group.id }, 201);
    const created = (await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`)).find((e) =>
      e.subject.endsWith('catalog.application.created.v1'),
    );
    snapshot = created?.payload.application as z.input<typeof ApplicationSnapshot>;
    publisher = await CatalogPublisher.connect(system, String(created?.payload.organizationId));
    spKey = await spCredentials('demo-sp');
    snapshot = { ...snapshot, spSigningCertificates: [spKey.certificatePem] };
    await publisher.configure(appId, { ...snapshot, singleLogoutUrl: `${system.demoSpUrl}/saml/slo` });
  });

  afterAll(async () => {
    await publisher?.close();
    await system.stop();
  });

  it('ends the IdP session and the demo-sp session, with the LogoutResponse verified by passport-saml', async () => {
    const browser = new Browser();
    assert.equal((await signIn(system, browser, appId, 'ada', password)).outcome, 'signed-in');

    const toIdp = await browser.get(`${system.demoSpUrl}/logout`);
    assert.equal(toIdp.status, 302);
    const fromSp = toIdp.headers.get('location') ?? '';
    assert.ok(fromSp.startsWith(`${system.idpUrl}/saml2/${appId}/slo?SAMLRequest=`), fromSp);
    const unsignedBack = await browser.get(fromSp);
    assert.equal(unsignedBack.status, 400, 'an unsigned LogoutRequest ends nothing');
    assert.match(await unsignedBack.text(), /must sign its requests/);
    const params = new URL(fromSp).searchParams;
    const logoutRequest = inflateRawSync(Buffer.from(params.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const sloUrl = signedRedirect(`${system.idpUrl}/saml2/${appId}/slo`, logoutRequest, params.get('RelayState'), spKey.privateKeyPem);
    const back = await browser.get(sloUrl);
    assert.equal(back.status, 302, await back.clone().text());
    const spSlo = back.headers.get('location') ?? '';
    assert.ok(spSlo.startsWith(`${system.demoSpUrl}/saml/slo?SAMLResponse=`), spSlo);
    assert.match(spSlo, /&SigAlg=.*&Signature=/);
    assertSchemaValid(inflateRawSync(Buffer.from(new URL(spSlo).searchParams.get('SAMLResponse') ?? '', 'base64')).toString('utf8'));
    const done = await browser.get(spSlo);
    assert.equal(done.status, 303, await done.clone().text());
    assert.equal(done.headers.get('location'), '/?logged-out=1');

    // Signed out at the IdP too: the next sign-in asks for the password again.
    const start = await browser.get(`${system.demoSpUrl}/login?app=${appId}`);
    const atIdp = await browser.get(start.headers.get('location') ?? '');
    assert.equal(atIdp.status, 302);
    assert.equal(atIdp.headers.get('location'), '/login');

    await eventually(async () => {
      const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`);
      assert.ok(events.some((e) => e.subject.endsWith('idp.slo.logged-out.v1') && e.payload.applicationId === appId));
    });
  });

  it('refuses a LogoutRequest from another issuer, an unsigned one, SLO for an application without a signing certificate; without a logout address a valid one still signs out', async () => {
    const request = (issuer: string, key?: string) => {
      const xml = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x${Date.now()}" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>${issuer}</saml:Issuer><saml:NameID>ada@example.com</saml:NameID></samlp:LogoutRequest>`;
      const slo = `${system.idpUrl}/saml2/${appId}/slo`;
      if (key) return signedRedirect(slo, xml, null, key);
      return `${slo}?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
    };
    const foreign = await new Browser().get(request('https://attacker.example.com', spKey.privateKeyPem));
    assert.equal(foreign.status, 400);
    assert.match(await foreign.text(), /Issuer is not the entity ID/);

    await publisher.configure(appId, { ...snapshot, singleLogoutUrl: `${system.demoSpUrl}/saml/slo`, requireSignedRequests: true });
    const unsigned = await new Browser().get(request(`${system.demoSpUrl}/saml/metadata`));
    assert.equal(unsigned.status, 400);
    assert.match(await unsigned.text(), /must sign its requests/);

    await publisher.configure(appId, { ...snapshot, singleLogoutUrl: `${system.demoSpUrl}/saml/slo`, spSigningCertificates: [] });
    const unverifiable = await new Browser().get(request(`${system.demoSpUrl}/saml/metadata`));
    assert.equal(unverifiable.status, 400);
    assert.match(await unverifiable.text(), /has no signing certificate registered/);

    // Without a logout address there is nobody to answer, but a valid request is still honoured:
    // this browser has no session, so it is shown the signed-out page; an invalid one is refused
    // with the way to sign out of the IdP.
    await publisher.configure(appId, { ...snapshot, singleLogoutUrl: null });
    const none = await new Browser().get(request(`${system.demoSpUrl}/saml/metadata`, spKey.privateKeyPem));
    assert.equal(none.status, 200);
    assert.match(await none.text(), /<h1>You are signed out<\/h1>/);
    const noneUnsigned = await new Browser().get(request(`${system.demoSpUrl}/saml/metadata`));
    assert.equal(noneUnsigned.status, 400);
    assert.match(await noneUnsigned.text(), /must sign its requests.*<a href="\/logout">Sign out<\/a>/s);
  });
});
