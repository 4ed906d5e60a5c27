import { Not, type EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '@jit/service';
import { User } from '../users/user.entity';

/** What would take an administrator away: their role, their active state, or the user itself. */
export type AdministratorLoss = 'role' | 'state' | 'delete';

const REFUSALS: Record<AdministratorLoss, { before: string; field?: string }> = {
  role: { before: 'removing this role', field: 'role' },
  state: { before: 'suspending them', field: 'state' },
  delete: { before: 'deleting them' },
};

/**
 * An organisation that has an active administrator keeps one: without it no person could
 * administer it any more (API keys still could, but people sign in to the console). Only an
 * active administrator counts, since a suspended one cannot sign in. Call it in the transaction
 * that makes the change, with the user's row locked; the advisory lock serialises the checks of
 * one organisation, so two concurrent changes cannot each count the other as the one remaining.
 */
export async function refuseLosingLastAdministrator(manager: EntityManager, user: User, loss: AdministratorLoss): Promise<void> {
  if (user.adminRole !== 'administrator' || user.state !== 'ACTIVATED') return;
  await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`directory.administrators:${user.organizationId}`]);
  const others = await manager.getRepository(User).countBy({
    organizationId: user.organizationId,
    adminRole: 'administrator',
    state: 'ACTIVATED',
    id: Not(user.id),
  });
  if (others > 0) return;
  const refusal = REFUSALS[loss];
  throw new DomainError(
    ErrorCode.Conflict,
    `${user.username} is the organisation's last active administrator: make another user an administrator before ${refusal.before}`,
    refusal.field ? [{ field: refusal.field, message: 'the last active administrator keeps it' }] : undefined,
  );
}
