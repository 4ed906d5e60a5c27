import assert from 'node:assert/strict';
import { BusSeal, isSealed } from './bus-seal';

const KEY = 'first-bus-key-with-at-least-32-characters';
const NEXT = 'next-bus-key-with-at-least-32-characters!!';
const OTHER = 'someone-elses-key-with-at-least-32-characters';
const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('BusSeal', () => {
  const seal = new BusSeal([KEY]);

  it("authenticates an event's subject and body, and refuses any change, a missing tag or another key", () => {
    const payload = body({ groupId: 'g', userId: 'u', version: 2 });
    const tag = seal.eventTag('p.directory.membership.added.v1', payload);
    assert.equal(seal.verifyEvent('p.directory.membership.added.v1', payload, tag), undefined);
    assert.equal(seal.verifyEvent('p.directory.membership.removed.v1', payload, tag), 'forged');
    assert.equal(seal.verifyEvent('p.directory.membership.added.v1', body({ groupId: 'g', userId: 'u', version: 3 }), tag), 'forged');
    assert.equal(seal.verifyEvent('p.directory.membership.added.v1', payload, undefined), 'missing');
    assert.equal(seal.verifyEvent('p.directory.membership.added.v1', payload, 'v1.00'), 'missing');
    const theirs = new BusSeal([OTHER]).eventTag('p.directory.membership.added.v1', payload);
    assert.equal(seal.verifyEvent('p.directory.membership.added.v1', payload, theirs), 'unknown-key');
    // Their tag under our key id still does not verify.
    const [, ourId] = tag.split('.');
    const [, , theirMac] = theirs.split('.');
    assert.equal(seal.verifyEvent('p.directory.membership.added.v1', payload, `v1.${ourId}.${theirMac}`), 'forged');
  });

  it('seals a request for its subject and reply subject only, and hides what it carries', () => {
    const sealed = seal.sealRequest('rpc.directory.credentials.verify.v1', '_INBOX.abc.1', body({ password: 'hunter2-secret' }));
    assert.equal(isSealed(sealed), true);
    assert.equal(text(sealed).includes('hunter2-secret'), false);
    const opened = seal.openRequest('rpc.directory.credentials.verify.v1', '_INBOX.abc.1', sealed);
    assert.ok(typeof opened !== 'string');
    assert.deepEqual(JSON.parse(text(opened.plaintext)), { password: 'hunter2-secret' });
    assert.equal(seal.openRequest('rpc.directory.api-key.resolve.v1', '_INBOX.abc.1', sealed), 'forged');
    assert.equal(seal.openRequest('rpc.directory.credentials.verify.v1', '_INBOX.evil.1', sealed), 'forged');
    assert.equal(seal.openRequest('rpc.directory.credentials.verify.v1', '_INBOX.abc.1', body({ password: 'x' })), 'missing');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 20] ^= 1;
    assert.equal(seal.openRequest('rpc.directory.credentials.verify.v1', '_INBOX.abc.1', tampered), 'forged');
    assert.equal(new BusSeal([OTHER]).openRequest('rpc.directory.credentials.verify.v1', '_INBOX.abc.1', sealed), 'unknown-key');
  });

  it('fits an answer to exactly one request: not another request, not another reply subject', () => {
    const first = seal.sealRequest('rpc.x', '_INBOX.abc.1', body({ n: 1 }));
    const second = seal.sealRequest('rpc.x', '_INBOX.abc.2', body({ n: 2 }));
    const opened = seal.openRequest('rpc.x', '_INBOX.abc.1', first);
    assert.ok(typeof opened !== 'string');
    const answer = seal.sealReply('_INBOX.abc.1', opened.nonce, body({ ok: true, data: { ok: true } }));
    assert.deepEqual(JSON.parse(text(seal.openReply('_INBOX.abc.1', first, answer) as Buffer)), { ok: true, data: { ok: true } });
    assert.equal(seal.openReply('_INBOX.abc.2', second, answer), 'forged');
    assert.equal(seal.openReply('_INBOX.abc.1', second, answer), 'forged');
    assert.equal(seal.openReply('_INBOX.abc.1', first, body({ ok: true, data: { ok: true } })), 'missing');
  });

  it('rotates: a service with both keys accepts either, and sends with the first', () => {
    const old = new BusSeal([KEY]);
    const both = new BusSeal([NEXT, KEY]);
    const payload = body({ n: 1 });
    assert.equal(both.verifyEvent('s', payload, old.eventTag('s', payload)), undefined);
    assert.equal(old.verifyEvent('s', payload, both.eventTag('s', payload)), 'unknown-key');
    assert.equal(new BusSeal([KEY, NEXT]).verifyEvent('s', payload, both.eventTag('s', payload)), undefined);
    const request = old.sealRequest('rpc.x', 'r', payload);
    const opened = both.openRequest('rpc.x', 'r', request);
    assert.ok(typeof opened !== 'string');
    assert.equal(text(opened.plaintext), '{"n":1}');
  });
});
