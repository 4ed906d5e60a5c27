import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * A link between two entities (a group membership, an application binding) that is switched on
 * and off. The row outlives a removal, so the pair's version keeps counting: every real change
 * gets a higher version than the one before, which is what consumers order events by.
 *
 * Returns the new version, null when the link is already in the wanted state, or 'missing'
 * when asked to remove a link that never existed.
 *
 * One statement per change (an upsert, or a conditional update), on the hot path of every access
 * change: the row lock it takes serialises concurrent changes of the same pair, and two
 * concurrent first adds leave one insert and one "no change".
 */
export async function setVersionedLink<E extends ObjectLiteral & { active: boolean; version: number }>(
  manager: EntityManager,
  entity: EntityTarget<E>,
  key: Partial<E>,
  values: Partial<E>,
  active: boolean,
): Promise<number | null | 'missing'> {
  const meta = manager.connection.getMetadata(entity);
  const column = (property: string): string => {
    const found = meta.findColumnWithPropertyName(property);
    if (!found) throw new Error(`${meta.name} has no column for ${property}`);
    return `"${found.databaseName}"`;
  };
  // tablePath is "schema.table", the schema coming from the entity or else the data source.
  const table = meta.tablePath
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
  const keyNames = Object.keys(key);
  const keyParams = keyNames.map((name) => key[name] as unknown);
  const touch = meta.updateDateColumn ? `, "${meta.updateDateColumn.databaseName}" = now()` : '';
  const version = column('version');
  const flag = column('active');
  const keyMatch = keyNames.map((name, i) => `l.${column(name)} = $${i + 1}`).join(' AND ');

  if (active) {
    const all = { ...key, ...values } as Record<string, unknown>;
    const names = Object.keys(all);
    const rows = await manager.query<{ version: number }[]>(
      `WITH "changed" AS (
         INSERT INTO ${table} AS l (${names.map(column).join(', ')}, ${flag}, ${version})
         VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}, true, 1)
         ON CONFLICT (${keyNames.map(column).join(', ')})
         DO UPDATE SET ${flag} = true, ${version} = l.${version} + 1${touch}
         WHERE l.${flag} = false
         RETURNING l.${version} AS "version")
       SELECT "version" FROM "changed"`,
      names.map((name) => all[name]),
    );
    return rows[0]?.version ?? null;
  }
  const rows = await manager.query<{ version: number }[]>(
    `WITH "changed" AS (
       UPDATE ${table} AS l SET ${flag} = false, ${version} = l.${version} + 1${touch}
       WHERE ${keyMatch} AND l.${flag} = true
       RETURNING l.${version} AS "version")
     SELECT "version" FROM "changed"`,
    keyParams,
  );
  if (rows[0]) return rows[0].version;
  // Rare: nothing to switch off. Tell "already off" from "never existed".
  const existing = await manager.query<unknown[]>(`SELECT 1 FROM ${table} AS l WHERE ${keyMatch}`, keyParams);
  return existing.length > 0 ? null : 'missing';
}
