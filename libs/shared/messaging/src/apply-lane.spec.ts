import { strict as assert } from 'node:assert';
import { ApplyLane } from './apply-lane';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Work the test finishes by hand, recording when it starts. */
function controlled(log: string[], name: string) {
  let finish: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
  return {
    work: () => {
      log.push(`start ${name}`);
      return done;
    },
    finish: (error?: Error) => finish(error),
  };
}

/** What the transport's loop does with each delivery: wait for room, then start it (not waiting for it to finish). */
async function deliver(lane: ApplyLane, work: () => Promise<void>): Promise<void> {
  await lane.free();
  lane.start(work).catch(() => undefined);
}

describe('ApplyLane', () => {
  it('runs up to its width at once, and lets the next in as soon as any one finishes', async () => {
    const log: string[] = [];
    const lane = new ApplyLane(2);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => controlled(log, name));
    await deliver(lane, a.work);
    await deliver(lane, b.work);
    let cStarted = false;
    void deliver(lane, c.work).then(() => (cStarted = true));
    await tick();
    assert.deepEqual(log, ['start a', 'start b']);
    assert.equal(cStarted, false, 'two are running: the third waits');
    // The second finishes first: out of order is fine.
    b.finish();
    await tick();
    assert.deepEqual(log, ['start a', 'start b', 'start c']);
    a.finish();
    c.finish();
    await lane.idle();
  });

  it('with a width of 1, starts each only after the one before it finished (stream order)', async () => {
    const log: string[] = [];
    const lane = new ApplyLane(1);
    const [a, b] = ['a', 'b'].map((name) => controlled(log, name));
    await deliver(lane, a.work);
    void deliver(lane, b.work);
    await tick();
    assert.deepEqual(log, ['start a']);
    a.finish(new Error('nak'));
    await tick();
    assert.deepEqual(log, ['start a', 'start b'], 'a failed one frees its place too');
    b.finish();
    await lane.idle();
  });

  it('runs exclusive work after everything started before it, and starts nothing beside it', async () => {
    const log: string[] = [];
    const lane = new ApplyLane(4);
    const [a, b, resync, c] = ['a', 'b', 'resync', 'c'].map((name) => controlled(log, name));
    await deliver(lane, a.work);
    await deliver(lane, b.work);
    const exclusive = lane.exclusive(resync.work);
    void deliver(lane, c.work);
    await tick();
    assert.deepEqual(log, ['start a', 'start b']);
    a.finish();
    await tick();
    assert.deepEqual(log, ['start a', 'start b'], 'b is still running');
    b.finish(new Error('nak'));
    await tick();
    assert.deepEqual(log, ['start a', 'start b', 'start resync']);
    await tick();
    assert.deepEqual(log, ['start a', 'start b', 'start resync'], 'nothing beside it');
    resync.finish();
    await exclusive;
    await tick();
    assert.deepEqual(log, ['start a', 'start b', 'start resync', 'start c']);
    c.finish();
    await lane.idle();
  });

  it('is idle only once work started while it waited has finished too', async () => {
    const log: string[] = [];
    const lane = new ApplyLane(2);
    const [a, b] = ['a', 'b'].map((name) => controlled(log, name));
    await deliver(lane, a.work);
    let idle = false;
    const waiting = lane.idle().then(() => (idle = true));
    await deliver(lane, b.work);
    a.finish();
    await tick();
    assert.equal(idle, false, 'b started while idle() waited for a');
    b.finish();
    await waiting;
  });

  it('runs work beside a full lane at once, never beside exclusive work, and exclusive work waits for it', async () => {
    const log: string[] = [];
    const lane = new ApplyLane(1);
    const [a, replayed, resync, late] = ['a', 'replayed', 'resync', 'late'].map((name) => controlled(log, name));
    await deliver(lane, a.work);
    const beside = lane.beside(replayed.work);
    await tick();
    assert.deepEqual(log, ['start a', 'start replayed'], 'the lane is full, and it runs anyway');
    const exclusive = lane.exclusive(resync.work);
    a.finish();
    await tick();
    assert.deepEqual(log, ['start a', 'start replayed'], 'the resync waits for it');
    replayed.finish();
    await beside;
    await tick();
    assert.deepEqual(log, ['start a', 'start replayed', 'start resync']);
    const afterResync = lane.beside(late.work);
    await tick();
    assert.deepEqual(log, ['start a', 'start replayed', 'start resync'], 'nothing beside the resync');
    resync.finish();
    await exclusive;
    await tick();
    assert.deepEqual(log, ['start a', 'start replayed', 'start resync', 'start late']);
    late.finish();
    await afterResync;
    await lane.idle();
  });

  it('refuses a width below 1', () => {
    assert.throws(() => new ApplyLane(0), /at least 1/);
  });
});
