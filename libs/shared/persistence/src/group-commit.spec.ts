import { strict as assert } from 'node:assert';
import { GroupCommit } from './group-commit';

/** A write we control: each call waits until the test lets it finish. */
function controlledWrite() {
  const batches: number[][] = [];
  const release: Array<() => void> = [];
  const write = (items: readonly number[]) => {
    batches.push([...items]);
    return new Promise<number[]>((resolve) => release.push(() => resolve(items.map((n) => n * 10))));
  };
  return { batches, release, write };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('writes a lone call at once, and calls that arrive meanwhile together in the next batch', async () => {
    const w = controlledWrite();
    const batcher = new GroupCommit(w.write);
    const first = batcher.submit(1);
    await tick();
    assert.deepEqual(w.batches, [[1]]);
    const later = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];
    await tick();
    assert.deepEqual(w.batches, [[1]], 'nothing more is sent while a batch is on its way');
    w.release[0]();
    assert.equal(await first, 10);
    await tick();
    assert.deepEqual(w.batches, [[1], [2, 3, 4]]);
    w.release[1]();
    assert.deepEqual(await Promise.all(later), [20, 30, 40]);
  });

  it('caps a batch at maxBatch', async () => {
    const seen: number[] = [];
    const batcher = new GroupCommit((items: readonly number[]) => {
      seen.push(items.length);
      return Promise.resolve(items.map(() => true));
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n)));
    assert.deepEqual(seen, [1, 2, 2]);
  });

  it('fails every call of a failed batch, and goes on with the next one', async () => {
    let calls = 0;
    const batcher = new GroupCommit((items: readonly number[]) => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('database down')) : Promise.resolve(items.map((n) => n));
    });
    const failed = batcher.submit(1);
    const next = batcher.submit(2);
    await assert.rejects(failed, /database down/);
    assert.equal(await next, 2);
  });

  it('refuses a write that answers the wrong number of results', async () => {
    const batcher = new GroupCommit(() => Promise.resolve([]));
    await assert.rejects(batcher.submit(1), /0 results for 1 items/);
  });

  it('settles once every call submitted so far is written, and at once when none is pending', async () => {
    const w = controlledWrite();
    const batcher = new GroupCommit(w.write);
    await batcher.settled();
    void batcher.submit(1);
    void batcher.submit(2);
    let settled = false;
    void batcher.settled().then(() => (settled = true));
    w.release[0]();
    await tick();
    assert.equal(settled, false, 'the second batch is still on its way');
    w.release[1]();
    await tick();
    assert.equal(settled, true);
  });
});
