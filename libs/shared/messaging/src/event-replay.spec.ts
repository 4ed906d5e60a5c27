import assert from 'node:assert/strict';
import { defineStream } from './contract';
import { EventReplay } from './event-replay';
import type { RecordedEvent } from './outbox-ledger';

const STREAM = defineStream('R', ['r.>'], []);
const event = (id: string): RecordedEvent => ({ id, subject: 'r.thing.changed.v1', payload: {} });

describe('EventReplay', () => {
  it('rejects until a transport attaches its handlers', async () => {
    const replay = new EventReplay();
    assert.equal(replay.attached, false);
    await assert.rejects(replay.apply(STREAM, [event('a')]), /no transport applies events/);
  });

  it('applies each row once, concurrent callers sharing the attempt', async () => {
    const replay = new EventReplay();
    const calls: string[] = [];
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    replay.attach(async (_stream, e) => {
      calls.push(e.id);
      await held;
    });
    const first = replay.apply(STREAM, [event('a'), event('b')]);
    const second = replay.apply(STREAM, [event('b'), event('c')]);
    release();
    // Each call counts what it applied itself.
    assert.deepEqual(await Promise.all([first, second]), [2, 1]);
    assert.equal(await replay.apply(STREAM, [event('a')]), 0);
    assert.deepEqual(calls, ['a', 'b', 'c']);
  });

  it('applies a row again after its attempt failed, and rejects the caller that saw the failure', async () => {
    const replay = new EventReplay();
    let failures = 1;
    let calls = 0;
    replay.attach(() => {
      calls += 1;
      return failures-- > 0 ? Promise.reject(new Error('database unavailable')) : Promise.resolve();
    });
    await assert.rejects(replay.apply(STREAM, [event('a')]), /database unavailable/);
    await replay.apply(STREAM, [event('a')]);
    await replay.apply(STREAM, [event('a')]);
    assert.equal(calls, 2);
  });

  it('remembers at most REMEMBERED rows, forgetting the oldest (which are then applied again)', async () => {
    const replay = new EventReplay();
    const calls: string[] = [];
    replay.attach((_stream, e) => {
      calls.push(e.id);
      return Promise.resolve();
    });
    const rows = Array.from({ length: EventReplay.REMEMBERED + 1 }, (_, i) => event(`e${i}`));
    await replay.apply(STREAM, rows);
    calls.length = 0;
    await replay.apply(STREAM, [event('e0'), event(`e${EventReplay.REMEMBERED}`)]);
    assert.deepEqual(calls, ['e0']);
  });
});
