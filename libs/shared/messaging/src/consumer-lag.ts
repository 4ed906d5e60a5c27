import type { NatsBus } from './bus';
import type { ConsumerProgress } from './consumer-progress';
import type { StreamContract } from './contract';

/** How far this service's consumer of one stream is behind that stream, right now. */
export interface StreamLag {
  stream: string;
  /** Every sequence up to here is applied (the contiguous floor, see ConsumerProgress). */
  applied: number;
  /** The stream's newest sequence, read from JetStream for this call. */
  last: number;
  /** last − applied, never below 0 (a stream recreated under a consumer reads as caught up, not negative). */
  lag: number;
}

/**
 * Reads each stream's last sequence from JetStream and compares it with what the consumer has
 * applied. Used by /ready and /metrics: both want the stream's state at the time of the call,
 * not a cached one, and both must answer in bounded time when NATS does not. Rejects with
 * BusLookupError naming the stream when a lookup fails or takes longer than `timeoutMs`.
 */
export async function readConsumerLag(
  bus: NatsBus,
  progress: ConsumerProgress,
  streams: readonly StreamContract[],
  timeoutMs: number,
): Promise<StreamLag[]> {
  return Promise.all(
    streams.map(async (stream) => {
      const last = await withinMs(bus.lastSequence(stream), timeoutMs).catch((error: unknown) => {
        throw new BusLookupError(stream.name, error);
      });
      return streamLag(stream.name, last, progress);
    }),
  );
}

/** The consumer's lag behind `last`, with what it has applied at this moment. */
export function streamLag(stream: string, last: number, progress: ConsumerProgress): StreamLag {
  const applied = progress.applied(stream);
  return { stream, applied, last, lag: Math.max(0, last - applied) };
}

/** A stream's state could not be read from JetStream. */
export class BusLookupError extends Error {
  constructor(
    readonly stream: string,
    override readonly cause: unknown,
  ) {
    super(`cannot read stream ${stream} from NATS (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}

/** Settles like `promise`, or rejects once `ms` have passed without an answer. */
export async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
