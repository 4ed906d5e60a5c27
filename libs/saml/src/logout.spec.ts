import assert from 'node:assert/strict';
import { ValidateInResponseTo } from '@node-saml/node-saml';
import { SamlRequestError, decodeRedirectSamlRequest } from './authn-request';
import { generateSigningCredentials, type SigningCredentials } from './credentials';
import {
  buildLogoutRequest,
  buildLogoutResponse,
  parseLogoutRequest,
  parseLogoutResponse,
  redirectBindingUrl,
  STATUS_SUCCESS,
} from './logout';
import { verifyRedirectSignature } from './request-signature';
import { IDP_ENTITY_ID, SP_ENTITY_ID, assertSchemaValid, nodeSamlSp, testCredentials } from './spec-helpers';

const SLO = 'https://idp.example.org/saml2/app/slo';
const SP_SLO = 'https://sp.example.com/saml/slo';

describe('Single Logout over HTTP-Redirect, against node-saml', () => {
  let idp: SigningCredentials;
  let sp: { privateKeyPem: string; certificatePem: string };
  beforeAll(async () => {
    idp = await testCredentials();
    sp = await generateSigningCredentials('sp.example.com');
  });
  const spSaml = () =>
    nodeSamlSp(idp.certificatePem, {
      entryPoint: 'https://idp.example.org/saml2/app/sso',
      logoutUrl: SLO,
      logoutCallbackUrl: SP_SLO,
      privateKey: sp.privateKeyPem,
      signatureAlgorithm: 'sha256',
      validateInResponseTo: ValidateInResponseTo.always,
    });

  it('reads the LogoutRequest node-saml signs, and node-saml accepts our signed LogoutResponse', async () => {
    const saml = spSaml();
    const url = new URL(
      await saml.getLogoutUrlAsync(
        {
          issuer: IDP_ENTITY_ID,
          nameID: 'ada@example.com',
          nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
          sessionIndex: '_s1',
        },
        'back-home',
        {},
      ),
    );
    assert.deepEqual(verifyRedirectSignature(url.search, [sp.certificatePem]), { signed: true });
    const request = parseLogoutRequest(decodeRedirectSamlRequest(url.searchParams.get('SAMLRequest')!));
    assert.equal(request.issuer, SP_ENTITY_ID);
    assert.equal(request.nameId, 'ada@example.com');
    assert.deepEqual(request.sessionIndexes, ['_s1']);
    assert.equal(request.destination, SLO);

    const logoutResponse = buildLogoutResponse({ issuer: IDP_ENTITY_ID, destination: SP_SLO, inResponseTo: request.id });
    assertSchemaValid(logoutResponse);
    const answer = new URL(redirectBindingUrl(SP_SLO, 'SAMLResponse', logoutResponse, 'back-home', idp));
    const query = Object.fromEntries(answer.searchParams);
    const result = await saml.validateRedirectAsync(query, answer.search.slice(1));
    assert.equal(result.loggedOut, true);
    // Tampered: node-saml refuses it.
    await assert.rejects(saml.validateRedirectAsync({ ...query, RelayState: 'evil' }, answer.search.slice(1).replace('back-home', 'evil')));
  });

  it("node-saml accepts the IdP's signed LogoutRequest, and the IdP reads node-saml's LogoutResponse to it", async () => {
    const saml = spSaml();
    const { id, xml } = buildLogoutRequest({
      issuer: IDP_ENTITY_ID,
      destination: SP_SLO,
      nameId: 'ada@example.com',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      sessionIndex: '_s1',
    });
    assertSchemaValid(xml);
    const url = new URL(redirectBindingUrl(SP_SLO, 'SAMLRequest', xml, 'walk-1', idp));
    const query = Object.fromEntries(url.searchParams);
    const { profile, loggedOut } = await saml.validateRedirectAsync(query, url.search.slice(1));
    assert.equal(loggedOut, true);
    assert.equal(profile?.ID, id);
    assert.equal(profile?.issuer, IDP_ENTITY_ID);
    assert.equal(profile?.nameID, 'ada@example.com');
    assert.equal(profile?.nameIDFormat, 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    assert.equal(profile?.sessionIndex, '_s1');
    // Signed with another key: node-saml refuses it.
    const forged = new URL(
      redirectBindingUrl(SP_SLO, 'SAMLRequest', xml, 'walk-1', { privateKey: sp.privateKeyPem, certificatePem: sp.certificatePem }),
    );
    await assert.rejects(saml.validateRedirectAsync(Object.fromEntries(forged.searchParams), forged.search.slice(1)));

    const answer = new URL(await saml.getLogoutResponseUrlAsync(profile, 'walk-1', {}, true));
    assert.equal(answer.searchParams.get('RelayState'), 'walk-1');
    const response = parseLogoutResponse(decodeRedirectSamlRequest(answer.searchParams.get('SAMLResponse')!));
    assert.deepEqual(response, { issuer: SP_ENTITY_ID, inResponseTo: id, statusCode: STATUS_SUCCESS });
  });

  it('refuses a LogoutResponse without a status', () => {
    assert.throws(
      () =>
        parseLogoutResponse(
          `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>x</saml:Issuer></samlp:LogoutResponse>`,
        ),
      (e: unknown) => e instanceof SamlRequestError && e.reason === 'missing_field',
    );
  });

  it('a LogoutResponse with another status is valid against the SAML 2.0 schemas too', () => {
    assertSchemaValid(
      buildLogoutResponse({
        issuer: IDP_ENTITY_ID,
        destination: SP_SLO,
        inResponseTo: '_lr1',
        statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
      }),
    );
  });

  it('refuses a LogoutRequest without NameID and any other root', () => {
    const bare = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>x</saml:Issuer></samlp:LogoutRequest>`;
    assert.throws(
      () => parseLogoutRequest(bare),
      (e: unknown) => e instanceof SamlRequestError && e.reason === 'missing_field',
    );
    assert.throws(
      () => parseLogoutRequest(bare.replace(/LogoutRequest/g, 'AuthnRequest')),
      (e: unknown) => e instanceof SamlRequestError && e.reason === 'wrong_root_element',
    );
    // An ID that is not an xs:ID would come back as a schema-invalid InResponseTo.
    const withId = (id: string) =>
      bare.replace('ID="_a"', `ID="${id}"`).replace('</saml:Issuer>', '</saml:Issuer><saml:NameID>ada</saml:NameID>');
    assert.equal(parseLogoutRequest(withId('_lr1')).id, '_lr1');
    assert.throws(
      () => parseLogoutRequest(withId('42')),
      (e: unknown) => e instanceof SamlRequestError && e.reason === 'malformed_request',
    );
  });

  const logoutRequest = (body: string) =>
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lr" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>${body}</samlp:LogoutRequest>`;
  const refusedAs = (xml: string, reason: string, message?: string) =>
    assert.throws(
      () => parseLogoutRequest(xml),
      (e: unknown) => e instanceof SamlRequestError && e.reason === reason && (message === undefined || e.message === message),
    );

  it('exposes the NameID, its Format and every SessionIndex, for the IdP to check against its session', () => {
    const parsed = parseLogoutRequest(
      logoutRequest(
        '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" SPNameQualifier="sp"> p-123 </saml:NameID><samlp:SessionIndex>_s1</samlp:SessionIndex><samlp:SessionIndex> _s2 </samlp:SessionIndex>',
      ),
    );
    assert.equal(parsed.nameId, 'p-123');
    assert.equal(parsed.nameIdFormat, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    assert.deepEqual(parsed.sessionIndexes, ['_s1', '_s2']);
    const bare = parseLogoutRequest(logoutRequest('<saml:NameID>ada</saml:NameID>'));
    assert.equal(bare.nameIdFormat, undefined);
    assert.deepEqual(bare.sessionIndexes, []);
  });

  it('refuses elements inside the Issuer, the NameID or a SessionIndex, and an empty SessionIndex', () => {
    refusedAs(
      logoutRequest('<saml:NameID>ada</saml:NameID>').replace(
        `${SP_ENTITY_ID}</saml:Issuer>`,
        `<saml:x>${SP_ENTITY_ID}</saml:x></saml:Issuer>`,
      ),
      'malformed_request',
      'Issuer must be text only, but contains <saml:x>',
    );
    refusedAs(logoutRequest('<saml:NameID>a<b xmlns="urn:x"/>da</saml:NameID>'), 'malformed_request');
    refusedAs(
      logoutRequest('<saml:NameID>ada</saml:NameID><samlp:SessionIndex><x xmlns="urn:x">_s1</x></samlp:SessionIndex>'),
      'malformed_request',
    );
    refusedAs(logoutRequest('<saml:NameID>ada</saml:NameID><samlp:SessionIndex> </samlp:SessionIndex>'), 'missing_field');
  });

  it('refuses a LogoutRequest nested 18,000 levels deep, and NUL or a lone surrogate in a field', () => {
    refusedAs(
      logoutRequest(`<saml:NameID>ada</saml:NameID><samlp:Extensions>${'<a>'.repeat(18_000)}${'</a>'.repeat(18_000)}</samlp:Extensions>`),
      'request_too_complex',
    );
    refusedAs(logoutRequest('<saml:NameID>a\u0000da</saml:NameID>'), 'malformed_request');
    refusedAs(logoutRequest('<saml:NameID>a\uD800da</saml:NameID>'), 'malformed_request');
    refusedAs(logoutRequest('<saml:NameID>ada</saml:NameID><samlp:SessionIndex>_s\uD800x</samlp:SessionIndex>'), 'malformed_request');
  });
});
