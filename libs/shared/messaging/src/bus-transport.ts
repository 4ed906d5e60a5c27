import { Logger } from '@nestjs/common';
import { BaseRpcContext, Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { RpcContract, StreamContract } from './contract';
import { type NatsBus, decodeJson, encodeJson, describe, type RpcReply } from './bus';
import { type ConsumerProgress } from './consumer-progress';

/** What a handler can learn about the message it is handling. */
export class BusContext extends BaseRpcContext<[subject: string, streamSequence: number, redelivered: boolean]> {
  get subject(): string {
    return this.args[0];
  }
  get streamSequence(): number {
    return this.args[1];
  }
}

/** Error codes a handler may throw (as `{ code }`) to say "this message will never succeed". */
const PERMANENT_CODES = new Set(['VALIDATION_FAILED', 'CONTRACT_VIOLATION']);

export interface BusTransportOptions {
  bus: NatsBus;
  progress: ConsumerProgress;
  /** Streams whose events this service handles with @EventPattern, through one durable consumer each. */
  consumes?: readonly StreamContract[];
  /** Request/reply contracts this service answers with @MessagePattern. */
  answers?: readonly RpcContract[];
  /** Delay before a message that failed for a transient reason is delivered again. */
  retryDelayMs?: number;
}

/**
 * A Nest transport over our bus: @EventPattern handlers are fed by JetStream durable consumers
 * (acked after the handler resolves, i.e. after its transaction committed), @MessagePattern
 * handlers answer core NATS requests in a queue group. Payloads are checked against their
 * contract before a handler sees them; a message that fails its contract is terminated and
 * logged instead of being redelivered forever.
 */
export class BusTransport extends Server implements CustomTransportStrategy {
  private readonly log = new Logger(BusTransport.name);
  private readonly subscriptions: Subscription[] = [];
  private readonly consumers: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private closing = false;

  constructor(private readonly options: BusTransportOptions) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const sub of this.subscriptions) sub.unsubscribe();
    for (const consumer of this.consumers) await consumer.close();
    await Promise.allSettled(this.loops);
  }

  on(): never {
    throw new Error('BusTransport does not emit transport events');
  }

  unwrap<T>(): T {
    return this.options.bus as T;
  }

  private async start(): Promise<void> {
    const { bus } = this.options;
    for (const stream of this.options.consumes ?? []) await bus.ensureStream(stream);
    for (const contract of this.options.answers ?? []) this.answer(contract);
    for (const stream of this.options.consumes ?? []) await this.consume(stream);
    const unhandled = [...this.messageHandlers.keys()].filter(
      (pattern) =>
        !(this.options.answers ?? []).some((c) => c.subject === pattern) &&
        !(this.options.consumes ?? []).some((s) => s.events.some((e) => e.subject === pattern)),
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
        void this.reply(contract, handler, msg.data, msg.subject).then((reply) => msg.respond(encodeJson(reply)));
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
    const { bus, progress } = this.options;
    const streamName = bus.naming.stream(stream.name);
    const durable = bus.service;
    const info = await bus.jsm.consumers
      .info(streamName, durable)
      .catch(() =>
        bus.jsm.consumers.add(streamName, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: 30_000_000_000,
          max_ack_pending: 1000,
        }),
      );
    progress.start(stream.name, info.ack_floor.stream_seq, await bus.lastSequence(stream));
    const consumer = await bus.js.consumers.get(streamName, durable);
    const messages = await consumer.consume({ max_messages: 256 });
    this.consumers.push(messages);
    const schemas = new Map(stream.events.map((e) => [e.subject, e.schema]));
    this.loops.push(
      (async () => {
        // One message at a time, in stream order: the applied floor then means "everything up to here".
        for await (const msg of messages) {
          await this.handle(stream, schemas, msg);
          if (this.closing) break;
        }
        progress.stop(stream.name);
      })(),
    );
  }

  private async handle(stream: StreamContract, schemas: Map<string, RpcContract['request']>, msg: JsMsg): Promise<void> {
    const { bus, progress } = this.options;
    const subject = bus.naming.unprefixed(msg.subject);
    const handler = this.getHandlerByPattern(subject);
    const schema = schemas.get(subject);
    if (!handler || !schema) {
      msg.ack();
      progress.complete(stream.name, msg.seq);
      return;
    }
    let payload: unknown;
    try {
      payload = schema.parse(decodeJson(msg.data));
    } catch (error) {
      this.log.error(`Terminating message ${stream.name}#${msg.seq} on ${subject}: it fails its contract: ${describe(error)}`);
      msg.term('contract violation');
      progress.complete(stream.name, msg.seq);
      return;
    }
    try {
      await this.invoke(handler, payload, new BusContext([subject, msg.seq, msg.redelivered]));
      msg.ack();
      progress.complete(stream.name, msg.seq);
    } catch (error) {
      const code = errorCode(error);
      if (PERMANENT_CODES.has(code)) {
        this.log.error(`Terminating message ${stream.name}#${msg.seq} on ${subject}: ${errorMessage(error)}`);
        msg.term(code);
        progress.complete(stream.name, msg.seq);
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
