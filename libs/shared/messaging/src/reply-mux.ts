import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';

interface Pending {
  subject: string;
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

  request(subject: string, data: Uint8Array | undefined, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    const id = ++this.last;
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer on ${subject} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { subject, resolve, reject, timer });
      try {
        this.connection.publish(subject, data, { reply: `${this.inbox}.${id}`, headers });
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
    const pending = this.settle(Number(msg.subject.slice(this.inbox.length + 1)));
    if (!pending) return; // late, after its timeout
    if (msg.data.length === 0 && msg.headers?.code === 503) pending.reject(new Error(`no responders on ${pending.subject}`));
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
