import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { applicationSchema, createBody, defaultsFromApplication, defaultsFromConnector, splitCertificates, updateBody } from './form-model';
import type { Application, Connector } from './types';

const rules = { signatures: 'any', encryption: true, singleLogout: true, idpInitiated: true } as const;

const slack: Connector = {
  id: 'slack',
  name: 'Slack',
  description: 'Slack workspaces',
  supportedFunctionality: ['SSO', 'JIT Provisioning'],
  nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  nameIdSource: 'id',
  signing: 'response',
  rules: { ...rules, signatures: 'response', singleLogout: false },
  entityIdPattern: 'https://slack.com',
  acsUrlPattern: null,
  launchPath: null,
  adminNotes: '',
  groupsAttribute: null,
  sources: ['https://slack.com/help'],
  confidence: 'confirmed',
  attributes: [
    { spName: 'User.Email', source: 'email', enabled: true, required: true, multiValued: false, editable: false },
    { spName: 'first_name', source: 'firstname', enabled: false, required: false, multiValued: false, editable: false },
  ],
};

const generic: Connector = {
  ...slack,
  id: 'saml2',
  name: 'SAML 2.0 (generic)',
  signing: 'both',
  rules,
  attributes: [{ spName: 'email', source: 'email', enabled: true, required: true, multiValued: false, editable: true }],
};

const stored: Application = {
  id: '11111111-1111-4111-8111-111111111111',
  name: 'Generic',
  connectorId: 'saml2',
  supportedFunctionality: ['SSO', 'JIT Provisioning'],
  spEntityId: 'https://sp.example.com',
  acsUrls: ['https://sp.example.com/acs'],
  acsIndexes: [],
  nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  nameIdSource: 'email',
  signAssertion: true,
  signResponse: true,
  active: true,
  attributes: [
    { spName: 'mail', source: 'email', constant: null, enabled: true, required: true, multiValued: false, editable: true },
    { spName: 'dept', source: 'department', constant: null, enabled: true, required: false, multiValued: false, editable: true },
  ],
  signatureAlgorithm: 'rsa-sha256',
  spSigningCertificates: [],
  requireSignedRequests: false,
  encryptionCertificate: null,
  defaultRelayState: '/home',
  idpInitiatedAllowed: true,
  idpInitiatedRelayStateFromCaller: false,
  singleLogoutUrl: 'https://sp.example.com/slo',
  groupsAttribute: null,
  launchUrl: null,
  portalVisible: true,
  portalLabel: null,
  portalColor: null,
  mfaRequired: false,
  mfaAuthnContext: 'refeds-mfa',
  mfaPhishingResistant: false,
  status: 'active',
  version: 2,
  createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
};

describe('the application form model', () => {
  it("pre-fills a pre-built connector's attributes locked, with its own on/off defaults and signing", () => {
    const values = defaultsFromConnector(slack);
    assert.deepEqual(
      values.attributes.map((a) => [a.spName, a.locked, a.enabled, a.required, a.source]),
      [
        ['User.Email', true, true, true, 'email'],
        ['first_name', true, false, false, 'firstname'],
      ],
    );
    assert.equal(values.signResponse, true);
    assert.equal(values.signAssertion, false);
    assert.equal(values.nameIdFormat, slack.nameIdFormat);
  });

  it('sends attribute entries in row order, so the catalog errors name the row they belong to', () => {
    const values = {
      ...defaultsFromConnector(slack),
      spEntityId: 'https://slack.com',
      acsUrls: [{ url: 'https://acme.slack.com/sso/saml' }],
    };
    values.attributes[0] = { ...values.attributes[0], source: 'custom:mail' };
    values.attributes.push({
      spName: 'Role',
      origin: null,
      locked: false,
      valueKind: 'constant',
      source: '',
      constant: 'user',
      enabled: true,
      required: true,
      notes: '',
    });
    const body = createBody(slack, values);
    assert.deepEqual(body.attributes, [
      { spName: 'User.Email', enabled: true, source: 'custom:mail' },
      { spName: 'first_name', enabled: false, source: 'firstname' },
      { spName: 'Role', enabled: true, required: true, constant: 'user' },
    ]);
    assert.deepEqual(body.acsUrls, ['https://acme.slack.com/sso/saml']);
    // Empty optional fields stay out (the connector's or the metadata's values apply), and an SP without single logout gets none.
    for (const key of [
      'portalLabel',
      'launchUrl',
      'portalColor',
      'singleLogoutUrl',
      'defaultRelayState',
      'encryptionCertificate',
      'metadataXml',
    ]) {
      assert.equal(key in body, false, key);
    }
  });

  it("sends the SP metadata instead of typed endpoints, and removes a generic connector's default row the admin deleted", () => {
    const values = { ...defaultsFromConnector(generic), spSource: 'metadata' as const, metadataXml: '<EntityDescriptor/>', attributes: [] };
    const body = createBody(generic, values);
    assert.equal(body.metadataXml, '<EntityDescriptor/>');
    assert.equal('spEntityId' in body, false);
    assert.equal('acsUrls' in body, false);
    assert.deepEqual(body.attributes, [{ spName: 'email', remove: true }]);
  });

  it('renames, removes and clears on edit: what the form no longer shows is sent as a change', () => {
    const values = defaultsFromApplication(stored, generic);
    values.attributes = [{ ...values.attributes[0], spName: 'emailAddress' }];
    values.singleLogoutUrl = '';
    values.defaultRelayState = '';
    const body = updateBody(stored, generic, values);
    assert.deepEqual(body.attributes, [
      { spName: 'mail', renameTo: 'emailAddress', enabled: true, required: true, source: 'email' },
      { spName: 'dept', remove: true },
    ]);
    assert.equal(body.singleLogoutUrl, null);
    assert.equal(body.defaultRelayState, null);
    assert.equal(body.encryptionCertificate, null);
  });

  it('sends the MFA options on create and edit: off and REFEDS MFA by default, what the admin chose otherwise', () => {
    const created = createBody(generic, {
      ...defaultsFromConnector(generic),
      spEntityId: 'https://sp',
      acsUrls: [{ url: 'https://sp/acs' }],
    });
    assert.equal(created.mfaRequired, false);
    assert.equal(created.mfaAuthnContext, 'refeds-mfa');

    const entra = { ...stored, mfaRequired: true, mfaAuthnContext: 'microsoft-multipleauthn' as const };
    const values = defaultsFromApplication(entra, generic);
    assert.equal(values.mfaRequired, true);
    assert.equal(values.mfaAuthnContext, 'microsoft-multipleauthn');
    const body = updateBody(entra, generic, { ...values, mfaRequired: false, mfaAuthnContext: 'refeds-mfa' });
    assert.equal(body.mfaRequired, false);
    assert.equal(body.mfaAuthnContext, 'refeds-mfa');
    assert.deepEqual(
      applicationSchema('edit')
        .safeParse({ ...values, mfaAuthnContext: 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509' })
        .error?.issues.map((i) => i.path.join('.')),
      ['mfaAuthnContext'],
    );
  });

  it('checks what the catalog would refuse before sending, each problem on its field', () => {
    const schema = applicationSchema('create');
    const values = defaultsFromConnector(generic);
    values.attributes.push({ ...values.attributes[0], origin: null });
    const result = schema.safeParse({ ...values, signResponse: false, signAssertion: false });
    assert.equal(result.success, false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    assert.deepEqual(paths, ['acsUrls.0.url', 'attributes.1.spName', 'signAssertion', 'spEntityId']);
  });

  it('lets a switched-off connector row go without a value, but not a row that is sent', () => {
    const schema = applicationSchema('create');
    const base = { ...defaultsFromConnector(slack), spEntityId: 'https://slack.com', acsUrls: [{ url: 'https://a.slack.com/sso/saml' }] };
    const off = { ...base, attributes: [base.attributes[0], { ...base.attributes[1], source: '', enabled: false }] };
    assert.equal(schema.safeParse(off).success, true);
    const on = { ...base, attributes: [base.attributes[0], { ...base.attributes[1], source: '', enabled: true }] };
    assert.deepEqual(
      schema.safeParse(on).error?.issues.map((i) => i.path.join('.')),
      ['attributes.1.source'],
    );
  });

  it('splits pasted PEM certificates, and passes anything else through for the catalog to judge', () => {
    const pem = (n: number) => `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----`;
    assert.deepEqual(splitCertificates(`${pem(1)}\n\n${pem(2)}\n`), [pem(1), pem(2)]);
    assert.deepEqual(splitCertificates('  '), []);
    assert.deepEqual(splitCertificates(' not a certificate '), ['not a certificate']);
  });
});
