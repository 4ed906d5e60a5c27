import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { BaseRpcContext, Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { AckPolicy, DeliverPolicy, type Consumer, type ConsumerInfo, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { isObservable, lastValueFrom } from 'rxjs';
import { contractOfSubject, contractsByType, scopeMatches, type EventContract, type RpcContract, type StreamContract } from './contract';
import { ApplyLane } from './apply-lane';
import { type NatsBus, decodeJson, describe, refusalReason, type RpcReply } from './bus';
import { withinMs } from './consumer-lag';
import { type ConsumerProgress } from './consumer-progress';
import type { ConsumerPositions } from './consumer-positions';
import type { EventReplay } from './event-replay';
import type { RecordedEvent } from './outbox-ledger';
import { resyncPattern, type ResyncRequest, type ResyncResult } from './snapshot';

/** What a handler can learn about the message it is handling. */
export class BusContext extends BaseRpcContext<[subject: string, streamSequence: number, redelivered: boolean]> {
  get subject(): string {
    return this.args[0];
  }
  get streamSequence(): number {
    return this.args[1];
  }
}

/** How soon an event under a bus key this service does not hold is tried again (a configuration is not fixed in 500 ms). */
const UNKNOWN_KEY_RETRY_MS = 5000;

/*
 * Every msg.term() below goes without a reason text (the log line has it): nats-server before
 * 2.10 takes `+TERM <reason>` for no acknowledgement at all and delivers the message again.
 */

/** Error codes a handler may throw (as `{ code }`) to say "this message will never succeed". */
const PERMANENT_CODES = new Set(['VALIDATION_FAILED', 'CONTRACT_VIOLATION']);

export interface BusTransportOptions {
  bus: NatsBus;
  progress: ConsumerProgress;
  /** The applied floors in the service's database; required when `consumes` is not empty. */
  positions?: ConsumerPositions;
  /** Streams whose events this service handles with @EventPattern, through one consumer of this process's own each. */
  consumes?: readonly StreamContract[];
  /** Request/reply contracts this service answers with @MessagePattern. */
  answers?: readonly RpcContract[];
  /** Delay before a message that failed for a transient reason is delivered again. */
  retryDelayMs?: number;
  /** Delay before a resync that failed (the producer unreachable, say) is tried again. */
  resyncRetryMs?: number;
  /**
   * How often a consumer looks whether its applied floor still waits for the same message (one
   * nak'd for a retry, say): twice in a row, and it asks the stream whether that message is gone.
   */
  stallCheckMs?: number;
  /**
   * The name of this process's consumers (one per stream); `<service>_<random>` unless given. Every
   * instance of a service has its own, so each applies every event (docs/decisions/0008).
   */
  consumerName?: string;
  /** How long the server keeps a consumer nobody pulls from (a process killed, say) before it deletes it. */
  inactiveThresholdMs?: number;
  /**
   * How long the first attempt to make a lost consumer again waits for NATS's answer before the
   * next (under a new name; the n-th waits n times as long, up to 5 s). A cluster electing a
   * stream's leader does not answer; the JetStream API's own timeout (5 s) would keep the consumer
   * away up to that much after the new leader is there.
   */
  remakeAttemptMs?: number;
  /**
   * How many delivered events of one stream may be in their handlers at once; each is acked when
   * its own handler resolves. 1 (the default) applies them one at a time, in stream order. More
   * is for a service whose every handler gives the same state in any order, as the redelivery of
   * a nak'd event after later ones already requires of all of them, and whose handlers do not
   * conflict when they run together: the IdP's read model, versioned upserts of one row each
   * (docs/performance.md, "Bulk membership"). The applied floor stays exact either way: it moves
   * only over contiguous sequences whose handlers resolved.
   */
  applyConcurrency?: number;
  /** Where this process's handlers are offered for events read from their producer's outbox (docs/decisions/0013). */
  replay?: EventReplay;
}

/**
 * The first attempt to make a lost consumer again waits this long for NATS's answer, later ones
 * twice as long, and every tenth the JetStream API's own 5 s: an election that outlasts several
 * attempts is followed within about two seconds of its end, and a cluster that is only slow still
 * gets its answer through. Growing every attempt up to 5 s, as before, left an IdP up to 5 s behind
 * the new leader, refusing sign-ins of the people whose events it had not read yet.
 */
const REMAKE_ATTEMPT_MS = 1_000;
const JETSTREAM_API_TIMEOUT_MS = 5_000;
/**
 * Unapplied sequences the server's ack floor passed that are looked up one by one to tell
 * deleted ones from skipped ones; more than this (a mass deletion) and the stream is resynced.
 */
const MAX_HOLES_CHECKED = 1_000;

/** A consumer left by a process killed without a word is deleted by the server after this (it holds nothing anybody waits for). */
const INACTIVE_THRESHOLD_MS = 10 * 60_000;

/**
 * A Nest transport over our bus: @EventPattern handlers are fed by JetStream consumers of this
 * process's own, one per stream, so that every instance of a service applies every event
 * (docs/decisions/0008); each is acked after the handler resolves, i.e. after its transaction
 * committed. @MessagePattern
 * handlers answer core NATS requests in a queue group. Payloads are checked against their
 * contract before a handler sees them; a message that fails its contract is terminated and
 * logged instead of being redelivered forever.
 *
 * A consumer that finds its stream trimmed past what it applied (at start, when a delivery
 * jumps over sequences the stream no longer holds, or when its floor waits for a message the
 * stream lost before delivering it again) calls the service's @OnResync handler for that
 * stream, which rebuilds its state from the producer's snapshot, and then tails on.
 */
export class BusTransport extends Server implements CustomTransportStrategy {
  private readonly log = new Logger(BusTransport.name);
  private readonly subscriptions: Subscription[] = [];
  private readonly consumers: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  /** Per stream: the work on its state (deliveries, and the resyncs and stall checks that run alone between them). */
  private readonly lanes = new Map<string, ApplyLane>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Per stream: the name of its consumer once made again (remake), and how many were made again. */
  private readonly names = new Map<string, string>();
  private remakes = 0;
  /** Per stream: the deliveries of this process's consumer now. */
  private readonly current = new Map<string, ConsumerMessages>();
  /** Per stream: why its consumer is to be made again (set by whoever closed its deliveries for that). */
  private readonly remakeWhy = new Map<string, string>();
  /**
   * Per stream: sequences above the floor that were delivered and are not finished yet (in their
   * handlers, or nak'd for a retry). The stall check asks it whether the one the floor waits for
   * ever arrived.
   */
  private readonly arrived = new Map<string, Set<number>>();
  private closing = false;
  /** The name of this process's consumer on each stream it consumes. */
  readonly consumerName: string;

  constructor(private readonly options: BusTransportOptions) {
    super();
    this.consumerName = options.consumerName ?? `${options.bus.service}_${randomBytes(6).toString('hex')}`;
    options.replay?.attach((stream, event) => this.applyRecorded(stream, event));
  }

  /**
   * Applies an event read from its producer's outbox (EventReplay) as a delivery would be: the
   * same contract check and handler, in the stream's lane (never beside a resync). It finishes
   * no sequence: the stream delivers the event too, and the handlers apply what is newer only.
   * Rejects when the row is no event of the stream's contracts (the decision could not be shown to
   * hold it), fails its contract or its scope; an event this service has no handler for is
   * nothing to apply.
   */
  async applyRecorded(stream: StreamContract, event: RecordedEvent): Promise<void> {
    const contract = contractOfSubject(contractsByType(stream.events), event.subject);
    if (!contract) throw new Error(`outbox row ${event.id}: ${event.subject} is no event of stream ${stream.name}`);
    const handler = this.getHandlerByPattern(contract.subject);
    if (!handler) return;
    const checked = checkedPayload(contract, event.subject, () => event.payload);
    if ('refusal' in checked) throw new Error(`outbox row ${event.id} on ${event.subject}: ${checked.refusal}`);
    // Beside the deliveries, not behind them: a decision waits for this one.
    await this.lane(stream).beside(() => this.invoke(handler, checked.payload, new BusContext([contract.subject, 0, false])));
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.stopConsuming();
    for (const sub of this.subscriptions) sub.unsubscribe();
    await this.options.positions?.flush();
  }

  /** Starts this process's consumers. */
  private async startConsuming(): Promise<void> {
    this.closing = false;
    for (const stream of this.options.consumes ?? []) await this.consume(stream);
  }

  /**
   * Stops the consumers, waits for the work in hand, and deletes them: nobody else uses them (a
   * killed process's are deleted by the server once inactive).
   */
  private async stopConsuming(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    for (const consumer of this.consumers.splice(0)) await consumer.close();
    await Promise.allSettled([...this.loops.splice(0), ...[...this.lanes.values()].map((lane) => lane.idle())]);
    const { bus } = this.options;
    for (const stream of this.options.consumes ?? [])
      await bus.jsm.consumers.delete(bus.naming.stream(stream.name), this.nameOf(stream)).catch(() => undefined);
  }

  on(): never {
    throw new Error('BusTransport does not emit transport events');
  }

  unwrap<T>(): T {
    return this.options.bus as T;
  }

  private async start(): Promise<void> {
    const { bus } = this.options;
    for (const stream of this.options.consumes ?? []) await bus.ensureStreamExists(stream);
    for (const contract of this.options.answers ?? []) this.answer(contract);
    await this.startConsuming();
    void this.remakeAfterReconnects().catch((error: unknown) => this.log.error(`Stopped watching NATS reconnects: ${describe(error)}`));
    const unhandled = [...this.messageHandlers.keys()].filter(
      (pattern) =>
        !(this.options.answers ?? []).some((c) => c.subject === pattern) &&
        !(this.options.consumes ?? []).some((s) => resyncPattern(s) === pattern || s.events.some((e) => e.subject === pattern)),
    );
    if (unhandled.length > 0) throw new Error(`Handlers without a declared contract: ${unhandled.join(', ')}`);
  }

  private answer(contract: RpcContract): void {
    const handler = this.getHandlerByPattern(contract.subject);
    if (!handler) throw new Error(`No @MessagePattern handler for ${contract.subject}`);
    const sub = this.options.bus.connection.subscribe(this.options.bus.naming.subject(contract.subject), {
      queue: this.options.bus.service,
      callback: (error: Error | null, msg: Msg) => {
        if (error) return this.log.error(`Subscription ${contract.subject} failed: ${error.message}`);
        // Opened and checked before anything reads it: a request without the bus key gets no handler.
        const request = this.options.bus.receiveRequest(contract, msg);
        if (request) void this.reply(contract, handler, request.data, msg.subject).then((reply) => request.respond(reply));
      },
    });
    this.subscriptions.push(sub);
  }

  private async reply(contract: RpcContract, handler: MessageHandler, data: Uint8Array, subject: string): Promise<RpcReply> {
    let request: unknown;
    try {
      request = decodeJson(data);
    } catch {
      return { ok: false, error: { code: 'VALIDATION_FAILED', message: 'request is not JSON' } };
    }
    const parsed = contract.request.safeParse(request);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      return { ok: false, error: { code: 'VALIDATION_FAILED', message: issues.join('; ') } };
    }
    try {
      const result = await this.invoke(handler, parsed.data, new BusContext([subject, 0, false]));
      return { ok: true, data: result };
    } catch (error) {
      const code = errorCode(error);
      if (code === 'INTERNAL') this.log.error(`Handler for ${contract.subject} failed: ${describe(error)}`);
      return { ok: false, error: { code, message: code === 'INTERNAL' ? 'internal error' : errorMessage(error) } };
    }
  }

  private async consume(stream: StreamContract): Promise<void> {
    const { bus, progress, positions } = this.options;
    if (!positions) throw new Error(`BusTransport needs ConsumerPositions to consume ${stream.name}`);
    if (!this.getHandlerByPattern(resyncPattern(stream))) throw new Error(`No @OnResync handler for stream ${stream.name}`);
    const streamName = bus.naming.stream(stream.name);
    // Read before the service's state is: every instance records its floor only after what it
    // applied is in the service's tables, so those hold everything up to this (and maybe more,
    // which comes again and changes nothing: the handlers apply what is newer only).
    const stored = await positions.load(stream.name);
    const { first, last } = await bus.streamBounds(stream);
    // A record above the stream's last sequence outlived a stream made again: it says nothing of this one.
    const from = stored !== null && stored <= last ? stored : 0;
    await this.addConsumer(streamName, from + 1);
    progress.start(stream.name, from, last);
    const consumer = await bus.js.consumers.get(streamName, this.consumerName);
    this.loops.push(this.run(stream, consumer, first));
  }

  /**
   * Makes this process's consumer on a stream, delivering from `startSeq`. A new one each start:
   * it holds no delivery for anybody, so no process waits for a dead one's ack wait
   * (docs/decisions/0007), and no other instance shares its events (docs/decisions/0008).
   */
  private addConsumer(streamName: string, startSeq: number, name = this.consumerName): Promise<ConsumerInfo> {
    return this.options.bus.jsm.consumers.add(streamName, {
      durable_name: name,
      // One copy, on one node of a cluster: its position is in the service's own database, so a
      // consumer lost with its node is made again from there (remake), at once, instead of
      // waiting for its Raft group to elect a leader and for the ack wait of what was in flight.
      num_replicas: 1,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: startSeq,
      ack_wait: 30_000_000_000,
      max_ack_pending: 1000,
      inactive_threshold: (this.options.inactiveThresholdMs ?? INACTIVE_THRESHOLD_MS) * 1_000_000,
    });
  }

  /** Resyncs first if the stream was trimmed past what the service's tables hold, then tails. */
  private async run(stream: StreamContract, consumer: Consumer, firstSeq: number): Promise<void> {
    const { progress } = this.options;
    if (progress.trimmedPast(stream.name, firstSeq)) await this.resync(stream);
    if (this.closing) {
      progress.stop(stream.name);
      return;
    }
    const schemas = contractsByType(stream.events);
    this.watchForStalls(stream);
    for (let current = consumer; ;) {
      // Heartbeats every second while a pull waits: two missed (the consumer's node is gone, say,
      // killed with no goodbye) and the consumer is made again, from what was applied.
      const messages = await current.consume({ max_messages: 256, expires: 10_000, idle_heartbeat: 1_000 });
      this.consumers.push(messages);
      if (this.closing) await messages.close();
      this.current.set(stream.name, messages);
      void (async () => {
        for await (const status of messages.status()) {
          if (status.type === 'heartbeats_missed' && status.count >= 2 && !this.remakeWhy.has(stream.name)) {
            this.remakeWhy.set(stream.name, 'no heartbeat from it for 2 s (its NATS node is gone, or the connection)');
            await messages.close();
          }
        }
      })().catch(() => undefined);
      // Up to the lane's width in their handlers at once (one, in stream order, unless the service
      // says its handlers need no order); the delivery bookkeeping stays in delivery order. The
      // applied floor means "everything up to here" either way: it closes only over finished sequences.
      const lane = this.lane(stream);
      for await (const msg of messages) {
        await lane.free();
        if (msg.seq > progress.applied(stream.name)) this.arrivedOn(stream).add(msg.seq);
        // A jump may mean a trim: checked, and resynced, with nothing else in a handler.
        const work = progress.skipsAhead(stream.name, msg.seq)
          ? lane.exclusive(async () => {
              await this.resyncIfTrimmed(stream);
              await this.handle(stream, schemas, msg);
            })
          : lane.start(() => this.handle(stream, schemas, msg));
        work.catch((error: unknown) => this.log.error(`Applying ${stream.name}#${msg.seq} failed: ${describe(error)}`));
        if (this.closing) break;
      }
      // Whatever is still in a handler finishes first: the floor a remake starts from counts it.
      await lane.idle();
      this.consumers.splice(this.consumers.indexOf(messages), 1);
      if (this.closing) break;
      // Not stopping, so the consumer was lost (its node, its connection) or is being replaced
      // (unstick): either way, make it again from what was applied.
      const why = this.remakeWhy.get(stream.name) ?? 'its deliveries ended (deleted from NATS?)';
      const next = await this.remake(stream, why);
      this.remakeWhy.delete(stream.name);
      if (!next) break;
      current = next;
    }
    progress.stop(stream.name);
  }

  /**
   * After a reconnect, every consumer is made again: deliveries in flight on the lost connection
   * are gone (NATS would resend them after the ack wait), and a consumer on the node that went
   * with it may be gone too (nats.js then asks for it quietly, forever, and its heartbeat watch
   * is off).
   */
  private async remakeAfterReconnects(): Promise<void> {
    for await (const status of this.options.bus.connection.status()) {
      if (status.type !== 'reconnect' || this.closing) continue;
      for (const [stream, messages] of this.current) {
        if (this.remakeWhy.has(stream)) continue;
        this.remakeWhy.set(stream, `the connection to NATS was lost and is back (through ${status.server})`);
        void messages.close();
      }
    }
  }

  /** The name of this process's consumer of a stream now: `consumerName`, then `<consumerName>_<n>` once made again. */
  nameOf(stream: StreamContract): string {
    return this.names.get(stream.name) ?? this.consumerName;
  }

  /**
   * Makes this process's consumer of a stream again, under a new name, from the applied floor,
   * trying until it works or the service stops (NATS may be electing a leader meanwhile), and
   * deletes the old one without waiting (with its node gone, NATS may not answer for it until the
   * node is back; its inactive threshold removes it then). What it held (deliveries in flight, a
   * lost node's copy) is dropped: it is all above the floor, and comes again.
   */
  private async remake(stream: StreamContract, why: string): Promise<Consumer | undefined> {
    // Meanwhile nothing is delivered: a freshness check need not wait for it (FreshnessGate).
    this.options.progress.setRemaking(stream.name, true);
    try {
      return await this.remakeUntilMade(stream, why);
    } finally {
      this.options.progress.setRemaking(stream.name, false);
    }
  }

  private async remakeUntilMade(stream: StreamContract, why: string): Promise<Consumer | undefined> {
    const { bus, progress } = this.options;
    const streamName = bus.naming.stream(stream.name);
    const old = this.nameOf(stream);
    for (let attempt = 1; !this.closing; attempt++) {
      const from = progress.applied(stream.name) + 1;
      // A new name at each attempt: one that timed out may stay assigned to a node that is gone
      // (NATS places it before it knows), and asking for it again would wait for that node.
      const name = `${this.consumerName}_${++this.remakes}`;
      try {
        // An attempt NATS leaves unanswered may still make the consumer later: deleted below, or
        // by its inactive threshold if NATS does not answer that either.
        const base = this.options.remakeAttemptMs ?? REMAKE_ATTEMPT_MS;
        const patience = attempt % 10 === 0 ? JETSTREAM_API_TIMEOUT_MS : Math.min(attempt, 2) * base;
        await withinMs(this.addConsumer(streamName, from, name), patience);
        this.names.set(stream.name, name);
        void bus.jsm.consumers.delete(streamName, old).catch(() => undefined);
        this.log.warn(`Made the consumer of ${stream.name} again (${name}) from sequence ${from}: ${why}`);
        return await bus.js.consumers.get(streamName, name);
      } catch (error) {
        void bus.jsm.consumers.delete(streamName, name).catch(() => undefined);
        if (attempt <= 3 || attempt % 20 === 0)
          this.log.warn(`Could not make the consumer of ${stream.name} again yet (attempt ${attempt}), retrying: ${describe(error)}`);
        await new Promise((retry) => setTimeout(retry, 250));
      }
    }
    return undefined;
  }

  /** The stream's lane: a resync or a stall check never overlaps an event in its handler. */
  private lane(stream: StreamContract): ApplyLane {
    let lane = this.lanes.get(stream.name);
    if (!lane) this.lanes.set(stream.name, (lane = new ApplyLane(this.options.applyConcurrency ?? 1)));
    return lane;
  }

  private arrivedOn(stream: StreamContract): Set<number> {
    let arrived = this.arrived.get(stream.name);
    if (!arrived) this.arrived.set(stream.name, (arrived = new Set()));
    return arrived;
  }

  /**
   * A message nak'd for a retry holds the floor until it is delivered again. If the stream loses
   * it first (trimmed, or deleted), that delivery never comes, and nothing else would tell: the
   * next deliveries follow the highest delivered (no jump), a redelivery of another message is
   * below it, and an idle stream delivers nothing. A hole a delivery jumped over (a deleted
   * message) holds it too. So the floor is watched: when it waits for the same sequence at two
   * looks in a row, the stream is asked.
   */
  private watchForStalls(stream: StreamContract): void {
    let queued = false;
    const timer = setInterval(() => {
      if (queued || this.closing || !this.options.progress.stalled(stream.name)) return;
      queued = true;
      void this.lane(stream)
        .exclusive(() => this.unstick(stream))
        .catch((error: unknown) => this.log.error(`Stall check of ${stream.name} failed: ${describe(error)}`))
        .finally(() => (queued = false));
    }, this.options.stallCheckMs ?? 1000);
    timer.unref();
    this.timers.push(timer);
  }

  /**
   * The floor has waited for the same message a while. If the stream starts above it, the
   * message was trimmed before it could be applied: resync. If not, a message the stream no
   * longer holds was deleted (no resync, as for a hole a delivery jumps over), and the server's
   * ack floor, which moves past deleted messages, releases ours. A nak'd message still in the
   * stream holds both floors until it is applied.
   */
  private async unstick(stream: StreamContract): Promise<void> {
    const { bus, progress } = this.options;
    // Queued behind the message it waited for, the floor may have moved since; both answers
    // below hold whatever it is now.
    let serverAckFloor: number;
    let first: number;
    try {
      // The ack floor first: whatever it moved past by then, a trim included, shows in the bounds read after it.
      serverAckFloor = (await bus.jsm.consumers.info(bus.naming.stream(stream.name), this.nameOf(stream))).ack_floor.stream_seq;
      first = (await bus.streamBounds(stream)).first;
    } catch (error) {
      this.log.warn(`Could not tell whether ${stream.name} still holds the message this consumer waits for: ${describe(error)}`);
      return;
    }
    if (progress.trimmedPast(stream.name, first)) {
      await this.resync(stream);
      return;
    }
    // The server's ack floor moves past what the consumer no longer has to deliver: a deleted
    // message, but also whatever a changed configuration skips (a filter, a max_deliver another
    // client with rights on the stream's consumers set). So it releases ours only over messages
    // the stream no longer holds; one it still holds comes again through a consumer made afresh.
    const skipped = await this.stillHeld(stream, serverAckFloor);
    if (skipped === 'too-many') {
      await this.resync(stream);
      return;
    }
    if (skipped !== null) {
      this.log.error(
        `The consumer of ${stream.name} moved past sequence ${skipped}, which the stream holds and this service never applied ` +
          `(its configuration changed by another client?): making it again`,
      );
      this.remakeWhy.set(stream.name, `its ack floor passed sequence ${skipped}, still in the stream and never applied here`);
      void this.current.get(stream.name)?.close();
      return;
    }
    const before = progress.applied(stream.name);
    this.advance(stream, serverAckFloor);
    const waiting = progress.applied(stream.name) + 1;
    const arrived = this.arrivedOn(stream);
    for (const seq of arrived) if (seq < waiting) arrived.delete(seq);
    if (progress.applied(stream.name) === before && !arrived.has(waiting)) {
      // The stream holds it, later ones came, and it never did: lost on its way (a NATS node or
      // connection gone between the consumer and this process). NATS would send it again only
      // after the ack wait (30 s), and until then this service is not fresh.
      this.remakeWhy.set(stream.name, `sequence ${waiting} never arrived (lost on the way); NATS would resend it only after the ack wait`);
      // Not awaited: this runs in the stream's lane, which the deliveries' loop waits on.
      void this.current.get(stream.name)?.close();
    }
  }

  /**
   * The first sequence between the applied floor and `upTo` that was not applied here and that
   * the stream still holds; null when every one of them is gone (deleted). Past
   * MAX_HOLES_CHECKED unapplied sequences, 'too-many': a resync settles it instead of a lookup each.
   */
  private async stillHeld(stream: StreamContract, upTo: number): Promise<number | 'too-many' | null> {
    const holes = this.options.progress.unfinished(stream.name, upTo, MAX_HOLES_CHECKED + 1);
    if (holes.length > MAX_HOLES_CHECKED) return 'too-many';
    const streamName = this.options.bus.naming.stream(stream.name);
    for (const seq of holes) {
      if ((await this.options.bus.jsm.streams.getMessage(streamName, { seq })) !== null) return seq;
    }
    return null;
  }

  /** A delivery jumped over sequences: deleted messages leave holes too, only a trim needs a resync. */
  private async resyncIfTrimmed(stream: StreamContract): Promise<void> {
    let trimmed = true; // the stream cannot tell us: resync, to be safe
    try {
      trimmed = this.options.progress.trimmedPast(stream.name, (await this.options.bus.streamBounds(stream)).first);
    } catch (error) {
      this.log.warn(`Could not read the bounds of ${stream.name} after a jump in sequences: ${describe(error)}`);
    }
    if (trimmed) await this.resync(stream);
  }

  /**
   * Rebuilds the service's state from the producer's snapshot, retrying until it succeeds (or
   * the service stops): until then the consumer is neither ready nor fresh, so nothing is
   * decided from state the stream can no longer correct.
   */
  private async resync(stream: StreamContract, why = `${stream.name} was trimmed past what this consumer applied`): Promise<void> {
    const { bus, progress } = this.options;
    const handler = this.getHandlerByPattern(resyncPattern(stream));
    if (!handler) throw new Error(`No @OnResync handler for stream ${stream.name}`);
    const ackFloor = progress.applied(stream.name);
    progress.beginResync(stream.name);
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        // Read before the snapshot: every event below `first` is in it; the ones from `first` on
        // are delivered after it, and their versions make the overlap harmless.
        const { first, last } = await bus.streamBounds(stream);
        const request: ResyncRequest = { stream: stream.name, ackFloor, firstSeq: first };
        this.log.warn({
          msg: `${why}: resyncing from a snapshot`,
          ...request,
          attempt,
        });
        const result = (await this.invoke(handler, request, new BusContext([resyncPattern(stream), 0, false]))) as ResyncResult;
        progress.endResync(stream.name, first, last);
        this.options.positions?.saveSoon(stream.name, progress.applied(stream.name));
        this.log.log({ msg: `Resynced ${stream.name} from a snapshot, tailing from ${first}`, ...request, ...result, attempt });
        return;
      } catch (error) {
        this.log.error({ msg: `Resync of ${stream.name} failed, will retry: ${describe(error)}`, stream: stream.name, ackFloor, attempt });
        await new Promise((retry) => setTimeout(retry, this.options.resyncRetryMs ?? 1000));
      }
    }
  }

  /** Marks a sequence finished and records the floor it leads to. */
  private finished(stream: StreamContract, sequence: number): void {
    this.arrived.get(stream.name)?.delete(sequence);
    this.options.progress.complete(stream.name, sequence);
    this.options.positions?.saveSoon(stream.name, this.options.progress.applied(stream.name));
  }

  private advance(stream: StreamContract, ackFloor: number): void {
    this.options.progress.advanceTo(stream.name, ackFloor);
    this.options.positions?.saveSoon(stream.name, this.options.progress.applied(stream.name));
  }

  private async handle(stream: StreamContract, contracts: ReadonlyMap<string, EventContract>, msg: JsMsg): Promise<void> {
    const { bus } = this.options;
    const wireSubject = bus.naming.unprefixed(msg.subject);
    // Handlers are keyed by the event's type; the scope's tokens after it only locate the event.
    const contract = contractOfSubject(contracts, wireSubject);
    const subject = contract?.subject ?? wireSubject;
    const handler = this.getHandlerByPattern(subject);
    if (!handler || !contract) {
      msg.ack();
      this.finished(stream, msg.seq);
      return;
    }
    // Checked before it is parsed: an event not authenticated with the bus key was not written
    // by a producer of ours, whoever could publish on the subject.
    const refusal = bus.verifyEvent(msg.subject, msg.data, msg.headers);
    if (refusal === 'unknown-key') {
      // Most likely a rotation done in the wrong order (a producer signing with a key this
      // service does not hold yet): hold the stream rather than lose a real event. It stays
      // unapplied, so /ready and the freshness check say so until BUS_KEYS are put right.
      this.log.error(`Holding ${stream.name}#${msg.seq} on ${subject}: ${refusalReason(refusal)}`);
      msg.nak(UNKNOWN_KEY_RETRY_MS);
      return;
    }
    if (refusal) {
      this.log.error(`Terminating message ${stream.name}#${msg.seq} on ${subject}: ${refusalReason(refusal)}`);
      msg.term();
      this.finished(stream, msg.seq);
      return;
    }
    const checked = checkedPayload(contract, wireSubject, () => decodeJson(msg.data));
    if ('refusal' in checked) {
      this.log.error(`Terminating message ${stream.name}#${msg.seq} on ${wireSubject}: ${checked.refusal}`);
      msg.term();
      this.finished(stream, msg.seq);
      return;
    }
    try {
      await this.invoke(handler, checked.payload, new BusContext([subject, msg.seq, msg.redelivered]));
      msg.ack();
      this.finished(stream, msg.seq);
    } catch (error) {
      const code = errorCode(error);
      if (PERMANENT_CODES.has(code)) {
        this.log.error(`Terminating message ${stream.name}#${msg.seq} on ${subject}: ${errorMessage(error)}`);
        msg.term();
        this.finished(stream, msg.seq);
      } else {
        this.log.warn(`Will retry ${stream.name}#${msg.seq} on ${subject}: ${errorMessage(error)}`);
        msg.nak(this.options.retryDelayMs ?? 500);
      }
    }
  }

  private async invoke(handler: MessageHandler, payload: unknown, context: BusContext): Promise<unknown> {
    const result: unknown = await handler(payload, context);
    return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
}

function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : describe(error);
}

/**
 * The body of an event on `wireSubject` parsed by its contract, or why it is refused: it fails the
 * contract, or it names another entity than the subject's scope (a scoped freshness check would
 * not have waited for it). The same for a delivery and for a row read from the outbox.
 */
function checkedPayload(contract: EventContract, wireSubject: string, read: () => unknown): { payload: unknown } | { refusal: string } {
  let payload: unknown;
  try {
    payload = contract.schema.parse(read());
  } catch (error) {
    return { refusal: `it fails its contract: ${describe(error)}` };
  }
  if (!scopeMatches(contract, wireSubject, payload)) return { refusal: "its subject is not its payload's scope" };
  return { payload };
}
