import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { rootsFor } from './live';

describe('live updates', () => {
  it("refetch a person's security devices and the MFA policy on the IdP's MFA events, and nothing of theirs on a sign-in", () => {
    for (const subject of ['idp.mfa.enrolled.v1', 'idp.mfa.reset.v1', 'idp.mfa.verified.v1', 'idp.mfa.policy-set.v1']) {
      const roots = rootsFor(subject);
      assert.ok(roots.includes('user-mfa') && roots.includes('mfa-policy'), `${subject}: ${roots.join(', ')}`);
      assert.ok(roots.includes('activity'), subject);
    }
    assert.deepEqual(rootsFor('e2e_x.idp.mfa.removed.v1'), rootsFor('idp.mfa.removed.v1'), 'a NATS prefix changes nothing');
    assert.equal(rootsFor('idp.sso.issued.v1').includes('user-mfa'), false);
  });
});
