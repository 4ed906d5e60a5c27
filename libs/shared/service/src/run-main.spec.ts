import { setFlagsFromString } from 'node:v8';
import { runMain, V8_FLAGS } from './run-service';

jest.mock('node:v8', () => ({ setFlagsFromString: jest.fn() }));

describe('runMain', () => {
  it('sets the V8 flags every service runs with before it starts the service', async () => {
    const order: string[] = [];
    jest.mocked(setFlagsFromString).mockImplementation((flag: string) => void order.push(flag));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    runMain(() => {
      order.push('start');
      started();
      return Promise.resolve();
    });
    await running;
    expect(V8_FLAGS).toContain('--no-allocation-site-pretenuring');
    expect(order).toEqual([...V8_FLAGS, 'start']);
  });
});
