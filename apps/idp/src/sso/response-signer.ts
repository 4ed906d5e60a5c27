import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ResponseOptions } from '@jit/saml';
import type { SignAnswer, SignRequest } from './response-signer.worker';

interface Waiting {
  resolve: (xml: string) => void;
  reject: (error: Error) => void;
}

/** A worker thread and the requests it holds. */
interface SigningThread {
  worker: Worker;
  waiting: Map<number, Waiting>;
}

/**
 * Builds and signs SAML Responses on a worker thread of its own, so that the event loop, which
 * every sign-in passes through several times, spends none of its time on the response's XML or
 * its RSA operation. One thread, not libuv's pool of four: on a machine with few cores the four
 * signing threads took the event loop's core from it at every hand-off (see docs/performance.md).
 * One thread signs about one core's worth, a few thousand responses a second.
 *
 * A thread that fails or exits fails the sign-ins it held (they answer 500); the next request
 * starts a new one.
 */
@Injectable()
export class ResponseSigner implements OnApplicationShutdown {
  private readonly logger = new Logger(ResponseSigner.name);
  private thread?: SigningThread;
  private nextId = 0;

  build(options: ResponseOptions): Promise<string> {
    const { worker, waiting } = this.running();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, options } satisfies SignRequest);
    });
  }

  /** After the HTTP server has stopped: the sign-ins it was still answering have their responses. */
  async onApplicationShutdown(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.worker.terminate();
  }

  private running(): SigningThread {
    if (this.thread) return this.thread;
    // The worker inherits this process's execArgv, so it loads TypeScript the way the process does.
    const thread: SigningThread = { worker: new Worker(join(__dirname, 'response-signer.worker.ts')), waiting: new Map() };
    thread.worker.on('message', (answer: SignAnswer) => {
      const waiting = thread.waiting.get(answer.id);
      thread.waiting.delete(answer.id);
      if ('xml' in answer) waiting?.resolve(answer.xml);
      else waiting?.reject(new Error(`signing failed: ${answer.error}`));
    });
    const fail = (reason: string) => {
      if (this.thread === thread) this.thread = undefined;
      for (const waiting of thread.waiting.values()) waiting.reject(new Error(`the signing thread ${reason}`));
      thread.waiting.clear();
    };
    thread.worker.on('error', (error) => {
      this.logger.error(`The signing thread failed: ${error.message}`);
      fail(`failed: ${error.message}`);
    });
    thread.worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.thread = thread;
    return thread;
  }
}
