import assert from 'node:assert/strict';
import { CHALLENGE_TTL_MS, WebAuthnChallenges, challengeHash } from './webauthn-challenge';

describe('WebAuthn challenges', () => {
  const challenges = new WebAuthnChallenges('a-key-encryption-key-of-at-least-32-chars');
  const now = Date.UTC(2026, 11, 6, 12);

  it('are accepted for their purpose and session until they expire', () => {
    const c = challenges.issue('authenticate', 'session-1', now);
    assert.equal(challenges.check(c, 'authenticate', 'session-1', now + 1000)?.getTime(), now + CHALLENGE_TTL_MS);
    assert.equal(challenges.check(c, 'authenticate', 'session-1', now + CHALLENGE_TTL_MS), null);
  });

  it('are refused for another purpose, another session, or under another key', () => {
    const c = challenges.issue('register', 'session-1', now);
    assert.equal(challenges.check(c, 'authenticate', 'session-1', now), null);
    assert.equal(challenges.check(c, 'reverify', 'session-1', now), null);
    assert.equal(challenges.check(c, 'register', 'session-2', now), null);
    assert.equal(new WebAuthnChallenges('another-key-encryption-key-of-32-chars!!').check(c, 'register', 'session-1', now), null);
  });

  it('are refused when altered (a later expiry, a bit flipped) or malformed', () => {
    const c = challenges.issue('authenticate', 's', now);
    const raw = Buffer.from(c, 'base64url');
    const later = Buffer.from(raw);
    later.writeBigUInt64BE(BigInt(now + 10 * CHALLENGE_TTL_MS), 1);
    assert.equal(challenges.check(later.toString('base64url'), 'authenticate', 's', now), null);
    const flipped = Buffer.from(raw);
    flipped[12] ^= 1;
    assert.equal(challenges.check(flipped.toString('base64url'), 'authenticate', 's', now), null);
    for (const bad of ['', 'not base64url!', c.slice(0, -2), `${c}AA`, 'A'.repeat(200)])
      assert.equal(challenges.check(bad, 'authenticate', 's', now), null, bad);
  });

  it('differ each time, and hash to a stable key', () => {
    const a = challenges.issue('authenticate', 's', now);
    const b = challenges.issue('authenticate', 's', now);
    assert.notEqual(a, b);
    assert.equal(challengeHash(a), challengeHash(a));
    assert.match(challengeHash(a), /^[0-9a-f]{64}$/);
  });
});
