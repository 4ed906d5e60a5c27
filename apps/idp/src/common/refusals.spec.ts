import assert from 'node:assert/strict';
import { REFUSAL_REASONS } from '@jit/idp-contracts';
import { REFUSALS, Refusal } from './refusals';

describe('REFUSALS: one page per typed refusal reason', () => {
  it('gives every reason a 4xx or 503 status, a title and a message', () => {
    for (const reason of [...REFUSAL_REASONS, 'missing_required_attribute:email' as const]) {
      const refusal = new Refusal(reason, { appName: 'Wiki', missing: ['email'], relayStateMaxBytes: 1024 });
      assert.ok((refusal.status >= 400 && refusal.status < 500) || refusal.status === 503, `${reason}: ${refusal.status}`);
      assert.ok(refusal.title.length > 0 && refusal.message.length > 0, reason);
    }
    assert.equal(Object.keys(REFUSALS).length, REFUSAL_REASONS.length + 1);
  });

  it('words sign-in and logout refusals for what was refused, and answers an oversized sign-in request 413', () => {
    assert.equal(new Refusal('stale_request', { flow: 'slo' }).title, 'Expired logout request');
    assert.equal(new Refusal('stale_request', { flow: 'sso' }).title, 'Expired sign-in request');
    assert.equal(new Refusal('malformed_request', { flow: 'sso', detail: 'too big', tooLarge: true }).status, 413);
    assert.equal(
      new Refusal('missing_required_attribute:email', { appName: 'Wiki', missing: ['email', 'NameID'] }).message,
      'Your profile lacks what Wiki needs to create your account: email, NameID. Ask your administrator.',
    );
    assert.deepEqual(
      [new Refusal('subject_mismatch').status, new Refusal('slo_not_authenticated').status, new Refusal('database_unavailable').status],
      [403, 400, 503],
    );
  });
});
