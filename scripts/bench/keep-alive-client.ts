import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * The load generator's side of one keep-alive HTTP/1.1 connection: one request at a time, each
 * written as a single buffer, the answer read by its Content-Length. The benchmark client runs
 * on the same 2 cores as what it measures, and node:http's client spends about half a
 * millisecond of CPU per request on agents, header objects and streams; this spends a fraction
 * of that (what wrk or autocannon do for the same reason). It understands exactly what the
 * servers under test answer: a status line, headers and a Content-Length body; anything else
 * (chunked encoding, a closed connection) fails the run rather than being guessed at.
 */
export class KeepAliveConnection {
  private socket?: Socket;
  /** What has arrived of the current answer. */
  private buffered: Buffer = Buffer.alloc(0);
  private waiting?: { resolve: (answer: Answer) => void; reject: (error: Error) => void };

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** GET `path` (with its query) with these request headers. */
  get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    if (this.waiting) return Promise.reject(new Error('one request at a time per connection'));
    const head =
      `GET ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nConnection: keep-alive\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      '\r\n';
    return new Promise<Answer>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.open().write(head, 'latin1');
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.buffered = Buffer.alloc(0);
  }

  private open(): Socket {
    if (this.socket) return this.socket;
    const socket = connect(this.port, this.host);
    socket.setNoDelay(true);
    // Events of a socket this connection has already replaced concern nobody.
    socket.on('data', (chunk: Buffer) => this.socket === socket && this.onData(chunk));
    socket.on('error', (error) => this.socket === socket && this.fail(error));
    socket.on('close', () => this.socket === socket && this.fail(new Error('the server closed the connection')));
    this.socket = socket;
    return socket;
  }

  /** Ends the connection and fails the request on it, if any. */
  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.close();
    waiting?.reject(error);
  }

  private onData(chunk: Buffer): void {
    const buffered = (this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]));
    const headerEnd = buffered.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const headers = buffered.toString('latin1', 0, headerEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(headers)?.[1];
    const waiting = this.waiting;
    if (length === undefined || !waiting)
      return this.fail(new Error(`no Content-Length in the answer (or no request): ${headers.slice(0, 200)}`));
    const bodyStart = headerEnd + HEADER_END.length;
    const end = bodyStart + Number(length);
    if (buffered.length < end) return;
    if (buffered.length > end) return this.fail(new Error('bytes after the answer: the server sent more than one response'));
    this.buffered = Buffer.alloc(0);
    this.waiting = undefined;
    waiting.resolve({ status: Number(headers.slice(9, 12)), body: buffered.subarray(bodyStart, end) });
  }
}
