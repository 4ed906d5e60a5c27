import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * One page of a table in key order, for a snapshot read page by page: the rows whose key comes
 * after `after` (null for the first page), each with its cursor (its key values joined by ':',
 * which uuids never contain). Key order, not an offset: rows added or removed meanwhile shift
 * nothing.
 */
export async function rowsAfter<E extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<E>,
  keys: readonly (keyof E & string)[],
  after: string | null,
  limit: number,
): Promise<{ row: E; cursor: string }[]> {
  const query = manager.createQueryBuilder(entity, 'r');
  if (after !== null) {
    const values = after.split(':');
    if (values.length !== keys.length) throw new Error(`A cursor of ${keys.length} part(s) was expected, got "${after}"`);
    const params = Object.fromEntries(values.map((v, i) => [`after${i}`, v]));
    query.where(`(${keys.map((k) => `r.${k}`).join(', ')}) > (${keys.map((_, i) => `:after${i}`).join(', ')})`, params);
  }
  for (const key of keys) query.addOrderBy(`r.${key}`, 'ASC');
  const rows = await query.take(limit).getMany();
  return rows.map((row) => ({ row, cursor: keys.map((k) => String(row[k])).join(':') }));
}
