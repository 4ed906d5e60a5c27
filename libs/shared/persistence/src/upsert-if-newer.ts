/** Anything that runs SQL: a DataSource, an EntityManager, or a test's stand-in. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

type Value = string | number | boolean | object | null;

/**
 * The consumer side of per-entity versions: writes a row only if it is new or `values.version`
 * is newer than the stored one, in one statement, so replays are no-ops and an older event that
 * arrives late never overwrites a newer one. `table` is a quoted-safe "schema"."table" of the
 * caller's own; objects are stored as JSON. With `touch`, that timestamp column is set to now()
 * on update.
 */
export async function upsertIfNewer(
  db: Queryable,
  table: { schema: string; name: string },
  keys: Record<string, Value>,
  values: Record<string, Value> & { version: number },
  options: { touch?: string } = {},
): Promise<void> {
  const row = { ...keys, ...values };
  const columns = Object.keys(row);
  const quote = (name: string) => `"${name}"`;
  const updates = Object.keys(values).map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`);
  if (options.touch) updates.push(`${quote(options.touch)} = now()`);
  await db.query(
    `INSERT INTO ${quote(table.schema)}.${quote(table.name)} (${columns.map(quote).join(', ')})
     VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
     ON CONFLICT (${Object.keys(keys).map(quote).join(', ')})
     DO UPDATE SET ${updates.join(', ')}
     WHERE ${quote(table.name)}."version" < EXCLUDED."version"`,
    columns.map((c) => {
      const v = row[c];
      return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
    }),
  );
}

/** Rows a multi-row statement takes at once: PostgreSQL allows 65,535 parameters in a statement. */
export const UPSERT_BATCH_ROWS = 500;

/**
 * upsertIfNewer for many rows of one table in one statement each `UPSERT_BATCH_ROWS` (a snapshot
 * of 100,000 users is 200 statements instead of 100,000), with the same version rule. The rows
 * must have the same columns; a key given twice keeps its newest version (one INSERT may not
 * update a row twice).
 */
export async function upsertManyIfNewer(
  db: Queryable,
  table: { schema: string; name: string },
  rows: ReadonlyArray<{ keys: Record<string, Value>; values: Record<string, Value> & { version: number } }>,
  options: { touch?: string } = {},
): Promise<void> {
  const newest = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    const key = JSON.stringify(Object.values(row.keys));
    const held = newest.get(key);
    if (!held || held.values.version < row.values.version) newest.set(key, row);
  }
  const unique = [...newest.values()];
  const first = unique[0];
  if (!first) return;
  const keyColumns = Object.keys(first.keys);
  const valueColumns = Object.keys(first.values);
  const columns = [...keyColumns, ...valueColumns];
  const quote = (name: string) => `"${name}"`;
  const updates = valueColumns.map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`);
  if (options.touch) updates.push(`${quote(options.touch)} = now()`);
  for (let start = 0; start < unique.length; start += UPSERT_BATCH_ROWS) {
    const batch = unique.slice(start, start + UPSERT_BATCH_ROWS);
    const parameters: unknown[] = [];
    const tuples = batch.map((row) => {
      const all: Record<string, Value> = { ...row.keys, ...row.values };
      if (Object.keys(all).length !== columns.length) throw new Error(`upsertManyIfNewer: rows of ${table.name} differ in their columns`);
      return `(${columns
        .map((c) => {
          const v = all[c];
          if (v === undefined) throw new Error(`upsertManyIfNewer: a row of ${table.name} has no ${c}`);
          parameters.push(v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
          return `$${parameters.length}`;
        })
        .join(', ')})`;
    });
    await db.query(
      `INSERT INTO ${quote(table.schema)}.${quote(table.name)} (${columns.map(quote).join(', ')})
       VALUES ${tuples.join(', ')}
       ON CONFLICT (${keyColumns.map(quote).join(', ')})
       DO UPDATE SET ${updates.join(', ')}
       WHERE ${quote(table.name)}."version" < EXCLUDED."version"`,
      parameters,
    );
  }
}
