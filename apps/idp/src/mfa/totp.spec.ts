import assert from 'node:assert/strict';
import { newRecoveryCodes, newTotpSecret, recoveryCodeHash, totpCode, totpUri, verifyTotp, TOTP_PERIOD_SECONDS } from './totp';

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

describe('TOTP', () => {
  const secret = newTotpSecret();
  // The middle of a step, so "one step either side" is unambiguous.
  const now = Math.floor(Date.UTC(2026, 0, 1) / STEP_MS) * STEP_MS + STEP_MS / 2;
  const step = now / STEP_MS - 0.5;

  it('makes 160-bit base32 secrets and an otpauth URI an app reads', () => {
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.notEqual(newTotpSecret(), secret);
    assert.match(
      totpUri(secret, 'JIT IdP', 'ada@example.com'),
      /^otpauth:\/\/totp\/JIT%20IdP:ada%40example\.com\?issuer=JIT%20IdP&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/,
    );
  });

  it('accepts the code of this step and of one step either side, answering its step', () => {
    assert.equal(verifyTotp(secret, totpCode(secret, now), null, now), step);
    assert.equal(verifyTotp(secret, totpCode(secret, now - STEP_MS), null, now), step - 1);
    assert.equal(verifyTotp(secret, totpCode(secret, now + STEP_MS), null, now), step + 1);
    assert.equal(verifyTotp(secret, ` ${totpCode(secret, now).slice(0, 3)} ${totpCode(secret, now).slice(3)} `, null, now), step);
  });

  it('refuses a code two steps away, another secret’s code and what is not six digits', () => {
    assert.equal(verifyTotp(secret, totpCode(secret, now - 2 * STEP_MS), null, now), null);
    assert.equal(verifyTotp(secret, totpCode(secret, now + 2 * STEP_MS), null, now), null);
    assert.equal(verifyTotp(secret, totpCode(newTotpSecret(), now), null, now), null);
    for (const bad of ['', '12345', '1234567', 'abcdef']) assert.equal(verifyTotp(secret, bad, null, now), null);
  });

  it('accepts a code once: not again, and no code of that step or an earlier one', () => {
    const used = verifyTotp(secret, totpCode(secret, now), null, now);
    assert.equal(verifyTotp(secret, totpCode(secret, now), used, now), null, 'replayed');
    assert.equal(verifyTotp(secret, totpCode(secret, now - STEP_MS), used, now), null, 'older');
    assert.equal(verifyTotp(secret, totpCode(secret, now + STEP_MS), used, now), step + 1, 'the next one is fine');
  });
});

describe('Recovery codes', () => {
  it('makes ten distinct codes that hash alike however they are typed', () => {
    const codes = newRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
    const hash = recoveryCodeHash(codes[0]);
    assert.match(hash ?? '', /^[0-9a-f]{64}$/);
    assert.equal(recoveryCodeHash(` ${codes[0].toUpperCase().replace('-', ' ')} `), hash);
    assert.notEqual(recoveryCodeHash(codes[1]), hash);
  });

  it('has no hash for what cannot be a code', () => {
    for (const bad of ['', 'short', 'abcde-fghij-k', '11111-11111', 'abcde-fghi!']) assert.equal(recoveryCodeHash(bad), null);
  });
});
