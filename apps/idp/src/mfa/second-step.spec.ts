import assert from 'node:assert/strict';
import { REVERIFY_MS, recentlyVerified, secondStepDue } from './second-step';

describe('second step due', () => {
  const none = { factorRequired: false, phishingResistantRequired: false, hasFactor: false, hasPasskey: false };

  it('right after the password: a person with a factor gives it; without one, enrols only when required', () => {
    assert.deepEqual(secondStepDue({ ...none, session: 'password', hasFactor: true }), { stage: 'verify', passkeyOnly: false });
    assert.equal(secondStepDue({ ...none, session: 'password' }), null);
    assert.deepEqual(secondStepDue({ ...none, session: 'password', factorRequired: true }), { stage: 'enrol', passkeyOnly: false });
  });

  it('a signed-in session steps up only when MFA is required and it has none', () => {
    assert.equal(secondStepDue({ ...none, session: { mfa: false }, hasFactor: true }), null);
    assert.deepEqual(secondStepDue({ ...none, session: { mfa: false }, hasFactor: true, factorRequired: true }), {
      stage: 'verify',
      passkeyOnly: false,
    });
    assert.equal(secondStepDue({ ...none, session: { mfa: true }, hasFactor: true, factorRequired: true }), null);
  });

  it('a phishing-resistant application: a TOTP session steps up to a passkey, a person without one enrols one', () => {
    const app = { ...none, phishingResistantRequired: true, hasFactor: true };
    assert.deepEqual(secondStepDue({ ...app, session: { mfa: true }, hasPasskey: true }), { stage: 'verify', passkeyOnly: true });
    assert.deepEqual(secondStepDue({ ...app, session: { mfa: true }, hasPasskey: false }), { stage: 'enrol', passkeyOnly: true });
    assert.deepEqual(secondStepDue({ ...app, session: 'password', hasPasskey: true }), { stage: 'verify', passkeyOnly: true });
    assert.equal(secondStepDue({ ...app, session: { mfa: true, phishingResistant: true }, hasPasskey: true }), null);
  });
});

describe('recently verified', () => {
  const now = 1_800_000_000_000;
  it('within five minutes of the last verification, not after, not without one', () => {
    assert.equal(recentlyVerified({ verifiedAt: now - REVERIFY_MS }, now), true);
    assert.equal(recentlyVerified({ verifiedAt: now - REVERIFY_MS - 1 }, now), false);
    assert.equal(recentlyVerified({}, now), false);
    assert.equal(recentlyVerified(undefined, now), false);
    assert.equal(recentlyVerified({ verifiedAt: now + 60_000 }, now), false);
    assert.equal(recentlyVerified({ verifiedAt: now - 3_000 }, now, 2_000), false);
  });
});
