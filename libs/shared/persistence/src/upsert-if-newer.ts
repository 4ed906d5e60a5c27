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
