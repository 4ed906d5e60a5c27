import assert from 'node:assert/strict';
import { ConsumerProgress } from './consumer-progress';
import { z } from 'zod';
import { defineEvent, defineStream } from './contract';
import type { NatsBus } from './bus';
import { FreshnessGate } from './freshness';
import { EventReplay } from './event-replay';
import type { OutboxLedger, RecordedEvent } from './outbox-ledger';

const STREAM = defineStream('S', ['s.>'], []);

/** A stand-in for the stream lookup whose answers the test releases by hand. */
function fakeBus() {
  const pending: { resolve: (seq: number) => void; reject: (e: Error) => void }[] = [];
  const bus = {
    lastSequence: () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject })),
  } as unknown as NatsBus;
  return { bus, pending };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FreshnessGate', () => {
  it("is fresh once the applied floor reaches the stream's last sequence", async () => {
    const { bus, pending } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('S', 7);
    const gate = new FreshnessGate(bus, progress, [STREAM], 100);
    const result = gate.check();
    await tick();
    pending[0]?.resolve(7);
    assert.deepEqual({ ...(await result), waitedMs: 0 }, { fresh: true, waitedMs: 0 });
  });

  it('waits a bounded time for the consumer, then refuses with the lag', async () => {
    const { bus, pending } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('S', 3);
    const gate = new FreshnessGate(bus, progress, [STREAM], 30);
    const result = gate.check();
    await tick();
    progress.complete('S', 4);
    pending[0]?.resolve(5);
    const answer = await result;
    assert.equal(answer.fresh, false);
    assert.deepEqual(answer.fresh === false && answer.lag, { S: 1 });
  });

  it('counts the bounded wait from when the lookup answered, not from the arrival', async () => {
    const { bus, pending } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('S', 3);
    const gate = new FreshnessGate(bus, progress, [STREAM], 200);
    const result = gate.check();
    await tick();
    // The lookup takes longer than the whole wait (a stream leader on a busy node)...
    await new Promise((resolve) => setTimeout(resolve, 250));
    pending[0]?.resolve(4);
    // ...and the consumer applies the event just after the answer: within the wait counted from
    // the answer, but after a wait counted from the arrival would have refused (that refusal
    // needs no timer: it is decided as the answer is read). No timer here either, so a busy
    // machine cannot push the apply past the wait.
    await tick();
    progress.complete('S', 4);
    const answer = await result;
    assert.equal(answer.fresh, true, JSON.stringify(answer));
  });

  it('does not let a caller reuse a lookup that was already on the wire when it arrived', async () => {
    const { bus, pending } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('S', 1);
    const gate = new FreshnessGate(bus, progress, [STREAM], 1000);
    const early = gate.check();
    await tick();
    assert.equal(pending.length, 1);
    // A revoke lands (seq 2) after the first lookup was sent; a second caller arrives now.
    const late = gate.check();
    const later = gate.check();
    await tick();
    assert.equal(pending.length, 1, 'late callers wait for the next lookup instead of starting their own');
    pending[0]?.resolve(1);
    assert.equal((await early).fresh, true);
    await tick();
    assert.equal(pending.length, 2, 'one shared lookup for both late callers');
    progress.complete('S', 2);
    pending[1]?.resolve(2);
    assert.equal((await late).fresh, true);
    assert.equal((await later).fresh, true);
  });

  it('refuses when NATS does not answer the lookup', async () => {
    const { bus, pending } = fakeBus();
    const gate = new FreshnessGate(bus, new ConsumerProgress(), [STREAM], 1000);
    const result = gate.check();
    await tick();
    pending[0]?.reject(new Error('connection closed'));
    const answer = await result;
    assert.equal(answer.fresh, false);
    assert.match(answer.fresh === false ? answer.reason : '', /cannot reach NATS to confirm freshness \(connection closed\)/);
  });

  it('refuses with the reason while the consumers are suspended, whatever the floors say, and from the moment of the suspension', async () => {
    const { bus, pending } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('S', 7);
    progress.suspend('another instance holds the consumers');
    const gate = new FreshnessGate(bus, progress, [STREAM], 1000);
    assert.deepEqual(await gate.check(), { fresh: false, reason: 'another instance holds the consumers', lag: {} });
    assert.equal(pending.length, 0, 'no lookup: nothing this instance applied can be proved current');

    progress.resume();
    const waiting = gate.check();
    await tick();
    // Behind, and waiting for the floor, when the lease is lost.
    pending[0]?.resolve(9);
    await tick();
    progress.suspend('lost the lease');
    assert.deepEqual(await waiting, { fresh: false, reason: 'lost the lease', lag: {} });
  });

  it("names the error behind a suspension (the lease's database connection failed), and forgets it on resume", async () => {
    const { bus } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('S', 7);
    const cut = new Error('Connection terminated unexpectedly');
    progress.suspend('lost the lease', cut);
    const gate = new FreshnessGate(bus, progress, [STREAM], 1000);
    assert.deepEqual(await gate.check(), { fresh: false, reason: 'lost the lease', lag: {}, cause: cut });
    progress.resume();
    assert.equal(progress.suspensionCause(), undefined);
  });

  describe('with a scope', () => {
    const Changed = defineEvent('s.user.changed.v1', z.object({ organizationId: z.string(), userId: z.string() }), [
      'organizationId',
      'userId',
    ]);
    const SCOPED = defineStream('S', ['s.>'], [Changed]);

    /** The stream lookup and the per-filter lookups, each answered by hand. */
    function scopedBus(supported = true) {
      const streams: { resolve: (seq: number) => void; reject: (e: Error) => void }[] = [];
      const filtered: { filter: string; resolve: (seq: number) => void; reject: (e: Error) => void }[] = [];
      const bus = {
        lastSequence: () => new Promise<number>((resolve, reject) => streams.push({ resolve, reject })),
        scopedLookups: () => supported,
        lastSequenceMatching: (_stream: unknown, filter: string) =>
          new Promise<number>((resolve, reject) => filtered.push({ filter, resolve, reject })),
      } as unknown as NatsBus;
      return { bus, streams, filtered };
    }
    const scope = { S: ['s.user.*.v1.*.u1'] };

    it('asks for no filter while the floor is at the stream’s last sequence (the quiet case costs what it did)', async () => {
      const { bus, streams, filtered } = scopedBus();
      const progress = new ConsumerProgress();
      progress.start('S', 7);
      const result = new FreshnessGate(bus, progress, [SCOPED], 100).check(scope);
      await tick();
      streams[0]?.resolve(7);
      assert.equal((await result).fresh, true);
      assert.equal(filtered.length, 0);
    });

    it("is fresh behind another scope's events once the floor passes the scope's last event and the unscoped ones", async () => {
      const { bus, streams, filtered } = scopedBus();
      const progress = new ConsumerProgress();
      progress.start('S', 100);
      const result = new FreshnessGate(bus, progress, [SCOPED], 30).check(scope);
      await tick();
      streams[0]?.resolve(5100); // another organisation's import: 5,000 events not applied yet
      await tick();
      assert.deepEqual(filtered.map((f) => f.filter).sort(), ['s.*.*.*', 's.user.*.v1.*.u1']);
      filtered.find((f) => f.filter === 's.user.*.v1.*.u1')?.resolve(42);
      filtered.find((f) => f.filter === 's.*.*.*')?.resolve(3);
      assert.equal((await result).fresh, true);
    });

    it("still waits for the scope's own event behind the others, and refuses with the lag to it", async () => {
      const { bus, streams, filtered } = scopedBus();
      const progress = new ConsumerProgress();
      progress.start('S', 100);
      const result = new FreshnessGate(bus, progress, [SCOPED], 30).check(scope);
      await tick();
      streams[0]?.resolve(5100);
      await tick();
      filtered.find((f) => f.filter === 's.user.*.v1.*.u1')?.resolve(5050); // the person's change, behind the import
      filtered.find((f) => f.filter === 's.*.*.*')?.resolve(0);
      const answer = await result;
      assert.equal(answer.fresh, false);
      assert.deepEqual(answer.fresh === false && answer.lag, { S: 4950 });
    });

    it('waits for the events published before scopes, which no scope filter finds', async () => {
      const { bus, streams, filtered } = scopedBus();
      const progress = new ConsumerProgress();
      progress.start('S', 10);
      const result = new FreshnessGate(bus, progress, [SCOPED], 30).check(scope);
      await tick();
      streams[0]?.resolve(20);
      await tick();
      filtered.find((f) => f.filter === 's.user.*.v1.*.u1')?.resolve(0);
      filtered.find((f) => f.filter === 's.*.*.*')?.resolve(15);
      const answer = await result;
      assert.deepEqual(answer.fresh === false && answer.lag, { S: 5 });
    });

    it('shares a filter lookup between callers only when it was sent after they arrived', async () => {
      const { bus, streams, filtered } = scopedBus();
      const progress = new ConsumerProgress();
      progress.start('S', 1);
      const gate = new FreshnessGate(bus, progress, [SCOPED], 1000);
      const first = gate.check(scope);
      await tick();
      streams[0]?.resolve(10);
      await tick();
      assert.equal(filtered.length, 2);
      // Two more callers arrive while the first one's filter lookups are on the wire.
      const second = gate.check(scope);
      const third = gate.check(scope);
      await tick();
      streams[1]?.resolve(10);
      await tick();
      await tick();
      // The third came while the second's stream lookup was on the wire: it waits for the next one.
      streams[2]?.resolve(10);
      await tick();
      assert.equal(filtered.length, 2, 'they wait for the lookups on the wire to end, then share new ones');
      for (const f of filtered.splice(0)) f.resolve(1);
      assert.equal((await first).fresh, true);
      await tick();
      await tick();
      assert.equal(filtered.length, 2, 'one new lookup per filter for both late callers');
      for (const f of filtered.splice(0)) f.resolve(1);
      assert.equal((await second).fresh, true);
      assert.equal((await third).fresh, true);
    });

    it('waits for the whole stream on a server that cannot look a filter up cheaply (nats-server 2.9)', async () => {
      const { bus, streams, filtered } = scopedBus(false);
      const progress = new ConsumerProgress();
      progress.start('S', 100);
      const result = new FreshnessGate(bus, progress, [SCOPED], 30).check(scope);
      await tick();
      streams[0]?.resolve(5100);
      const answer = await result;
      assert.deepEqual(answer.fresh === false && answer.lag, { S: 5000 });
      assert.equal(filtered.length, 0);
    });

    it('refuses when a filter lookup fails', async () => {
      const { bus, streams, filtered } = scopedBus();
      const progress = new ConsumerProgress();
      progress.start('S', 1);
      const result = new FreshnessGate(bus, progress, [SCOPED], 1000).check(scope);
      await tick();
      streams[0]?.resolve(10);
      await tick();
      filtered[0]?.reject(new Error('no answer within 500 ms'));
      filtered[1]?.resolve(0);
      const answer = await result;
      assert.match(answer.fresh === false ? answer.reason : '', /cannot reach NATS to confirm freshness \(no answer within 500 ms\)/);
    });
  });
});

describe('FreshnessGate, proven from the outboxes while a stream cannot be asked', () => {
  const LEDGERED = defineStream('L', ['l.>'], [], { outboxSchema: 'producer' });

  /** A row of the producer's outbox on u1's subjects. */
  const row = (n: number): RecordedEvent => ({ id: `row-${n}`, subject: 'l.user.updated.v1.o1.u1', payload: { n } });

  /** The outbox as OutboxLedger answers for it: the rows on these filters unsettled at this floor. */
  function fakeLedger(unsettled: (filters: readonly string[], floor: number) => RecordedEvent[] | Error) {
    const asked: Array<{ filters: readonly string[]; floor: number; limit?: number }> = [];
    const ledger = {
      covers: (stream: { outboxSchema?: string }) => stream.outboxSchema !== undefined,
      unsettled: (_stream: unknown, filters: readonly string[], floor: number, limit: number) => {
        asked.push({ filters, floor, limit });
        const answer = unsettled(filters, floor);
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer.slice(0, limit));
      },
    } as unknown as OutboxLedger;
    return { ledger, asked };
  }

  /** An EventReplay whose transport applies rows by recording them, or fails with `failure`. */
  function recordingReplay(failure?: Error) {
    const applied: string[] = [];
    const replay = new EventReplay();
    replay.attach((_stream, event) => {
      if (failure) return Promise.reject(failure);
      applied.push(event.id);
      return Promise.resolve();
    });
    return { replay, applied };
  }

  /**
   * A gate over a consumer at `floor` (waiting `maxWaitMs` for it, each lookup `lookupTimeoutMs`),
   * whose first lookup was answered `last`; `first` is that check's answer.
   */
  async function answeredOnce(
    floor: number,
    last: number,
    ledger: OutboxLedger,
    replay?: EventReplay,
    { maxWaitMs, lookupTimeoutMs } = { maxWaitMs: 100, lookupTimeoutMs: 500 },
  ) {
    const { bus, pending } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('L', floor);
    const gate = new FreshnessGate(bus, progress, [LEDGERED], maxWaitMs, lookupTimeoutMs, ledger, replay);
    const checked = gate.check();
    await tick();
    pending[0]?.resolve(last);
    return { gate, pending, progress, first: await checked };
  }

  /** A gate whose first lookup is answered `last`, and every later one fails as in an election. */
  async function afterOneAnswer(
    floor: number,
    last: number,
    ledger: OutboxLedger,
    replay?: EventReplay,
    timing?: { maxWaitMs: number; lookupTimeoutMs: number },
  ) {
    const { gate, pending, progress } = await answeredOnce(floor, last, ledger, replay, timing);
    const during = async (scope?: Record<string, readonly string[]>) => {
      const result = gate.check(scope);
      await tick();
      pending.at(-1)?.reject(new Error('no responders: the stream has no leader'));
      return result;
    };
    return { during, progress };
  }

  it('answers fresh when the floor reached the last answer and no row on the scope is unsettled', async () => {
    const { ledger, asked } = fakeLedger(() => []);
    const { during } = await afterOneAnswer(9, 9, ledger);
    const answer = await during({ L: ['l.user.*.v1.*.u1'] });
    assert.equal(answer.fresh, true, JSON.stringify(answer));
    assert.equal(answer.fresh && answer.fromOutbox, true);
    // The scope's filter, and the one for events from before subjects carried a scope.
    assert.deepEqual(asked, [{ filters: ['l.user.*.v1.*.u1'], floor: 9, limit: 1 }]);
  });

  it('asks for the whole stream without a scope, and not at all for a stream the scope needs nothing of', async () => {
    const { ledger, asked } = fakeLedger(() => []);
    const { during } = await afterOneAnswer(4, 4, ledger);
    assert.equal((await during()).fresh, true);
    assert.deepEqual(asked, [{ filters: ['l.>'], floor: 4, limit: 1 }]);
    assert.equal((await during({ L: [] })).fresh, true);
    assert.equal(asked.length, 1);
  });

  it('without a replay, refuses while a row on the scope is unmarked or above the floor (a change not applied)', async () => {
    const { ledger } = fakeLedger(() => [row(1)]);
    const { during } = await afterOneAnswer(9, 9, ledger);
    const answer = await during({ L: ['l.user.*.v1.*.u1'] });
    assert.equal(answer.fresh, false);
    assert.match(answer.fresh === false ? answer.reason : '', /no responders.*a change to L may not be applied yet/);
  });

  it('with a replay, applies the rows on the scope the consumer has not, then answers fresh', async () => {
    const { ledger, asked } = fakeLedger(() => [row(1), row(2)]);
    const { replay, applied } = recordingReplay();
    const { during } = await afterOneAnswer(9, 9, ledger, replay);
    const answer = await during({ L: ['l.user.*.v1.*.u1'] });
    assert.equal(answer.fresh, true, JSON.stringify(answer));
    assert.equal(answer.fresh && answer.fromOutbox, true);
    assert.equal(answer.fresh && answer.replayed, 2);
    assert.deepEqual(applied, ['row-1', 'row-2']);
    assert.equal(asked[0].limit, FreshnessGate.MAX_REPLAYED + 1);
    // Applied once: the next decision finds them still unsettled (the stream has not delivered
    // them) and does not write them again.
    const again = await during({ L: ['l.user.*.v1.*.u1'] });
    assert.equal(again.fresh, true);
    assert.equal(again.fresh && again.replayed, undefined, 'none applied by this check');
    assert.deepEqual(applied, ['row-1', 'row-2']);
  });

  /** A gate that answered 4 once, and now hears 6 from the stream while the consumer delivers nothing. */
  async function behindAnAnswer(ledger: OutboxLedger, replay: EventReplay | undefined, remaking: boolean) {
    const { gate, pending, progress, first } = await answeredOnce(4, 4, ledger, replay, { maxWaitMs: 20, lookupTimeoutMs: 500 });
    assert.equal(first.fresh, true);
    progress.setRemaking('L', remaking);
    const behind = gate.check();
    await tick();
    pending[1]?.resolve(6);
    return { answer: await behind, progress };
  }

  it("with a replay, applies the scope's pending rows when the stream answered and its consumer is being made again", async () => {
    const { ledger, asked } = fakeLedger(() => [row(1)]);
    const { replay, applied } = recordingReplay();
    const { answer, progress } = await behindAnAnswer(ledger, replay, true);
    assert.equal(answer.fresh, true, JSON.stringify(answer));
    assert.equal(answer.fresh && answer.replayed, 1);
    assert.deepEqual(applied, ['row-1']);
    assert.deepEqual(asked, [{ filters: ['l.>'], floor: 4, limit: FreshnessGate.MAX_REPLAYED + 1 }]);
    // The floor counts deliveries only.
    assert.equal(progress.applied('L'), 4);
  });

  it('waits for a consumer that is only slow as before, and refuses with the lag without reading the outbox', async () => {
    for (const replay of [recordingReplay().replay, undefined]) {
      const { ledger, asked } = fakeLedger(() => [row(1)]);
      const { answer } = await behindAnAnswer(ledger, replay, replay === undefined);
      assert.equal(answer.fresh, false);
      assert.deepEqual(answer.fresh === false && answer.lag, { L: 2 });
      assert.match(answer.fresh === false ? answer.reason : '', /^read model is behind its streams after 20 ms$/);
      assert.deepEqual(asked, []);
    }
  });

  it('with a replay, refuses when the rows are not applied within the lookup timeout (a handler held up)', async () => {
    const { ledger } = fakeLedger(() => [row(1)]);
    const replay = new EventReplay();
    replay.attach(() => new Promise<void>(() => undefined));
    const { during } = await afterOneAnswer(3, 3, ledger, replay, { maxWaitMs: 20, lookupTimeoutMs: 30 });
    const answer = await during();
    assert.equal(answer.fresh, false);
    assert.match(answer.fresh === false ? answer.reason : '', /could not be applied \(no answer within 30 ms\)/);
  });

  it('with a replay, refuses when a row cannot be applied, with the error as its cause', async () => {
    const broken = new Error('payload fails its contract');
    const { ledger } = fakeLedger(() => [row(1)]);
    const { during } = await afterOneAnswer(9, 9, ledger, recordingReplay(broken).replay);
    const answer = await during({ L: ['l.user.*.v1.*.u1'] });
    assert.equal(answer.fresh, false);
    assert.match(
      answer.fresh === false ? answer.reason : '',
      /a change the outbox holds could not be applied \(payload fails its contract\)/,
    );
    assert.equal(answer.fresh === false && answer.cause, broken);
  });

  it('with a replay, refuses when more than MAX_REPLAYED rows are pending, and applies none of them', async () => {
    const many = Array.from({ length: FreshnessGate.MAX_REPLAYED + 5 }, (_, i) => row(i));
    const { ledger } = fakeLedger(() => many);
    const { replay, applied } = recordingReplay();
    const { during } = await afterOneAnswer(9, 9, ledger, replay);
    const answer = await during();
    assert.equal(answer.fresh, false);
    assert.match(
      answer.fresh === false ? answer.reason : '',
      new RegExp(`more than ${FreshnessGate.MAX_REPLAYED} changes to L are not applied yet`),
    );
    assert.deepEqual(applied, []);
  });

  it('refuses when the floor had not reached the last answer, without asking the outbox', async () => {
    const { ledger, asked } = fakeLedger(() => []);
    const { during } = await afterOneAnswer(7, 9, ledger);
    const answer = await during({ L: ['l.user.*.v1.*.u1'] });
    assert.equal(answer.fresh, false);
    assert.deepEqual(answer.fresh === false && answer.lag, { L: 2 });
    assert.deepEqual(asked, []);
  });

  it('refuses when no lookup was ever answered, or the last one is older than the window', async () => {
    const { ledger, asked } = fakeLedger(() => []);
    const { bus, pending } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('L', 0);
    const gate = new FreshnessGate(bus, progress, [LEDGERED], 100, 500, ledger);
    const never = gate.check();
    await tick();
    pending[0]?.reject(new Error('connection closed'));
    const refused = await never;
    assert.match(refused.fresh === false ? refused.reason : '', /last answered too long ago/);

    const { during } = await afterOneAnswer(3, 3, ledger);
    const now = Date.now();
    const later = jest.spyOn(Date, 'now').mockReturnValue(now + FreshnessGate.OUTBOX_FALLBACK_WINDOW_MS + 1000);
    assert.equal((await during()).fresh, false);
    later.mockRestore();
    assert.deepEqual(asked, []);
  });

  it('for a second after a lookup failed, answers from the outboxes without asking the stream, and asks it when they refuse', async () => {
    let unsettled = false;
    const { ledger, asked } = fakeLedger(() => (unsettled ? [row(1)] : []));
    const { gate, pending, progress } = await answeredOnce(5, 5, ledger);
    const failing = gate.check();
    await tick();
    pending[1]?.reject(new Error('no responders'));
    assert.equal((await failing).fresh, true);
    // Within the second: no lookup sent, the outboxes prove it.
    const quick = await gate.check();
    assert.equal(quick.fresh && quick.fromOutbox, true);
    assert.equal(pending.length, 2);
    // The outboxes refuse: the stream is asked after all (it may have a leader again).
    unsettled = true;
    const asking = gate.check();
    await tick();
    assert.equal(pending.length, 3);
    progress.complete('L', 6);
    pending[2]?.resolve(6);
    assert.equal((await asking).fresh, true);
    assert.equal(asked.length, 3);
  });

  it('refuses with the database error as its cause when the outbox cannot be read', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { ledger } = fakeLedger(() => down);
    const { during } = await afterOneAnswer(2, 2, ledger);
    const answer = await during();
    assert.equal(answer.fresh, false);
    assert.equal(answer.fresh === false && answer.cause, down);
  });

  it('refuses as before for a stream without an outbox, or without a ledger', async () => {
    const { bus, pending } = fakeBus();
    const progress = new ConsumerProgress();
    progress.start('S', 1);
    const gate = new FreshnessGate(bus, progress, [STREAM], 100, 500, fakeLedger(() => []).ledger);
    await Promise.all([gate.check(), tick().then(() => pending[0]?.resolve(1))]);
    const result = gate.check();
    await tick();
    pending[1]?.reject(new Error('timeout'));
    assert.equal((await result).fresh, false);
  });
});
