import { z } from 'zod';
import type { NatsBus } from './bus';
import { defineRpc, type RpcContract, type StreamContract } from './contract';

/**
 * Snapshots: how a producer hands its current state to a consumer that finds the stream
 * trimmed past what it applied. One request/reply contract per kind of entity, answered a page
 * at a time in key order, each item carrying its per-entity version so that the consumer applies
 * it with the same version rule as events (and events replayed afterwards converge).
 */

/** Rows a producer reads for one page. */
export const SNAPSHOT_PAGE_ROWS = 500;

/** JSON bytes of one page at most: well under NATS's default max payload (1 MB). */
export const SNAPSHOT_PAGE_MAX_BYTES = 256 * 1024;

/** How long a consumer waits for one page. */
const PAGE_TIMEOUT_MS = 10_000;

export const SnapshotRequest = z.strictObject({
  /** The `next` of the previous page; null for the first page. */
  after: z.string().max(256).nullable(),
});

export type SnapshotContract<Item extends z.ZodType = z.ZodType> = RpcContract<
  typeof SnapshotRequest,
  z.ZodObject<{ items: z.ZodArray<Item>; next: z.ZodNullable<z.ZodString> }>
>;
export type SnapshotPage<C extends SnapshotContract> = z.infer<C['response']>;
export type SnapshotItemOf<C extends SnapshotContract> = SnapshotPage<C>['items'][number];

export function defineSnapshot<Item extends z.ZodType>(subject: `rpc.${string}`, item: Item): SnapshotContract<Item> {
  return defineRpc(subject, SnapshotRequest, z.object({ items: z.array(item), next: z.string().nullable() }));
}

/**
 * The producer's side: a page from rows read in key order (at most SNAPSHOT_PAGE_ROWS of them,
 * each with the cursor of its key). The page is cut where its JSON would pass the byte budget;
 * `next` is null only when the rows were the last ones.
 */
export function snapshotPage<Row, Item>(
  rows: readonly { row: Row; cursor: string }[],
  toItem: (row: Row) => Item,
  maxBytes = SNAPSHOT_PAGE_MAX_BYTES,
): { items: Item[]; next: string | null } {
  const items: Item[] = [];
  let bytes = 0;
  for (const { row } of rows) {
    const item = toItem(row);
    bytes += Buffer.byteLength(JSON.stringify(item));
    if (bytes > maxBytes && items.length > 0) break;
    items.push(item);
  }
  const more = items.length < rows.length || rows.length >= SNAPSHOT_PAGE_ROWS;
  return { items, next: more ? (rows[items.length - 1]?.cursor ?? null) : null };
}

/** The consumer's side: every item of a snapshot, page after page. */
export async function* readSnapshot<C extends SnapshotContract>(bus: NatsBus, contract: C): AsyncGenerator<SnapshotItemOf<C>> {
  let after: string | null = null;
  do {
    const page: SnapshotPage<SnapshotContract> = await bus.request<SnapshotContract>(contract, { after }, PAGE_TIMEOUT_MS);
    yield* page.items as SnapshotItemOf<C>[];
    after = page.next;
  } while (after !== null);
}

/** What a service's @OnResync handler is told when its consumer found the stream trimmed. */
export interface ResyncRequest {
  stream: string;
  /** Everything up to here was applied before the trim was found. */
  ackFloor: number;
  /** The stream's first sequence, read before the snapshot: the consumer tails on from here. */
  firstSeq: number;
}

/** What it answers: entities written from the snapshot, and replica rows it no longer lists (marked gone). */
export interface ResyncResult {
  applied: number;
  tombstoned: number;
}

/** The handler key under which BusTransport finds a stream's resync handler. */
export const resyncPattern = (stream: StreamContract): string => `$resync.${stream.name}`;
