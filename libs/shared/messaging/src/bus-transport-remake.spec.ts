import assert from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import { z } from 'zod';
import type { NatsBus } from './bus';
import { BusTransport } from './bus-transport';
import { ConsumerProgress } from './consumer-progress';
import { defineEvent, defineStream } from './contract';

const Tick = defineEvent('remake-test.tick.v1', z.object({ n: z.number().int() }), ['n']);
const TICKS = defineStream('TICKS', ['remake-test.>'], [Tick]);

/**
 * A bus whose JetStream API answers consumer creations as `answer` says (null: never, as a
 * cluster electing the stream's leader), recording what was asked.
 */
function fakeBus(answer: (attempt: number) => number | null) {
  const added: { name: string; startSeq: number }[] = [];
  const deleted: string[] = [];
  const bus = {
    service: 'test',
    naming: { stream: (name: string) => `p_${name}` },
    jsm: {
      consumers: {
        add: (_stream: string, config: { durable_name: string; opt_start_seq: number }) => {
          added.push({ name: config.durable_name, startSeq: config.opt_start_seq });
          const delay = answer(added.length);
          return delay === null
            ? new Promise<never>(() => undefined)
            : new Promise((resolve) => setTimeout(() => resolve({ name: config.durable_name }), delay));
        },
        delete: (_stream: string, name: string) => {
          deleted.push(name);
          return Promise.resolve(true);
        },
      },
    },
    js: { consumers: { get: (_stream: string, name: string) => Promise.resolve({ name }) } },
  } as unknown as NatsBus;
  return { bus, added, deleted };
}

function remake(transport: BusTransport): Promise<unknown> {
  return (transport as unknown as { remake(stream: typeof TICKS, why: string): Promise<unknown> }).remake(TICKS, 'its node is gone');
}

describe('making a lost consumer again', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('asks again under a new name when NATS leaves an attempt unanswered, instead of waiting for the API timeout', async () => {
    const { bus, added, deleted } = fakeBus((attempt) => (attempt === 1 ? null : 0));
    const progress = new ConsumerProgress();
    progress.start('TICKS', 41, 50);
    const transport = new BusTransport({ bus, progress, consumerName: 'idp_x', remakeAttemptMs: 100 });
    const started = Date.now();
    const remade = remake(transport);
    assert.equal(progress.isRemaking('TICKS'), true, 'a freshness check knows nothing is delivered meanwhile');
    assert.deepEqual(await remade, { name: 'idp_x_2' });
    assert.equal(progress.isRemaking('TICKS'), false);
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    // Both from the applied floor; the unanswered attempt's consumer and the lost one are deleted.
    assert.deepEqual(added, [
      { name: 'idp_x_1', startSeq: 42 },
      { name: 'idp_x_2', startSeq: 42 },
    ]);
    assert.ok(deleted.includes('idp_x_1') && deleted.includes('idp_x'), JSON.stringify(deleted));
    assert.equal(transport.nameOf(TICKS), 'idp_x_2');
  });

  it('waits twice as long after the first attempt, and the API timeout every tenth, so a cluster that is only slow still gets its answer through', async () => {
    // Every creation takes 250 ms: the first attempt (100 ms) and the next eight (200 ms) give up,
    // the tenth (5 s) does not. Waiting longer at every attempt followed a new leader seconds late.
    const { bus, added } = fakeBus(() => 250);
    const transport = new BusTransport({ bus, progress: new ConsumerProgress(), consumerName: 'idp_y', remakeAttemptMs: 100 });
    assert.deepEqual(await remake(transport), { name: 'idp_y_10' });
    assert.equal(added.length, 10);
  });
});
