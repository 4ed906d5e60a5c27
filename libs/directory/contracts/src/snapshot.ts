import { z } from 'zod';
import { defineSnapshot } from '@jit/messaging';
import { ADMIN_ROLES } from './admin-roles';
import { DirectoryEvents } from './events';

/**
 * The directory's current state, for a consumer that finds the DIRECTORY stream trimmed past
 * what it applied (SECURITY.md). Each item says what the entity's latest event says, with that
 * event's version, so consumers apply it with the same version rule; an entity that a complete
 * snapshot does not list has been deleted. Paged in key order: `after` is the previous page's
 * `next`. Only for the directory's own consumers (catalog, idp): it holds every organisation.
 */
export const DirectorySnapshot = {
  /** Every organisation with its name, logo and brand colour (organization.created/updated events). */
  organizations: defineSnapshot(
    'rpc.directory.snapshot.organizations.v1',
    DirectoryEvents.organizationCreated.schema.omit({ occurredAt: true }),
  ),
  /** With the user's admin role (optional: a directory from before roles sends none), as its last admin-role-changed event says. */
  users: defineSnapshot(
    'rpc.directory.snapshot.users.v1',
    DirectoryEvents.userCreated.schema.omit({ occurredAt: true }).extend({ adminRole: z.enum(ADMIN_ROLES).nullable().optional() }),
  ),
  groups: defineSnapshot('rpc.directory.snapshot.groups.v1', DirectoryEvents.groupCreated.schema.omit({ occurredAt: true })),
  /** Removed memberships too (`active: false`): the pair's version keeps counting. */
  memberships: defineSnapshot(
    'rpc.directory.snapshot.memberships.v1',
    DirectoryEvents.membershipAdded.schema.omit({ occurredAt: true }).extend({ active: z.boolean() }),
  ),
} as const;
