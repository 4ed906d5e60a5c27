import { z } from 'zod';
import { defineEvent, defineStream } from '@jit/messaging';
import { UserProfile } from './user-attributes';

/**
 * Every event carries its organisation and the entity's version: consumers apply an event only
 * when its version is newer than what they hold, so replays and reordering converge.
 */
const entity = {
  organizationId: z.uuid(),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
};

const userSnapshot = z.object({ ...entity, userId: z.uuid(), user: UserProfile });

export const DirectoryEvents = {
  userCreated: defineEvent('directory.user.created.v1', userSnapshot),
  userUpdated: defineEvent(
    'directory.user.updated.v1',
    userSnapshot.extend({ changedAttributes: z.array(z.string()) }),
  ),
  userDeleted: defineEvent('directory.user.deleted.v1', z.object({ ...entity, userId: z.uuid() })),
  groupCreated: defineEvent('directory.group.created.v1', z.object({ ...entity, groupId: z.uuid(), name: z.string() })),
  groupDeleted: defineEvent('directory.group.deleted.v1', z.object({ ...entity, groupId: z.uuid() })),
  /** Membership versions count per (group, user) pair: add and remove share one sequence. */
  membershipAdded: defineEvent(
    'directory.membership.added.v1',
    z.object({ ...entity, groupId: z.uuid(), userId: z.uuid() }),
  ),
  membershipRemoved: defineEvent(
    'directory.membership.removed.v1',
    z.object({ ...entity, groupId: z.uuid(), userId: z.uuid() }),
  ),
} as const;

export const DIRECTORY_STREAM = defineStream('DIRECTORY', ['directory.>'], Object.values(DirectoryEvents));
