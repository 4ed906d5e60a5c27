import { z } from 'zod';
import { defineEvent, defineStream } from '@jit/messaging';
import { ADMIN_ROLES } from './admin-roles';
import { OrganizationBranding } from './organization-branding';
import { UserProfile } from './user-attributes';

/**
 * Every entity event carries its organisation and the entity's version: consumers apply an
 * event only when its version is newer than what they hold, so replays and reordering converge.
 */
const entity = {
  organizationId: z.uuid(),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
};

/** Audit-only events (no entity state): consumers that do not care simply skip them. */
const audit = {
  organizationId: z.uuid(),
  occurredAt: z.iso.datetime(),
};

const userSnapshot = z.object({ ...entity, userId: z.uuid(), user: UserProfile });
/** The organisation's id is `organizationId`; its version counts its own changes. */
const organizationSnapshot = z.object({ ...entity, ...OrganizationBranding.shape });

/**
 * What follows the type on the wire (docs/events.md): the organisation, then the ids of what the
 * event is about, so that `directory.*.*.*.*.<userId>` and `directory.membership.*.*.*.<userId>.*`
 * find everything that can change one person's access. A failed sign-in with an unknown
 * username has `_` for its user.
 */
const ORGANIZATION = ['organizationId'] as const;
const USER = ['organizationId', 'userId'] as const;
const GROUP = ['organizationId', 'groupId'] as const;
const MEMBERSHIP = ['organizationId', 'userId', 'groupId'] as const;
const API_KEY = ['organizationId', 'apiKeyId'] as const;

export const DirectoryEvents = {
  /** A new organisation (POST /v1/organizations, or the default one at the first start). */
  organizationCreated: defineEvent('directory.organization.created.v1', organizationSnapshot, ORGANIZATION),
  /**
   * An administrator changed what the sign-in pages show of the organisation (PATCH
   * /v1/organization); the snapshot is complete, `changedFields` names what changed.
   */
  organizationUpdated: defineEvent(
    'directory.organization.updated.v1',
    organizationSnapshot.extend({ changedFields: z.array(z.enum(['name', 'logoUrl', 'brandColor'])) }),
    ORGANIZATION,
  ),
  userCreated: defineEvent('directory.user.created.v1', userSnapshot, USER),
  /** Profile attributes changed; the snapshot is complete, `changedAttributes` names what changed. */
  userUpdated: defineEvent('directory.user.updated.v1', userSnapshot.extend({ changedAttributes: z.array(z.string()) }), USER),
  /** The state changed (with or without other attributes): a complete snapshot as well. */
  userStateChanged: defineEvent(
    'directory.user.state-changed.v1',
    userSnapshot.extend({ previousState: UserProfile.shape.state, changedAttributes: z.array(z.string()) }),
    USER,
  ),
  userDeleted: defineEvent('directory.user.deleted.v1', z.object({ ...entity, userId: z.uuid() }), USER),
  /** The user's admin role changed (null: none, an ordinary person); it bumps the user's version like any change. */
  userAdminRoleChanged: defineEvent(
    'directory.user.admin-role-changed.v1',
    z.object({ ...entity, userId: z.uuid(), role: z.enum(ADMIN_ROLES).nullable(), previousRole: z.enum(ADMIN_ROLES).nullable() }),
    USER,
  ),
  groupCreated: defineEvent('directory.group.created.v1', z.object({ ...entity, groupId: z.uuid(), name: z.string() }), GROUP),
  groupRenamed: defineEvent(
    'directory.group.renamed.v1',
    z.object({ ...entity, groupId: z.uuid(), name: z.string(), previousName: z.string() }),
    GROUP,
  ),
  /** Its memberships are removed first, each with its own membership.removed event. */
  groupDeleted: defineEvent('directory.group.deleted.v1', z.object({ ...entity, groupId: z.uuid() }), GROUP),
  /** Membership versions count per (group, user) pair: add and remove share one sequence. */
  membershipAdded: defineEvent('directory.membership.added.v1', z.object({ ...entity, groupId: z.uuid(), userId: z.uuid() }), MEMBERSHIP),
  membershipRemoved: defineEvent(
    'directory.membership.removed.v1',
    z.object({ ...entity, groupId: z.uuid(), userId: z.uuid() }),
    MEMBERSHIP,
  ),
  /** A credential check failed (wrong password, unknown user, locked, inactive). Never the password. */
  credentialsRejected: defineEvent(
    'directory.credentials.rejected.v1',
    z.object({
      ...audit,
      userId: z.uuid().nullable(),
      username: z.string(),
      sourceIp: z.string().nullable(),
      reason: z.enum(['invalid_credentials', 'not_active', 'locked_out', 'throttled']),
    }),
    USER,
  ),
  /**
   * Too many failures: the account refuses password checks until `lockedUntil`, with scope
   * `source` from `sourceIp` only (a backoff of that address), with scope `account` from every
   * address (its hourly ceiling). `failures` is the count that started it. Events written before
   * these two fields existed locked the account for every address.
   */
  userLockedOut: defineEvent(
    'directory.user.locked-out.v1',
    z.object({
      ...audit,
      userId: z.uuid(),
      lockedUntil: z.iso.datetime(),
      failures: z.number().int().positive(),
      scope: z.enum(['source', 'account']).optional(),
      sourceIp: z.string().nullable().optional(),
    }),
    USER,
  ),
  /**
   * An administrator lifted the account's lockout (`cause` `admin`: DELETE /v1/users/:id/lockout),
   * or set a new password, which lifts it too (`password_reset`). `sourceIps` are the addresses
   * whose backoff was in force (null for checks that named none), `failures` the wrong passwords
   * of the hour that no longer count towards the account's ceiling. Emitted only when there was
   * something to lift.
   */
  userUnlocked: defineEvent(
    'directory.user.unlocked.v1',
    z.object({
      ...audit,
      userId: z.uuid(),
      cause: z.enum(['admin', 'password_reset']),
      sourceIps: z.array(z.string().nullable()),
      failures: z.number().int().nonnegative(),
    }),
    USER,
  ),
  apiKeyCreated: defineEvent('directory.api-key.created.v1', z.object({ ...audit, apiKeyId: z.uuid(), name: z.string() }), API_KEY),
  /** Services that cache key lookups drop the key on this subject (it carries the key's hash). */
  apiKeyRevoked: defineEvent(
    'directory.api-key.revoked.v1',
    z.object({ ...audit, apiKeyId: z.uuid(), apiKeyHash: z.string().regex(/^[0-9a-f]{64}$/) }),
    API_KEY,
  ),
} as const;

export const DIRECTORY_STREAM = defineStream('DIRECTORY', ['directory.>'], Object.values(DirectoryEvents), {
  outboxSchema: 'directory',
});
