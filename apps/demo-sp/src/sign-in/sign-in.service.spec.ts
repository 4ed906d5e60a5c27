import assert from 'node:assert/strict';
import type { JitProvisioningService } from '../accounts/jit-provisioning.service';
import type { IdpMetadataService } from '@jit/sp-metadata';
import { SignInService } from './sign-in.service';

const sp = { entityId: 'http://sp/saml/metadata', acsUrl: 'http://sp/saml/acs', sloUrl: 'http://sp/saml/slo' };
const service = (trustedAppId?: string) =>
  new SignInService({ sp, ...(trustedAppId ? { trustedAppId } : {}) }, {} as IdpMetadataService, {} as JitProvisioningService);

describe('SignInService.resolveAppId', () => {
  it('pinned (DEMO_SP_APP_ID): the trusted application, and nothing for a request or RelayState naming another', () => {
    const pinned = service('ours');
    assert.equal(pinned.resolveAppId(undefined), 'ours');
    assert.equal(pinned.resolveAppId('ours'), 'ours');
    assert.equal(pinned.resolveAppId('theirs'), undefined);
    // At the ACS: RelayState first, then the browser's pending sign-in.
    assert.equal(pinned.resolveAppId('theirs', 'ours'), undefined);
    assert.equal(pinned.resolveAppId(undefined, 'ours'), 'ours');
  });

  it('not pinned: the first well-formed application id named', () => {
    const open = service();
    assert.equal(open.resolveAppId(undefined), undefined);
    assert.equal(open.resolveAppId('not an id!', 'app-2'), 'app-2');
    assert.equal(open.resolveAppId('app-1', 'app-2'), 'app-1');
  });
});

describe('SignInService.unsolicitedAppId: the application of an IdP-initiated Response', () => {
  const response = (attributes: string, issuer = 'http://idp/saml2/app-9') =>
    Buffer.from(
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0"${attributes}>` +
        `<saml:Issuer>${issuer}</saml:Issuer></samlp:Response>`,
    ).toString('base64');
  const withIdpInitiated = (idpInitiated: boolean) =>
    new SignInService(
      { sp, idpInitiated },
      {
        appIdOfEntity: (entity?: string) => (entity?.startsWith('http://idp/saml2/') ? entity.slice(17) : undefined),
      } as IdpMetadataService,
      {} as JitProvisioningService,
    );

  it('allowed: the application whose IdP entity issued a Response that answers no request', () => {
    assert.equal(withIdpInitiated(true).unsolicitedAppId(response('')), 'app-9');
  });

  it('nothing when IdP-initiated sign-in is off, for a Response that answers a request, from another IdP, or not a Response', () => {
    assert.equal(withIdpInitiated(false).unsolicitedAppId(response('')), undefined);
    assert.equal(withIdpInitiated(true).unsolicitedAppId(response(' InResponseTo="_req1"')), undefined);
    assert.equal(withIdpInitiated(true).unsolicitedAppId(response('', 'https://elsewhere/saml2/app-9')), undefined);
    assert.equal(withIdpInitiated(true).unsolicitedAppId('not base64 XML'), undefined);
    assert.equal(withIdpInitiated(true).unsolicitedAppId(undefined), undefined);
  });
});
