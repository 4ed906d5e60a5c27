import { describe, it } from 'node:test';
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
