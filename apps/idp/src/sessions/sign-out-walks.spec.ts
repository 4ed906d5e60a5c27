import assert from 'node:assert/strict';
import { SignOutWalks, type SignOutWalk } from './sign-out-walks';

const walk = (): SignOutWalk => ({ organizationId: 'o', sessionIndex: '_s', remaining: [], signedOut: [], unconfirmed: [], skipped: [] });

describe('SignOutWalks: bounded in number and in time', () => {
  it('keeps a walk under a 43-character token until it ends or expires', () => {
    let now = 0;
    const walks = new SignOutWalks(1_000, 10, () => now);
    const a = walks.start(walk());
    const b = walks.start(walk());
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(walks.get(a));
    walks.end(a);
    assert.equal(walks.get(a), undefined);
    now = 1_000;
    assert.equal(walks.get(b), undefined);
    assert.equal(walks.get(undefined), undefined);
  });

  it('drops the oldest beyond the cap', () => {
    const walks = new SignOutWalks(60_000, 2);
    const [a, b, c] = [walks.start(walk()), walks.start(walk()), walks.start(walk())];
    assert.equal(walks.size, 2);
    assert.equal(walks.get(a), undefined);
    assert.ok(walks.get(b) && walks.get(c));
  });
});
