import 'reflect-metadata';
import assert from 'node:assert/strict';
import { getMetadataArgsStorage } from 'typeorm';
import { ApplicationSnapshot } from '@jit/catalog-contracts';
import { Application } from './application.entity';
import { applicationSnapshot } from './application-view';

/** The row's own bookkeeping, and what the catalog derives from the options for itself: never sent to the IdP as an option. */
const ROW_ONLY = ['id', 'organizationId', 'version', 'createdAt', 'updatedAt', 'requiredSources'];

describe('the snapshot sent to the IdP is the application row parsed with the contract schema', () => {
  it('the entity stores exactly the fields of the contract snapshot, besides its own bookkeeping', () => {
    const columns = getMetadataArgsStorage()
      .columns.filter((c) => c.target === Application)
      .map((c) => c.propertyName);
    assert.deepEqual(
      columns.filter((c) => !ROW_ONLY.includes(c)).sort(),
      Object.keys(ApplicationSnapshot.shape).sort(),
      'a field added to ApplicationSnapshot needs its column (and migration), and a new option column its contract field',
    );
  });

  it('takes every snapshot field from the row and leaves the bookkeeping out', () => {
    const row = Object.assign(new Application(), {
      id: '00000000-0000-4000-8000-000000000001',
      organizationId: '00000000-0000-4000-8000-000000000002',
      version: 3,
      createdAt: new Date(0),
      updatedAt: new Date(0),
      requiredSources: ['email'],
      name: 'App',
      connectorId: 'saml2',
      spEntityId: 'https://sp.example.com',
      acsUrls: ['https://sp.example.com/acs'],
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      nameIdSource: 'email',
      signAssertion: true,
      signResponse: false,
      active: true,
      attributes: [],
      signatureAlgorithm: 'rsa-sha512',
      spSigningCertificates: [],
      requireSignedRequests: false,
      encryptionCertificate: null,
      defaultRelayState: '/home',
      idpInitiatedAllowed: false,
      idpInitiatedRelayStateFromCaller: true,
      singleLogoutUrl: null,
      groupsAttribute: { spName: 'groups', filter: null },
    });
    const snapshot = applicationSnapshot(row);
    assert.deepEqual(Object.keys(snapshot).sort(), Object.keys(ApplicationSnapshot.shape).sort());
    assert.equal(snapshot.signatureAlgorithm, 'rsa-sha512');
    assert.equal(snapshot.defaultRelayState, '/home');
    assert.equal(snapshot.idpInitiatedAllowed, false);
    assert.equal(snapshot.idpInitiatedRelayStateFromCaller, true);
  });
});
