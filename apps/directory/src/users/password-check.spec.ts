import assert from 'node:assert/strict';
import * as argon2 from 'argon2';
import { ARGON2_OPTIONS, checkPassword, type Candidate } from './password-check';

const DUMMY = '$argon2id$v=19$m=19456,p=1,t=2$dummy';
const REAL = '$argon2id$v=19$m=19456,p=1,t=2$real';

/** A verifier that records which hash each call checked; only REAL with "right" matches. */
const recorder = () => {
  const checked: string[] = [];
  const verify = (hash: string, password: string) => {
    checked.push(hash);
    return Promise.resolve(hash === REAL && password === 'right');
  };
  return { checked, verify };
};

const user = (over: Partial<Candidate> = {}): Candidate => ({ id: 'u-1', passwordHash: REAL, state: 'ACTIVATED', ...over });

describe('checkPassword: one verify on every path', () => {
  const cases: [string, Candidate | null, string, string, string][] = [
    ['right password', user(), 'right', 'ok', REAL],
    ['wrong password', user(), 'wrong', 'invalid_credentials', REAL],
    ['unknown user', null, 'right', 'invalid_credentials', DUMMY],
    ['user without a password', user({ passwordHash: null }), 'right', 'invalid_credentials', DUMMY],
    ['suspended user, right password', user({ state: 'SUSPENDED' }), 'right', 'not_active', REAL],
    ['suspended user, wrong password', user({ state: 'SUSPENDED' }), 'wrong', 'invalid_credentials', REAL],
    ['staged user, right password', user({ state: 'STAGED' }), 'right', 'not_active', REAL],
    ['staged user, wrong password', user({ state: 'STAGED' }), 'wrong', 'invalid_credentials', REAL],
  ];
  for (const [name, candidate, password, outcome, hash] of cases) {
    it(`${name}: ${outcome}, after exactly one verify of the ${hash === DUMMY ? 'dummy' : 'real'} hash`, async () => {
      const { checked, verify } = recorder();
      const result = await checkPassword(candidate, password, DUMMY, verify);
      assert.equal(result.outcome, outcome);
      assert.equal(result.userId, candidate?.id ?? null);
      assert.deepEqual(checked, [hash]);
    });
  }

  it('names the state only after the right password', async () => {
    const { verify } = recorder();
    assert.deepEqual(await checkPassword(user({ state: 'SUSPENDED' }), 'right', DUMMY, verify), {
      outcome: 'not_active',
      userId: 'u-1',
      state: 'SUSPENDED',
    });
    assert.deepEqual(await checkPassword(user({ state: 'STAGED' }), 'right', DUMMY, verify), {
      outcome: 'not_active',
      userId: 'u-1',
      state: 'STAGED',
    });
    assert.deepEqual(await checkPassword(user({ state: 'STAGED' }), 'wrong', DUMMY, verify), {
      outcome: 'invalid_credentials',
      userId: 'u-1',
    });
  });

  it('treats a verifier error (a malformed stored hash) as a wrong password', async () => {
    const result = await checkPassword(user(), 'right', DUMMY, () => Promise.reject(new Error('bad hash')));
    assert.deepEqual(result, { outcome: 'invalid_credentials', userId: 'u-1' });
  });

  it('hashes with argon2id at 19 MiB, t=2, p=1: the dummy hash costs what a real one does', async () => {
    const hash = await argon2.hash('x', ARGON2_OPTIONS);
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});
