import assert from 'node:assert/strict';
import { SessionStore } from './session-store';

describe('SessionStore', () => {
  afterEach(() => jest.useRealTimers());

  it('ends a session after the idle period, and keeps one that is used', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const store = new SessionStore(60_000, 3_600_000);
    const idle = store.create();
    const busy = store.create();
    jest.advanceTimersByTime(40_000);
    assert.equal(store.get(busy.id)?.id, busy.id);
    jest.advanceTimersByTime(40_000);
    assert.equal(store.get(idle.id), undefined, 'idle for 80 s of 60');
    assert.equal(store.get(busy.id)?.id, busy.id, 'used 40 s ago');
    void store.onApplicationShutdown();
  });

  it('ends a session at its absolute lifetime however busy it is, counted from sign-in', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const store = new SessionStore(60_000, 120_000);
    let session = store.create();
    jest.advanceTimersByTime(50_000);
    session = store.regenerate(store.get(session.id)!);
    for (let i = 0; i < 2; i++) {
      jest.advanceTimersByTime(50_000);
      assert.equal(store.get(session.id)?.id, session.id);
    }
    jest.advanceTimersByTime(30_000);
    assert.equal(store.get(session.id), undefined, '130 s after sign-in, limit 120');
    void store.onApplicationShutdown();
  });

  it('regenerate gives a new id and CSRF token and forgets the old id (no fixation)', () => {
    const store = new SessionStore(60_000, 120_000);
    const before = store.create();
    before.user = { id: 'u', organizationId: 'o', authnInstant: new Date(), sessionIndex: '_s' };
    const after = store.regenerate(before);
    assert.notEqual(after.id, before.id);
    assert.notEqual(after.csrfToken, before.csrfToken);
    assert.equal(store.get(before.id), undefined);
    assert.equal(store.get(after.id)?.user?.id, 'u');
    assert.match(after.id, /^[A-Za-z0-9_-]{43}$/);
    store.destroy(after.id);
    assert.equal(store.get(after.id), undefined);
    void store.onApplicationShutdown();
  });
});
