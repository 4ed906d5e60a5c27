import { eventually } from './eventually';

describe('eventually', () => {
  it('retries until the check passes', async () => {
    let calls = 0;
    await expect(
      eventually(
        () => {
          calls += 1;
          if (calls < 3) throw new Error('not yet');
          return 'done';
        },
        { intervalMs: 1 },
      ),
    ).resolves.toBe('done');
    expect(calls).toBe(3);
  });

  it('rethrows the last failure when the time is up', async () => {
    await expect(eventually(() => Promise.reject(new Error('never')), { timeoutMs: 20, intervalMs: 1 })).rejects.toThrow('never');
  });

  it('stops at a failure marked fatal instead of waiting out the time', async () => {
    let calls = 0;
    await expect(
      eventually(
        () => {
          calls += 1;
          throw Object.assign(new Error('the service exited'), { fatal: true });
        },
        { timeoutMs: 60_000, intervalMs: 1 },
      ),
    ).rejects.toThrow('the service exited');
    expect(calls).toBe(1);
  });
});
