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
