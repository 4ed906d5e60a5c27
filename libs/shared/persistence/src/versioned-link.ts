import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * A link between two entities (a group membership, an application binding) that is switched on
 * and off. The row outlives a removal, so the pair's version keeps counting: every real change
 * gets a higher version than the one before, which is what consumers order events by.
 *
 * Returns the new version, null when the link is already in the wanted state, or 'missing'
 * when asked to remove a link that never existed.
 */
export async function setVersionedLink<E extends ObjectLiteral & { active: boolean; version: number }>(
  manager: EntityManager,
  entity: EntityTarget<E>,
  key: Partial<E>,
  values: Partial<E>,
  active: boolean,
): Promise<number | null | 'missing'> {
  const repo = manager.getRepository(entity);
  const current = await repo.findOne({ where: key, lock: { mode: 'pessimistic_write' } });
  if (!current && !active) return 'missing';
  if (current?.active === active) return null;
  const version = (current?.version ?? 0) + 1;
  if (current) {
    await repo.update(key, { active, version } as never);
  } else {
    // Two concurrent first adds: the loser's insert becomes a no-op instead of an error.
    await repo.createQueryBuilder().insert().values({ ...key, ...values, active, version }).orIgnore().execute();
  }
  return version;
}
