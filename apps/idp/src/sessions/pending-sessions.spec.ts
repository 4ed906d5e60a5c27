import assert from 'node:assert/strict';
import { SessionStore } from './session-store';

describe('SessionStore: sessions nobody has signed in to are short-lived and bounded', () => {
  let store: SessionStore;
  afterEach(() => store.onApplicationShutdown());

  it('keeps at most maxPending of them, dropping the oldest first', () => {
    store = new SessionStore(1_800_000, 28_800_000, { pendingMs: 600_000, maxPending: 3 });
    const [first, second, third, fourth] = [store.create(), store.create(), store.create(), store.create()];
    assert.equal(store.pendingCount, 3);
    assert.equal(store.get(first.id), undefined, 'the oldest went');
    for (const s of [second, third, fourth]) assert.equal(store.get(s.id)?.id, s.id);
  });

  it('ends one at the pre-login lifetime however busy it is; a signed-in session lives on', () => {
    let now = 1_000_000;
    store = new SessionStore(1_800_000, 28_800_000, { pendingMs: 600_000, maxPending: 10, now: () => now });
    const waiting = store.create();
    const signedIn = store.regenerate({
      ...store.create(),
      user: { id: 'u', organizationId: 'o', authnInstant: new Date(), sessionIndex: '_s' },
    });
    assert.equal(store.pendingCount, 1, 'a signed-in session is no longer pending');
    for (let i = 0; i < 5; i++) {
      now += 110_000;
      assert.equal(store.get(waiting.id)?.id, waiting.id);
      assert.equal(store.get(signedIn.id)?.id, signedIn.id);
    }
    now += 60_000; // 610 s after it began
    assert.equal(store.get(waiting.id), undefined);
    assert.equal(store.get(signedIn.id)?.id, signedIn.id);
    assert.equal(store.pendingCount, 0);
  });

  it('a full pending store never drops a signed-in session', () => {
    store = new SessionStore(1_800_000, 28_800_000, { pendingMs: 600_000, maxPending: 1 });
    const signedIn = store.regenerate({
      ...store.create(),
      user: { id: 'u', organizationId: 'o', authnInstant: new Date(), sessionIndex: '_s' },
    });
    for (let i = 0; i < 5; i++) store.create();
    assert.equal(store.get(signedIn.id)?.user?.id, 'u');
    assert.equal(store.pendingCount, 1);
  });
});
