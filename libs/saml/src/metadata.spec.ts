import assert from 'node:assert/strict';
import * as samlify from 'samlify';
import { certificateBody, generateSigningCredentials, type SigningCredentials } from './credentials';
import { buildIdpMetadata, buildIdpMetadataSet, type IdpMetadataOptions } from './metadata';
import { buildResponse } from './response';
import {
  ACS_URL,
  EMAIL_FORMAT,
  IDP_ENTITY_ID,
  SP_ENTITY_ID,
  assertSchemaValid,
  childNames,
  nodeSamlSp,
  nodeSamlValidate,
  only,
  parseXml,
  testCredentials,
} from './spec-helpers';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

let current: SigningCredentials;
let next: { privateKeyPem: string; certificatePem: string };
beforeAll(async () => {
  current = await testCredentials();
  next = await generateSigningCredentials('idp.example.org next');
});

function metadataOptions(overrides: Partial<IdpMetadataOptions> = {}): IdpMetadataOptions {
  return {
    entityId: IDP_ENTITY_ID,
    ssoRedirectUrl: 'https://idp.example.org/saml/sso/redirect',
    ssoPostUrl: 'https://idp.example.org/saml/sso/post',
    sloRedirectUrl: 'https://idp.example.org/saml/slo',
    certificatePems: [current.certificatePem, next.certificatePem],
    nameIdFormats: [EMAIL_FORMAT, PERSISTENT],
    ...overrides,
  };
}

describe('buildIdpMetadata', () => {
  it('describes the IdP with exact values in metadata schema order', () => {
    const root = parseXml(buildIdpMetadata(metadataOptions())).documentElement!;
    assert.equal(root.localName, 'EntityDescriptor');
    assert.equal(root.namespaceURI, MD);
    assert.equal(root.getAttribute('entityID'), IDP_ENTITY_ID);

    const descriptor = only(root, 'md:IDPSSODescriptor');
    assert.equal(descriptor.getAttribute('protocolSupportEnumeration'), 'urn:oasis:names:tc:SAML:2.0:protocol');
    assert.equal(descriptor.getAttribute('WantAuthnRequestsSigned'), 'false');
    assert.deepEqual(childNames(descriptor), [
      'md:KeyDescriptor',
      'md:KeyDescriptor',
      'md:SingleLogoutService',
      'md:NameIDFormat',
      'md:NameIDFormat',
      'md:SingleSignOnService',
      'md:SingleSignOnService',
    ]);

    const keys = Array.from(descriptor.getElementsByTagName('md:KeyDescriptor'));
    assert.deepEqual(
      keys.map((k) => k.getAttribute('use')),
      ['signing', 'signing'],
    );
    assert.deepEqual(
      keys.map((k) => only(k, 'ds:X509Certificate').textContent),
      [certificateBody(current.certificatePem), certificateBody(next.certificatePem)],
    );
    assert.equal(only(keys[0], 'ds:X509Certificate').namespaceURI, 'http://www.w3.org/2000/09/xmldsig#');

    const sso = Array.from(descriptor.getElementsByTagName('md:SingleSignOnService'));
    assert.deepEqual(
      sso.map((s) => [s.getAttribute('Binding'), s.getAttribute('Location')]),
      [
        [REDIRECT, 'https://idp.example.org/saml/sso/redirect'],
        [POST, 'https://idp.example.org/saml/sso/post'],
      ],
    );
    const slo = only(descriptor, 'md:SingleLogoutService');
    assert.equal(slo.getAttribute('Binding'), REDIRECT);
    assert.equal(slo.getAttribute('Location'), 'https://idp.example.org/saml/slo');
    assert.deepEqual(
      Array.from(descriptor.getElementsByTagName('md:NameIDFormat')).map((f) => f.textContent),
      [EMAIL_FORMAT, PERSISTENT],
    );
  });

  it('omits SLO when there is none, states signed-request wishes, and keeps odd values literal', () => {
    const root = parseXml(
      buildIdpMetadata(
        metadataOptions({ sloRedirectUrl: undefined, wantAuthnRequestsSigned: true, entityId: 'https://idp.example.org/?a=1&b="2"' }),
      ),
    ).documentElement!;
    assert.equal(root.getAttribute('entityID'), 'https://idp.example.org/?a=1&b="2"');
    assert.equal(root.getElementsByTagName('md:SingleLogoutService').length, 0);
    assert.equal(only(root, 'md:IDPSSODescriptor').getAttribute('WantAuthnRequestsSigned'), 'true');
  });

  it('is valid against the SAML 2.0 metadata schema: two certificates, with and without SLO, odd values', () => {
    assertSchemaValid(buildIdpMetadata(metadataOptions()));
    assertSchemaValid(
      buildIdpMetadata(
        metadataOptions({ sloRedirectUrl: undefined, wantAuthnRequestsSigned: true, certificatePems: [current.certificatePem] }),
      ),
    );
    assertSchemaValid(buildIdpMetadata(metadataOptions({ entityId: 'https://idp.example.org/?a=1&b="2"', nameIdFormats: [] })));
  });

  it('refuses to publish metadata without a signing certificate', () => {
    assert.throws(() => buildIdpMetadata(metadataOptions({ certificatePems: [] })), /at least one signing certificate/);
  });

  it('is read by samlify: entity ID, both SSO locations and the certificates', () => {
    const idp = samlify.IdentityProvider({ metadata: buildIdpMetadata(metadataOptions()) });
    assert.equal(idp.entityMeta.getEntityID(), IDP_ENTITY_ID);
    assert.equal(idp.entityMeta.getSingleSignOnService('redirect'), 'https://idp.example.org/saml/sso/redirect');
    assert.equal(idp.entityMeta.getSingleSignOnService('post'), 'https://idp.example.org/saml/sso/post');
    assert.deepEqual(idp.entityMeta.getX509Certificate('signing'), [
      certificateBody(current.certificatePem),
      certificateBody(next.certificatePem),
    ]);
  });

  it('gives node-saml certificates it verifies responses with, for both keys of a rollover', async () => {
    // node-saml has no metadata reader, so its idpCert is taken from the metadata the way an SP admin would.
    const root = parseXml(buildIdpMetadata(metadataOptions())).documentElement!;
    const published = Array.from(root.getElementsByTagName('ds:X509Certificate')).map((c) => c.textContent!);
    const sp = nodeSamlSp(published);
    for (const creds of [current, { privateKey: next.privateKeyPem, certificatePem: next.certificatePem }]) {
      const xml = await buildResponse({
        issuer: IDP_ENTITY_ID,
        destination: ACS_URL,
        audience: SP_ENTITY_ID,
        nameId: 'alice@example.com',
        nameIdFormat: EMAIL_FORMAT,
        sessionIndex: '_s',
        attributes: [],
        signAssertion: true,
        signResponse: true,
        credentials: creds,
      });
      const { profile } = await nodeSamlValidate(sp, xml);
      assert.equal(profile?.nameID, 'alice@example.com');
    }
  });
});

describe('buildIdpMetadataSet', () => {
  const entity = (appId: string, overrides: Partial<IdpMetadataOptions> = {}) =>
    metadataOptions({
      entityId: `https://idp.example.org/saml2/${appId}`,
      ssoRedirectUrl: `https://idp.example.org/saml2/${appId}/sso`,
      ssoPostUrl: `https://idp.example.org/saml2/${appId}/sso`,
      sloRedirectUrl: `https://idp.example.org/saml2/${appId}/slo`,
      ...overrides,
    });

  it('puts one EntityDescriptor per application in an EntitiesDescriptor, each with both rotation certificates', () => {
    const root = parseXml(
      buildIdpMetadataSet('https://idp.example.org/saml2/organizations/org-1', [
        entity('app-1'),
        entity('app-2', { nameIdFormats: [PERSISTENT] }),
      ]),
    ).documentElement!;
    assert.equal(root.localName, 'EntitiesDescriptor');
    assert.equal(root.namespaceURI, MD);
    assert.equal(root.getAttribute('Name'), 'https://idp.example.org/saml2/organizations/org-1');
    assert.deepEqual(childNames(root), ['md:EntityDescriptor', 'md:EntityDescriptor']);
    const entities = Array.from(root.getElementsByTagName('md:EntityDescriptor'));
    assert.deepEqual(
      entities.map((e) => e.getAttribute('entityID')),
      ['https://idp.example.org/saml2/app-1', 'https://idp.example.org/saml2/app-2'],
    );
    for (const e of entities) {
      assert.deepEqual(
        Array.from(e.getElementsByTagName('ds:X509Certificate')).map((c) => c.textContent),
        [certificateBody(current.certificatePem), certificateBody(next.certificatePem)],
      );
    }
  });

  it('is valid against the SAML 2.0 metadata schema', () => {
    assertSchemaValid(
      buildIdpMetadataSet('https://idp.example.org/saml2/organizations/org-1', [
        entity('app-1'),
        entity('app-2', { sloRedirectUrl: undefined }),
      ]),
    );
    assertSchemaValid(buildIdpMetadataSet('org "1" & <co>', [entity('app-1', { certificatePems: [current.certificatePem] })]));
  });

  it('refuses an empty set', () => {
    assert.throws(() => buildIdpMetadataSet('org', []), /at least one entity/);
  });
});
