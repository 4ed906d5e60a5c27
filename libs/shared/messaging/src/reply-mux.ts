import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';

interface Pending {
  subject: string;
  /** Whether an answer is the one to resolve with; one that is not is dropped and the wait goes on. */
  accept?: (msg: Msg) => boolean;
  resolve(msg: Msg): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Request/reply over one wildcard inbox subscription, for every request the bus makes (JetStream
 * publishes, STREAM.INFO, calls to other services). nats.js's request() does the same, but builds an Error (a stack trace)
 * for every request that succeeds, to reject a promise that is already resolved: 3% of the IdP's
 * event loop per sign-in. The answers are the same messages; a timeout and the server's
 * no-responders status come back as errors saying so.
 */
export class ReplyMux {
  private readonly inbox: string;
  private readonly pending = new Map<number, Pending>();
  private last = 0;
  constructor(
    private readonly connection: NatsConnection,
    inboxPrefix?: string,
  ) {
    this.inbox = createInbox(inboxPrefix);
    connection.subscribe(`${this.inbox}.*`, { callback: (_error, msg) => this.answer(msg) });
  }

  /**
   * Publishes `data` on `subject` and resolves with the first answer `accept` takes (any answer
   * without it). `data` may be made from the reply subject (a sealed request binds it).
   */
  request(
    subject: string,
    data: Uint8Array | undefined | ((reply: string) => Uint8Array),
    timeoutMs: number,
    headers?: MsgHdrs,
    accept?: (msg: Msg) => boolean,
  ): Promise<Msg> {
    const id = ++this.last;
    const reply = `${this.inbox}.${id}`;
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer on ${subject} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { subject, accept, resolve, reject, timer });
      try {
        this.connection.publish(subject, typeof data === 'function' ? data(reply) : data, { reply, headers });
      } catch (error) {
        this.settle(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Requests still waiting for an answer. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Fails the requests still waiting (after the connection closed, no answer can come). */
  failWaiting(): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error('the NATS connection closed'));
  }

  private answer(msg: Msg): void {
    const id = Number(msg.subject.slice(this.inbox.length + 1));
    const waiting = this.pending.get(id);
    if (!waiting) return; // late, after its timeout
    const noResponders = msg.data.length === 0 && msg.headers?.code === 503;
    // In a race of answers the first would win: one that is not authentic must not end the wait.
    if (!noResponders && waiting.accept && !waiting.accept(msg)) return;
    const pending = this.settle(id);
    if (!pending) return;
    if (noResponders) pending.reject(new Error(`no responders on ${pending.subject}`));
    else pending.resolve(msg);
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }
}
