import assert from 'node:assert/strict';
import { SamlStatusError } from '@node-saml/node-saml';
import type { z } from 'zod';
import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import { Pool } from 'pg';
import { Browser, eventually, parseForm, readStream } from '@jit/testing';
import { BOOTSTRAP_KEY, System } from './harness';
import {
  CatalogPublisher,
  SP,
  answer,
  assertSchemaValid,
  spCredentials,
  idpCertificate,
  nodeSaml,
  samlifySp,
  signInBrowser,
  xmlsecVerify,
} from './sp-libraries';

/**
 * Every binding and response option, proven by two independent SP libraries (node-saml, which
 * passport-saml runs, and samlify) and by xmlsec1. The options the catalog API cannot set yet
 * (signature algorithm, encryption, signed requests, IdP-initiated settings, groups attribute)
 * reach the IdP as catalog.application.updated.v1 events published on this run's CATALOG stream
 * (CatalogPublisher), exactly the event the catalog emits.
 */
describe('SSO options accepted by node-saml, samlify and xmlsec1, and valid against the SAML 2.0 schemas', () => {
  // A short rotation notice so that a scheduled key switch happens within the test.
  const system = new System('ssoopt', undefined, { IDP_KEY_ROTATION_MIN_NOTICE_SECONDS: '2' });
  const password = 'correct horse battery staple';
  let appId = '';
  let userId = '';
  let organizationId = '';
  let publisher: CatalogPublisher;
  let certs: string[] = [];
  let spKeys: { privateKeyPem: string; certificatePem: string };
  let spSigning: { privateKeyPem: string; certificatePem: string };

  const base = (): z.input<typeof ApplicationSnapshot> => ({
    name: 'Options SP',
    connectorId: 'saml2',
    spEntityId: SP.entityId,
    acsUrls: [SP.acsUrl],
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    nameIdSource: 'email',
    signAssertion: true,
    signResponse: true,
    active: true,
    attributes: [
      { spName: 'email', source: 'email', constant: null, enabled: true, required: true },
      { spName: 'note', source: 'jobTitle', constant: null, enabled: true, required: false },
      { spName: 'roles', source: null, constant: 'reader\nwriter', enabled: true, required: false, multiValued: true },
    ],
    groupsAttribute: { spName: 'groups', filter: null },
  });
  const configure = (over: Partial<z.input<typeof ApplicationSnapshot>> = {}) => publisher.configure(appId, { ...base(), ...over });

  beforeAll(async () => {
    await system.start();
    const user = await system.admin<{ id: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      {
        username: 'ada',
        email: 'ada@example.com',
        firstname: 'Ada',
        lastname: 'Lovelace',
        password,
        // A directory value an attacker could set: it must arrive as this literal string.
        jobTitle: '</saml:AttributeValue><x>&<!--c-->',
      },
      201,
    );
    userId = user.id;
    const group = await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'Engineers & Co' }, 201);
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${group.id}/members`, { userId }, 201);
    appId = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.catalogUrl}/v1/applications`,
        { connectorId: 'saml2', name: 'Options SP', spEntityId: SP.entityId, acsUrls: [SP.acsUrl] },
        201,
      )
    ).id;
    await system.admin('POST', `${system.catalogUrl}/v1/applications/${appId}/user-groups`, { groupId: group.id }, 201);
    const catalogEvents = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    organizationId = String(catalogEvents[0]?.payload.organizationId);
    publisher = await CatalogPublisher.connect(system, organizationId);
    spKeys = await spCredentials('sp.example.com encryption');
    spSigning = await spCredentials('sp.example.com signing');
    await configure();
    certs = await idpCertificate(system, appId);
    assert.equal(certs.length, 1);
  });

  afterAll(async () => {
    await publisher?.close();
    await system.stop();
  });

  const signedIn = async () => {
    const browser = new Browser();
    await signInBrowser(system, browser, appId, 'ada', password);
    return browser;
  };

  /** node-saml makes the AuthnRequest over `binding`; returns what the IdP posts back. */
  const ssoFromNodeSaml = async (
    browser: Browser,
    binding: 'redirect' | 'post',
    sp = nodeSaml(system, appId, certs),
    relayState = 'relay-1',
  ) => {
    if (binding === 'redirect')
      return { sp, result: await answer(await browser.get(await sp.getAuthorizeUrlAsync(relayState, undefined, {}))) };
    const form = parseForm(await sp.getAuthorizeFormAsync(relayState));
    return { sp, result: await answer(await browser.postForm(form.action, form.fields)) };
  };

  const cases = [
    { name: 'Response and Assertion signed (the default)', over: {}, assertionSigned: true, responseSigned: true, encrypted: false },
    { name: 'Assertion signed only', over: { signResponse: false }, assertionSigned: true, responseSigned: false, encrypted: false },
    { name: 'Response signed only', over: { signAssertion: false }, assertionSigned: false, responseSigned: true, encrypted: false },
    {
      name: 'RSA-SHA512',
      over: { signatureAlgorithm: 'rsa-sha512' as const },
      assertionSigned: true,
      responseSigned: true,
      encrypted: false,
    },
    {
      name: 'EncryptedAssertion (AES-256-GCM, RSA-OAEP), both signed',
      over: { encrypt: true },
      assertionSigned: true,
      responseSigned: true,
      encrypted: true,
    },
  ];

  for (const binding of ['redirect', 'post'] as const) {
    for (const c of cases) {
      it(`${binding} binding, ${c.name}`, async () => {
        const { encrypt, ...rest } = c.over as { encrypt?: boolean };
        await configure({ ...rest, encryptionCertificate: encrypt ? spKeys.certificatePem : null });
        const browser = await signedIn();
        const spOptions = {
          wantAssertionsSigned: c.assertionSigned,
          wantAuthnResponseSigned: c.responseSigned,
          ...(c.encrypted ? { decryptionPvk: spKeys.privateKeyPem } : {}),
          ...('signatureAlgorithm' in rest ? { signatureAlgorithm: 'sha512' as const } : {}),
        };
        const { sp, result } = await ssoFromNodeSaml(browser, binding, nodeSaml(system, appId, certs, spOptions));
        assert.equal(result.kind, 'post', JSON.stringify(result).slice(0, 600));
        if (result.kind !== 'post') return;
        assert.equal(result.acs, SP.acsUrl);
        assert.equal(result.relayState, 'relay-1');

        // 1. node-saml, with InResponseTo checked against the request it made.
        const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: result.samlResponse });
        assert.equal(profile?.nameID, 'ada@example.com');
        assert.equal(profile?.email, 'ada@example.com');
        assert.equal(profile?.note, '</saml:AttributeValue><x>&<!--c-->');
        assert.deepEqual(profile?.roles, ['reader', 'writer']);
        assert.equal(profile?.groups, 'Engineers & Co');

        // 2. samlify, from the IdP's metadata.
        const s = await samlifySp(system, appId, {
          wantAssertionsSigned: c.assertionSigned,
          wantMessageSigned: c.responseSigned,
          ...(c.encrypted ? { encPrivateKey: spKeys.privateKeyPem } : {}),
        });
        const { extract } = await s.sp.parseLoginResponse(s.idp, 'post', { body: { SAMLResponse: result.samlResponse } });
        assert.equal(extract.nameID, 'ada@example.com');
        assert.deepEqual(extract.attributes?.roles, ['reader', 'writer']);
        assert.equal(extract.attributes?.note, '</saml:AttributeValue><x>&<!--c-->');

        // 3. xmlsec1 on each signature that is in clear text.
        assert.equal(result.xml.includes('EncryptedAssertion'), c.encrypted);
        if (c.responseSigned) {
          const v = xmlsecVerify(result.xml, certs[0], 'Response');
          assert.equal(v.ok, true, v.output);
        }
        if (c.assertionSigned && !c.encrypted) {
          const v = xmlsecVerify(result.xml, certs[0], 'Assertion');
          assert.equal(v.ok, true, v.output);
        }
        assert.equal(
          result.xml.includes('SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"'),
          'signatureAlgorithm' in rest,
        );

        // 4. xmllint: the Response as posted is valid against the SAML 2.0 schemas.
        assertSchemaValid(result.xml);
      });
    }
  }

  it('answers an AuthnRequest samlify makes (Redirect), accepted by samlify', async () => {
    await configure();
    const browser = await signedIn();
    const s = await samlifySp(system, appId, { wantAssertionsSigned: true, wantMessageSigned: true });
    const { context } = s.sp.createLoginRequest(s.idp, 'redirect') as { context: string };
    const result = await answer(await browser.get(context));
    assert.equal(result.kind, 'post');
    if (result.kind !== 'post') return;
    const { extract } = await s.sp.parseLoginResponse(s.idp, 'post', { body: { SAMLResponse: result.samlResponse } });
    assert.equal(extract.nameID, 'ada@example.com');
    assert.match(result.xml, /InResponseTo="[^"]+"/);
  });

  it('NameID formats: persistent is opaque and stable per user and application, transient new each time, unspecified the source', async () => {
    const nameIdOf = async (format: string, source = 'email') => {
      await configure({ nameIdFormat: format, nameIdSource: source });
      const { sp, result } = await ssoFromNodeSaml(
        await signedIn(),
        'redirect',
        nodeSaml(system, appId, certs, { identifierFormat: null }),
      );
      assert.equal(result.kind, 'post');
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: result.kind === 'post' ? result.samlResponse : '' });
      assert.equal(profile?.nameIDFormat, format);
      assertSchemaValid(result.kind === 'post' ? result.xml : '');
      return profile?.nameID;
    };
    const persistent = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
    const p1 = await nameIdOf(persistent);
    assert.equal(await nameIdOf(persistent, 'username'), p1, 'the source does not change a persistent NameID');
    assert.match(p1 ?? '', /^[A-Za-z0-9_-]{43}$/);
    // Not the username, nor an encoding of it. (A plain substring test of the random-looking
    // value itself would fail about once in 6,000 runs by chance.)
    assert.equal(
      Buffer.from(p1 ?? '', 'base64url')
        .toString('latin1')
        .includes('ada'),
      false,
    );
    assert.equal(/\bada\b/.test(p1 ?? ''), false);
    const transient = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
    assert.notEqual(await nameIdOf(transient), await nameIdOf(transient));
    assert.equal(await nameIdOf('urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified', 'username'), 'ada');
  });

  it('NameIDPolicy with another format is answered InvalidNameIDPolicy at the ACS, signed', async () => {
    await configure();
    const { sp, result } = await ssoFromNodeSaml(
      await signedIn(),
      'redirect',
      nodeSaml(system, appId, certs, { identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' }),
    );
    assert.equal(result.kind, 'post');
    if (result.kind !== 'post') return;
    assert.equal(result.acs, SP.acsUrl);
    assert.match(result.xml, /StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"/);
    assert.equal(result.xml.includes('Assertion'), false);
    assert.equal(xmlsecVerify(result.xml, certs[0], 'Response').ok, true);
    assertSchemaValid(result.xml);
    await assert.rejects(sp.validatePostResponseAsync({ SAMLResponse: result.samlResponse }), (e: Error) => e instanceof SamlStatusError);
  });

  it('IsPassive without a session answers NoPassive; ForceAuthn with a session asks for the password again', async () => {
    await configure();
    const passive = await ssoFromNodeSaml(new Browser(), 'redirect', nodeSaml(system, appId, certs, { passive: true }));
    assert.equal(passive.result.kind, 'post');
    if (passive.result.kind !== 'post') return;
    assert.match(passive.result.xml, /urn:oasis:names:tc:SAML:2.0:status:NoPassive/);
    assertSchemaValid(passive.result.xml);
    const { profile } = await passive.sp.validatePostResponseAsync({ SAMLResponse: passive.result.samlResponse });
    assert.equal(profile, null, 'node-saml reads NoPassive as "not signed in"');

    const browser = await signedIn();
    const forced = await ssoFromNodeSaml(browser, 'redirect', nodeSaml(system, appId, certs, { forceAuthn: true }));
    assert.deepEqual(forced.result, { kind: 'login', location: '/login' });
    const again = await ssoFromNodeSaml(browser, 'redirect');
    assert.equal(again.result.kind, 'post', 'without ForceAuthn the session is used');
  });

  it('signed requests: required and checked with the registered certificate only, over both bindings', async () => {
    await configure();
    const browser = await signedIn();
    await configure({ requireSignedRequests: true, spSigningCertificates: [spSigning.certificatePem] });
    const signer = (keys: { privateKeyPem: string; certificatePem: string }) =>
      nodeSaml(system, appId, certs, { privateKey: keys.privateKeyPem, signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256' });

    for (const binding of ['redirect', 'post'] as const) {
      const unsigned = await ssoFromNodeSaml(browser, binding);
      assert.equal(unsigned.result.kind, 'page');
      assert.match(unsigned.result.kind === 'page' ? unsigned.result.html : '', /must sign its requests/);

      const ok = await ssoFromNodeSaml(browser, binding, signer(spSigning));
      assert.equal(ok.result.kind, 'post', `${binding}: ${JSON.stringify(ok.result).slice(0, 300)}`);

      const attacker = await spCredentials('attacker.example');
      const forged = await ssoFromNodeSaml(browser, binding, signer(attacker));
      assert.equal(forged.result.kind, 'page');
      assert.equal(forged.result.kind === 'page' && forged.result.status, 400);
      assert.match(forged.result.kind === 'page' ? forged.result.html : '', /could not be verified/);
    }
    const metadata = await (await fetch(`${system.idpUrl}/saml2/${appId}/metadata`)).text();
    assert.match(metadata, /WantAuthnRequestsSigned="true"/);
  });

  it('IdP-initiated: the default RelayState, no InResponseTo, accepted by node-saml; refused when the application does not allow it', async () => {
    await configure({ defaultRelayState: 'https://sp.example.com/home' });
    const browser = await signedIn();
    const result = await answer(await browser.get(`${system.idpUrl}/saml2/${appId}/init`));
    assert.equal(result.kind, 'post');
    if (result.kind !== 'post') return;
    assert.equal(result.relayState, 'https://sp.example.com/home');
    assert.equal(/InResponseTo=/.test(result.xml), false);
    const { profile } = await nodeSaml(system, appId, certs, { validateInResponseTo: 'never' as never }).validatePostResponseAsync({
      SAMLResponse: result.samlResponse,
    });
    assert.equal(profile?.nameID, 'ada@example.com');

    await configure({ idpInitiatedAllowed: false });
    const refused = await answer(await browser.get(`${system.idpUrl}/saml2/${appId}/init`));
    assert.equal(refused.kind, 'page');
    assert.equal(refused.kind === 'page' && refused.status, 403);
  });

  it('a missing required attribute blocks the assertion, and is audited by name', async () => {
    await configure();
    const browser = await signedIn();
    await configure({ attributes: [{ spName: 'costCenter', source: 'costCenter', constant: null, enabled: true, required: true }] });
    const { result } = await ssoFromNodeSaml(browser, 'redirect');
    assert.equal(result.kind, 'page');
    assert.equal(result.kind === 'page' && result.status, 403);
    assert.match(result.kind === 'page' ? result.html : '', /costCenter/);
    await eventually(async () => {
      const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`);
      assert.ok(
        events.some((e) => e.subject.endsWith('idp.sso.refused.v1') && e.payload.reason === 'missing_required_attribute:costCenter'),
      );
    });
  });

  it('audits every issued assertion with attribute names and never their values', async () => {
    await configure();
    const { result } = await ssoFromNodeSaml(await signedIn(), 'redirect');
    assert.equal(result.kind, 'post');
    const issued = await eventually(async () => {
      const events = (await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`)).filter((e) =>
        e.subject.endsWith('idp.sso.issued.v1'),
      );
      assert.ok(events.length > 0);
      return events[events.length - 1];
    });
    assert.equal(issued.payload.userId, userId);
    assert.equal(issued.payload.applicationId, appId);
    assert.deepEqual(issued.payload.attributeNames, ['email', 'note', 'roles', 'groups']);
    const text = JSON.stringify(issued.payload);
    for (const value of ['ada@example.com', 'reader', 'Engineers', 'AttributeValue']) assert.equal(text.includes(value), false, value);
  });

  it('preview: the unsigned assertion and its blockers for this organisation; 404 for another organisation', async () => {
    await configure();
    const preview = await system.admin<{
      wouldIssue: boolean;
      assertionXml: string;
      blockers: unknown[];
      attributes: Array<{ name: string; values: string[] }>;
    }>('GET', `${system.idpUrl}/v1/applications/${appId}/preview?userId=${userId}`, undefined, 200);
    assert.equal(preview.wouldIssue, true);
    assert.deepEqual(preview.blockers, []);
    assert.match(preview.assertionXml, /^<saml:Assertion /);
    assert.equal(preview.assertionXml.includes('Signature'), false);
    assertSchemaValid(preview.assertionXml);
    assert.deepEqual(preview.attributes.find((a) => a.name === 'roles')?.values, ['reader', 'writer']);

    await configure({
      active: true,
      attributes: [{ spName: 'dept', source: 'department', constant: null, enabled: true, required: true }],
    });
    const blocked = await system.admin<{ wouldIssue: boolean; blockers: Array<{ reason: string }> }>(
      'GET',
      `${system.idpUrl}/v1/applications/${appId}/preview?userId=${userId}`,
      undefined,
      200,
    );
    assert.equal(blocked.wouldIssue, false);
    assert.deepEqual(
      blocked.blockers.map((b) => b.reason),
      ['missing_required_attribute:dept'],
    );

    const other = await system.admin<{ apiKey: string }>('POST', `${system.directoryUrl}/v1/organizations`, { name: 'Other Corp' }, 201);
    const foreign = await fetch(`${system.idpUrl}/v1/applications/${appId}/preview?userId=${userId}`, {
      headers: { 'x-api-key': other.apiKey },
    });
    assert.equal(foreign.status, 404);
    const body = (await foreign.json()) as Record<string, unknown>;
    // Nothing of Ada's: not her username or email. As a word: the answer names the two ids asked
    // for, and a UUID's hex holds "ada" about once in 140.
    assert.equal(/\bada\b/i.test(JSON.stringify(body)), false, JSON.stringify(body));
    const anonymous = await fetch(`${system.idpUrl}/v1/applications/${appId}/preview?userId=${userId}`);
    assert.equal(anonymous.status, 401);
    assert.notEqual(BOOTSTRAP_KEY, other.apiKey);
  });

  it('the portal lists the applications the signed-in user may open, as IdP-initiated links', async () => {
    await configure();
    const browser = await signedIn();
    const page = await (await browser.get(`${system.idpUrl}/`)).text();
    assert.match(page, new RegExp(`<a href="/saml2/${appId}/init">Options SP</a>`));
    const anonymous = await (await new Browser().get(`${system.idpUrl}/`)).text();
    assert.equal(anonymous.includes(appId), false);
  });

  it('looks the ACS up by AssertionConsumerServiceIndex, refuses an index not registered, an inactive application and a suspended user', async () => {
    await configure();
    const browser = await signedIn();
    const byIndex = async (index: number) => {
      const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_i${index}${Date.now()}" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceIndex="${index}"><saml:Issuer>${SP.entityId}</saml:Issuer></samlp:AuthnRequest>`;
      const { deflateRawSync } = await import('node:zlib');
      return answer(
        await browser.get(
          `${system.idpUrl}/saml2/${appId}/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`,
        ),
      );
    };
    const first = await byIndex(0);
    assert.equal(first.kind, 'post');
    assert.equal(first.kind === 'post' && first.acs, SP.acsUrl);
    const missing = await byIndex(5);
    assert.equal(missing.kind, 'page');
    assert.equal(missing.kind === 'page' && missing.status, 400);
    assert.match(missing.kind === 'page' ? missing.html : '', /not registered/);
    // An index is the one the SP's metadata gave the URL, not its position in the list.
    const second = `${SP.acsUrl}/second`;
    await configure({
      acsUrls: [SP.acsUrl, second],
      acsIndexes: [
        { index: 3, url: SP.acsUrl },
        { index: 7, url: second },
      ],
    });
    const seven = await byIndex(7);
    assert.equal(seven.kind === 'post' && seven.acs, second);
    const position = await byIndex(1);
    assert.equal(position.kind === 'page' && position.status, 400);
    await configure();

    await configure({ active: false });
    const inactive = await ssoFromNodeSaml(browser, 'redirect');
    assert.equal(inactive.result.kind === 'page' && inactive.result.status, 403);
    await configure();

    await system.admin('PATCH', `${system.directoryUrl}/v1/users/${userId}`, { state: 'SUSPENDED' }, 200);
    const suspended = await ssoFromNodeSaml(browser, 'redirect');
    assert.equal(suspended.result.kind === 'page' && suspended.result.status, 403);
    assert.match(suspended.result.kind === 'page' ? suspended.result.html : '', /not active/);
    await system.admin('PATCH', `${system.directoryUrl}/v1/users/${userId}`, { state: 'ACTIVATED' }, 200);
    assert.equal((await ssoFromNodeSaml(browser, 'redirect')).result.kind, 'post');
    await eventually(async () => {
      const reasons = (await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`)).map((e) => e.payload.reason);
      for (const reason of ['acs_not_registered', 'app_inactive', 'user_not_active']) assert.ok(reasons.includes(reason), reason);
    });
  });

  it('organisation metadata lists every application; signing keys are encrypted at rest; a rotation is published first, switches on schedule and keeps the old certificate published for the grace period', async () => {
    await configure();
    const orgMetadata = await (await fetch(`${system.idpUrl}/saml2/organizations/${organizationId}/metadata`)).text();
    assert.match(orgMetadata, /^<md:EntitiesDescriptor /);
    assert.match(orgMetadata, new RegExp(`entityID="${system.idpUrl}/saml2/${appId}"`));
    assert.equal((await fetch(`${system.idpUrl}/saml2/organizations/00000000-0000-4000-8000-000000000000/metadata`)).status, 404);

    const pool = new Pool({ connectionString: system.env.databaseUrl });
    try {
      const rows = await pool.query<{ private_key_encrypted: string }>('SELECT "private_key_encrypted" FROM "idp"."signing_keys"');
      assert.ok(rows.rows.length >= 1);
      for (const row of rows.rows) {
        assert.equal(row.private_key_encrypted.includes('PRIVATE KEY'), false);
        assert.equal(Buffer.from(row.private_key_encrypted, 'base64').includes('PRIVATE KEY'), false);
      }
    } finally {
      await pool.end();
    }

    const tooSoon = await fetch(`${system.idpUrl}/v1/signing-keys/rotation`, {
      method: 'POST',
      headers: { 'x-api-key': BOOTSTRAP_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ activatesAt: new Date().toISOString() }),
    });
    assert.equal(tooSoon.status, 400);
    const activatesAt = new Date(Date.now() + 4000);
    const next = await system.admin<{ certificatePem: string }>(
      'POST',
      `${system.idpUrl}/v1/signing-keys/rotation`,
      { activatesAt: activatesAt.toISOString() },
      201,
    );
    const nextBody = next.certificatePem.replace(/-----[A-Z ]+-----|\s/g, '');
    // Published at once, beside the active key, before it signs anything.
    assert.deepEqual(await idpCertificate(system, appId), [certs[0], nextBody]);
    // Both metadata documents, with the two certificates, are valid against the metadata schema.
    assertSchemaValid(await (await fetch(`${system.idpUrl}/saml2/${appId}/metadata`)).text());
    assertSchemaValid(await (await fetch(`${system.idpUrl}/saml2/organizations/${organizationId}/metadata`)).text());
    const signedBy = async () => {
      const { result } = await ssoFromNodeSaml(await signedIn(), 'redirect');
      assert.equal(result.kind, 'post');
      return result.kind === 'post' ? /<ds:X509Certificate>([^<]+)</.exec(result.xml)?.[1] : undefined;
    };
    assert.equal(await signedBy(), certs[0]);
    await eventually(async () => assert.equal(await signedBy(), nextBody), { timeoutMs: 15_000, intervalMs: 500 });
    assert.ok(Date.now() >= activatesAt.getTime());
    // The retired certificate stays in metadata for the grace period (a day by default), never signing again.
    assert.deepEqual(await idpCertificate(system, appId), [nextBody, certs[0]]);
    assert.equal(await signedBy(), nextBody);
    // SPs that trust the new certificate from metadata accept its signature.
    const { sp, result } = await ssoFromNodeSaml(await signedIn(), 'redirect', nodeSaml(system, appId, [nextBody]));
    assert.equal(result.kind, 'post');
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: result.kind === 'post' ? result.samlResponse : '' });
    assert.equal(profile?.nameID, 'ada@example.com');
    assert.equal(xmlsecVerify(result.kind === 'post' ? result.xml : '', nextBody, 'Response').ok, true);
  });
});
