import assert from 'node:assert/strict';
import { ConsumerProgress } from './consumer-progress';

describe('ConsumerProgress', () => {
  it('starts at the ack floor and advances only over a contiguous run', () => {
    const p = new ConsumerProgress();
    p.start('S', 10);
    assert.equal(p.applied('S'), 10);
    p.complete('S', 12);
    assert.equal(p.applied('S'), 10, 'a gap at 11 holds the floor');
    p.complete('S', 11);
    assert.equal(p.applied('S'), 12);
    p.complete('S', 5);
    assert.equal(p.applied('S'), 12, 'old sequences never move it back');
  });

  it('jumps over holes when the server reports a higher ack floor', () => {
    const p = new ConsumerProgress();
    p.start('S', 0);
    p.complete('S', 3);
    p.advanceTo('S', 2);
    assert.equal(p.applied('S'), 3);
  });

  it('is ready only once it has applied the backlog the stream held at start', () => {
    const p = new ConsumerProgress();
    p.start('S', 4, 6);
    assert.equal(p.isReady('S'), false);
    p.complete('S', 5);
    assert.equal(p.isReady('S'), false);
    p.complete('S', 6);
    assert.equal(p.isReady('S'), true);
  });

  it('reports unknown streams as not ready and at zero', () => {
    const p = new ConsumerProgress();
    assert.equal(p.applied('X'), 0);
    assert.equal(p.isReady('X'), false);
    p.start('X', 0);
    p.stop('X');
    assert.equal(p.isReady('X'), false);
  });
});

describe('ConsumerProgress: finding the stream trimmed past what was applied', () => {
  it('at start: trimmed only when the first sequence is above the floor + 1', () => {
    const p = new ConsumerProgress();
    p.start('S', 10, 20);
    assert.equal(p.trimmedPast('S', 1), false, 'nothing trimmed');
    assert.equal(p.trimmedPast('S', 11), false, 'trimmed exactly up to what was applied');
    assert.equal(p.trimmedPast('S', 12), true, 'sequence 11 was never applied and is gone');
    assert.equal(p.trimmedPast('S', 0), false, 'a stream that never held a message');
  });

  it('a purged stream (first = last + 1) is a trim only if the consumer had not applied it all', () => {
    const caughtUp = new ConsumerProgress();
    caughtUp.start('S', 20, 20);
    assert.equal(caughtUp.trimmedPast('S', 21), false);
    const behind = new ConsumerProgress();
    behind.start('S', 15, 20);
    assert.equal(behind.trimmedPast('S', 21), true);
  });

  it('a fresh consumer (floor 0) on a stream whose first message is gone must resync', () => {
    const p = new ConsumerProgress();
    p.start('S', 0, 50);
    assert.equal(p.trimmedPast('S', 2), true);
    assert.equal(p.trimmedPast('S', 1), false);
  });

  it('while running: a delivery that jumps over undelivered sequences is noticed, a redelivery is not', () => {
    const p = new ConsumerProgress();
    p.start('S', 10);
    assert.equal(p.skipsAhead('S', 11), false);
    p.complete('S', 11);
    assert.equal(p.skipsAhead('S', 12), false);
    assert.equal(p.skipsAhead('S', 13), false, "12 was nak'd, 13 follows it");
    p.complete('S', 13);
    assert.equal(p.skipsAhead('S', 12), false, 'the redelivery of 12');
    p.complete('S', 12);
    assert.equal(p.skipsAhead('S', 40), true, '14..39 were never delivered');
    assert.equal(p.trimmedPast('S', 40), true, 'and the stream starts at 40: they were trimmed');
    assert.equal(p.trimmedPast('S', 14), false, 'had it started at 14, they were only deleted');
  });

  it("while running: a nak'd message trimmed before its redelivery holds the floor without any jump; stalled() notices", () => {
    const p = new ConsumerProgress();
    p.start('S', 10, 10);
    assert.equal(p.skipsAhead('S', 11), false, "11 is delivered, and nak'd for a retry");
    assert.equal(p.stalled('S'), false, 'first look: the floor waits for 11');
    for (const seq of [12, 13]) {
      assert.equal(p.skipsAhead('S', seq), false);
      p.complete('S', seq);
    }
    // The stream is purged (first = 14) before 11 comes again; it never will. What comes next
    // follows the highest delivered, so no delivery ever jumps.
    assert.equal(p.skipsAhead('S', 14), false, '14 follows 13');
    p.complete('S', 14);
    assert.equal(p.applied('S'), 10, 'held below 11');
    assert.equal(p.stalled('S'), true, 'second look, still waiting for 11');
    assert.equal(p.trimmedPast('S', 14), true, 'and the stream no longer holds 11');
    p.beginResync('S');
    p.endResync('S', 14, 14);
    assert.equal(p.applied('S'), 14);
    assert.equal(p.isReady('S'), true);
    assert.equal(p.stalled('S'), false, 'nothing delivered is pending');
  });

  it('stalled() is true only when the floor waited for the same sequence at two looks in a row', () => {
    const p = new ConsumerProgress();
    p.start('S', 0, 0);
    assert.equal(p.stalled('S'), false, 'nothing delivered');
    assert.equal(p.stalled('S'), false, 'an idle consumer is not stalled');
    p.skipsAhead('S', 1);
    assert.equal(p.stalled('S'), false, '1 is in its handler');
    p.complete('S', 1);
    p.skipsAhead('S', 2);
    assert.equal(p.stalled('S'), false, 'the floor moved: now it waits for 2');
    p.skipsAhead('S', 3);
    p.complete('S', 3);
    assert.equal(p.stalled('S'), true, "2 was nak'd and has not come back");
    p.skipsAhead('S', 2);
    assert.equal(p.stalled('S'), true, 'a redelivery alone changes nothing');
    p.complete('S', 2);
    assert.equal(p.applied('S'), 3);
    assert.equal(p.stalled('S'), false);
    // A message the stream deleted while it was nak'd: the server's ack floor releases it.
    p.skipsAhead('S', 4);
    p.skipsAhead('S', 5);
    p.complete('S', 5);
    assert.equal(p.stalled('S'), false);
    assert.equal(p.stalled('S'), true);
    assert.equal(p.trimmedPast('S', 1), false, 'the stream still starts below it: it was deleted, not trimmed');
    p.advanceTo('S', 5);
    assert.equal(p.applied('S'), 5);
    assert.equal(p.stalled('S'), false);
    assert.equal(p.stalled('X'), false, 'an unknown stream');
  });

  it('is neither ready nor advanced while resyncing, then counts everything below the first sequence as applied', () => {
    const p = new ConsumerProgress();
    p.start('S', 3, 3);
    assert.equal(p.isReady('S'), true);
    p.beginResync('S');
    assert.equal(p.isResyncing('S'), true);
    assert.equal(p.isReady('S'), false);
    assert.equal(p.applied('S'), 3);
    p.endResync('S', 25, 30);
    assert.equal(p.isResyncing('S'), false);
    assert.equal(p.applied('S'), 24);
    assert.equal(p.isReady('S'), false, 'the stream held up to 30 when the resync began');
    for (let seq = 25; seq <= 30; seq++) p.complete('S', seq);
    assert.equal(p.isReady('S'), true);
    assert.equal(p.skipsAhead('S', 31), false);
  });
});
