import assert from 'node:assert/strict';
import { KeyEncryption } from './key-encryption';

describe('KeyEncryption', () => {
  const secret = 'a-long-random-secret-for-tests-0123456789';

  it('round-trips and never stores the plaintext', () => {
    const enc = new KeyEncryption(secret);
    const sealed = enc.encrypt('-----BEGIN PRIVATE KEY-----abc');
    assert.equal(Buffer.from(sealed, 'base64').includes('BEGIN PRIVATE KEY'), false);
    assert.equal(enc.decrypt(sealed), '-----BEGIN PRIVATE KEY-----abc');
  });

  it('refuses a tampered ciphertext and a wrong secret', () => {
    const sealed = new KeyEncryption(secret).encrypt('secret');
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1] ^= 1;
    assert.throws(() => new KeyEncryption(secret).decrypt(bytes.toString('base64')), /unable to authenticate/i);
    assert.throws(() => new KeyEncryption(secret + 'x').decrypt(sealed), /unable to authenticate/i);
  });
});
