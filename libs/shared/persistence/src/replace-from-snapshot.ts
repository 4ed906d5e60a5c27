type Value = string | number | boolean | object | null;

/**
 * The version of a row that a producer's complete snapshot no longer lists. Absent means deleted
 * for good (a user, group or application; or a link whose user, group or application went with
 * it), and ids are never reused, so no event, however late (an outbox relay may publish an old
 * one after a newer one), may bring the row back: it is given the highest version a column holds.
 */
export const TOMBSTONE_VERSION = 2_147_483_647;

/** Items a snapshot replacement writes at once when the consumer can write many (writeMany). */
export const SNAPSHOT_BATCH_ROWS = 500;

/** One row of a consumer's versioned table: its key columns, and the values an event or snapshot item gives it. */
export interface VersionedRow {
  keys: Record<string, string>;
  values: Record<string, Value> & { organization_id: string; version: number };
}

export interface SnapshotReplacement<Item> {
  /** The producer's complete snapshot of one kind of entity. */
  items: AsyncIterable<Item>;
  /** The same mapping the consumer applies to that entity's events. */
  toRow: (item: Item) => VersionedRow;
  /** The consumer's versioned write (upsertIfNewer, and whatever it keeps beside it). */
  write: (row: VersionedRow) => Promise<void>;
  /**
   * The same write for many rows at once (upsertManyIfNewer): given, the snapshot's items are
   * written SNAPSHOT_BATCH_ROWS at a time, a statement per batch instead of one per item.
   */
  writeMany?: (rows: VersionedRow[]) => Promise<void>;
  /** How a row the snapshot no longer lists goes, when that is more than `write` (default: `write`). */
  tombstone?: (row: VersionedRow) => Promise<void>;
  /** The rows the consumer holds as live (not deleted, or active), read after the snapshot is written. */
  live: () => Promise<Iterable<{ keys: Record<string, string>; organizationId: string }>>;
  /** The values of a row the snapshot no longer lists, e.g. `{ deleted: true, profile: null }`. */
  gone: Record<string, Value>;
}

/**
 * Makes a consumer's table equal to a producer's snapshot, for a consumer that finds its stream
 * trimmed past what it applied: every item is written with the version rule, so the events
 * replayed afterwards converge with it, then each live row the snapshot did not list (its
 * entity was deleted while the consumer was away) becomes a tombstone.
 */
export async function replaceFromSnapshot<Item>(replacement: SnapshotReplacement<Item>): Promise<{ applied: number; tombstoned: number }> {
  const listed = new Set<string>();
  let applied = 0;
  let pending: VersionedRow[] = [];
  const { writeMany } = replacement;
  for await (const item of replacement.items) {
    const row = replacement.toRow(item);
    if (writeMany) {
      pending.push(row);
      if (pending.length >= SNAPSHOT_BATCH_ROWS) {
        await writeMany(pending);
        pending = [];
      }
    } else {
      await replacement.write(row);
    }
    listed.add(keyOf(row.keys));
    applied += 1;
  }
  if (writeMany && pending.length > 0) await writeMany(pending);
  let tombstoned = 0;
  for (const { keys, organizationId } of await replacement.live()) {
    if (listed.has(keyOf(keys))) continue;
    const tombstone = { keys, values: { ...replacement.gone, organization_id: organizationId, version: TOMBSTONE_VERSION } };
    await (replacement.tombstone ?? replacement.write)(tombstone);
    tombstoned += 1;
  }
  return { applied, tombstoned };
}

function keyOf(keys: Record<string, string>): string {
  return Object.keys(keys)
    .sort()
    .map((name) => keys[name])
    .join('\u0000');
}
