import assert from 'node:assert/strict';
import { retryTime, signInRefusal, throttledMessage } from './sign-in-messages';

const NOW = new Date('2026-12-06T14:20:00.000Z');

describe('sign-in messages', () => {
  it('names the minute a backoff ends, rounded up, in UTC; with the date when it is another day', () => {
    assert.equal(retryTime(new Date('2026-12-06T14:31:10.500Z'), NOW), '14:32 UTC');
    assert.equal(retryTime(new Date('2026-12-06T14:32:00.000Z'), NOW), '14:32 UTC');
    assert.equal(retryTime(new Date('2026-12-06T23:59:30.000Z'), NOW), '2026-12-07 00:00 UTC');
    assert.equal(retryTime(new Date('2026-12-07T00:40:00.000Z'), NOW), '2026-12-07 00:40 UTC');
  });

  it('counts the minutes to wait, at least one', () => {
    assert.equal(throttledMessage(1), 'Too many sign-in attempts from your network. Try again in 1 minute.');
    assert.equal(throttledMessage(60), 'Too many sign-in attempts from your network. Try again in 1 minute.');
    assert.equal(throttledMessage(61), 'Too many sign-in attempts from your network. Try again in 2 minutes.');
    assert.equal(throttledMessage(900), 'Too many sign-in attempts from your network. Try again in 15 minutes.');
  });

  it('answers each refusal with its status and words', () => {
    const cases: [Parameters<typeof signInRefusal>[0], number, string][] = [
      [{ ok: false, reason: 'invalid_credentials' }, 401, 'Wrong username or password.'],
      [
        { ok: false, reason: 'locked_out', retryAfter: '2026-12-06T14:31:10.500Z' },
        429,
        'Too many failed sign-ins. Try again after 14:32 UTC, or ask your administrator.',
      ],
      // From a directory that does not say until when.
      [{ ok: false, reason: 'locked_out' }, 429, 'Too many failed sign-ins. Try again later, or ask your administrator.'],
      [
        { ok: false, reason: 'throttled', retryAfter: '2026-12-06T14:22:30.000Z' },
        429,
        'Too many sign-in attempts from your network. Try again in 3 minutes.',
      ],
      [{ ok: false, reason: 'throttled' }, 429, 'Too many sign-in attempts from your network. Try again in 1 minute.'],
      [{ ok: false, reason: 'not_active', state: 'SUSPENDED' }, 403, 'Your account is suspended. Ask your administrator.'],
      [{ ok: false, reason: 'not_active', state: 'STAGED' }, 403, 'Your account is not active yet. Ask your administrator.'],
      [{ ok: false, reason: 'not_active' }, 403, 'Your account is not active. Ask your administrator.'],
    ];
    for (const [answer, status, message] of cases) {
      assert.deepEqual(signInRefusal(answer, NOW), { status, message }, JSON.stringify(answer));
    }
  });
});
