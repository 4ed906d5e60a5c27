import assert from 'node:assert/strict';
import { SignOutWalks, type SignOutWalk } from './sign-out-walks';

const walk = (): SignOutWalk => ({ organizationId: 'o', sessionIndex: '_s', remaining: [], signedOut: [], unconfirmed: [], skipped: [] });

// The same rules in the database: shared-sign-ins.integration-spec.ts.
describe('SignOutWalks in memory: bounded in number and in time', () => {
  it('keeps a walk under a 43-character token until it ends or expires', async () => {
    let now = 0;
    const walks = new SignOutWalks(1_000, 10, () => now);
    const a = await walks.start(walk());
    const b = await walks.start(walk());
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(await walks.get(a));
    await walks.end(a);
    assert.equal(await walks.get(a), undefined);
    now = 1_000;
    assert.equal(await walks.get(b), undefined);
    assert.equal(await walks.get(undefined), undefined);
  });

  it('drops the oldest beyond the cap', async () => {
    const walks = new SignOutWalks(60_000, 2);
    const [a, b, c] = [await walks.start(walk()), await walks.start(walk()), await walks.start(walk())];
    assert.equal(await walks.size(), 2);
    assert.equal(await walks.get(a), undefined);
    assert.ok((await walks.get(b)) && (await walks.get(c)));
  });
});
