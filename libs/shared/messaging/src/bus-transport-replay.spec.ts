import assert from 'node:assert/strict';
import { z } from 'zod';
import type { NatsBus } from './bus';
import { BusTransport, type BusContext } from './bus-transport';
import { ConsumerProgress } from './consumer-progress';
import { defineEvent, defineStream } from './contract';
import { EventReplay } from './event-replay';

const Changed = defineEvent('replay-test.thing.changed.v1', z.object({ thingId: z.string(), version: z.number().int() }), ['thingId']);
const Audited = defineEvent('replay-test.thing.audited.v1', z.object({ thingId: z.string() }), ['thingId']);
const THINGS = defineStream('THINGS', ['replay-test.>'], [Changed, Audited]);

/** A transport whose only handler records what it is given (the bus is never used by applyRecorded). */
function transportWithHandler() {
  const seen: Array<{ payload: unknown; subject: string }> = [];
  const replay = new EventReplay();
  const transport = new BusTransport({ bus: { service: 'test' } as unknown as NatsBus, progress: new ConsumerProgress(), replay });
  transport.addHandler(
    Changed.subject,
    (payload: unknown, ctx: BusContext) => {
      seen.push({ payload, subject: ctx.subject });
      return Promise.resolve();
    },
    true,
  );
  return { transport, replay, seen };
}

describe('BusTransport.applyRecorded: an event read from its outbox, applied as a delivery would be', () => {
  it('offers its handlers to the replay, which applies a row through the handler of its contract, with the contract subject', async () => {
    const { replay, seen } = transportWithHandler();
    assert.equal(replay.attached, true);
    await replay.apply(THINGS, [{ id: 'r1', subject: 'replay-test.thing.changed.v1.t1', payload: { thingId: 't1', version: 3 } }]);
    assert.deepEqual(seen, [{ payload: { thingId: 't1', version: 3 }, subject: Changed.subject }]);
  });

  it('skips an event of the stream this service has no handler for', async () => {
    const { transport, seen } = transportWithHandler();
    await transport.applyRecorded(THINGS, { id: 'r2', subject: 'replay-test.thing.audited.v1.t1', payload: { thingId: 't1' } });
    assert.deepEqual(seen, []);
  });

  it('rejects a row that is no event of the stream, fails its contract, or is published under another scope', async () => {
    const { transport, seen } = transportWithHandler();
    await assert.rejects(
      transport.applyRecorded(THINGS, { id: 'r3', subject: 'replay-test.other.v1.t1', payload: {} }),
      /is no event of stream THINGS/,
    );
    await assert.rejects(
      transport.applyRecorded(THINGS, { id: 'r4', subject: 'replay-test.thing.changed.v1.t1', payload: { thingId: 't1' } }),
    );
    await assert.rejects(
      transport.applyRecorded(THINGS, { id: 'r5', subject: 'replay-test.thing.changed.v1.t2', payload: { thingId: 't1', version: 1 } }),
      /not its payload's scope/,
    );
    assert.deepEqual(seen, []);
  });
});
