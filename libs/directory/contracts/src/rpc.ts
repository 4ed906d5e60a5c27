import { z } from 'zod';
import { defineRpc } from '@jit/messaging';
import { ADMIN_PERMISSIONS, ADMIN_ROLES } from './admin-roles';

/** At most this many user ids (add and remove together) in one bulk membership call over HTTP. */
export const BULK_MEMBERSHIP_MAX_ITEMS = 10_000;
/**
 * Over NATS, half as many: an answer has ~110 bytes per id, and the request and its answer must
 * each fit the server's max_payload (1 MB by default).
 */
export const BULK_MEMBERSHIP_RPC_MAX_ITEMS = 5_000;

const userIds = z.array(z.uuid({ message: 'must be a UUID' }));

/**
 * A user id may appear once in a call (in `add` or in `remove`): a repeat is refused naming its
 * index and the first one, since "add and remove the same person" has no one meaning. The count
 * limit is not here: over it the call answers 413 (PAYLOAD_TOO_LARGE), not a field error.
 */
const refuseDuplicates = (value: { add?: string[]; remove?: string[] }, ctx: z.RefinementCtx): void => {
  const seen = new Map<string, string>();
  for (const op of ['add', 'remove'] as const) {
    (value[op] ?? []).forEach((userId, index) => {
      const first = seen.get(userId.toLowerCase());
      if (first) ctx.addIssue({ code: 'custom', path: [op, index], message: `duplicate of ${first}` });
      else seen.set(userId.toLowerCase(), `${op}.${index}`);
    });
  }
};

/** The body of `POST /v1/user-groups/:id/members/bulk`, shared with the bulk RPC. */
export const BulkMembershipChanges = z.strictObject({ add: userIds.optional(), remove: userIds.optional() }).superRefine(refuseDuplicates);
export type BulkMembershipChanges = z.infer<typeof BulkMembershipChanges>;

/**
 * One answer per requested user id, in request order (`add` first, then `remove`). `unchanged`: the
 * user was already a member (add) or not a member (remove). `refused`: the id names no user of the
 * caller's organisation (another organisation's users are not told apart from unknown ids).
 */
export const BulkMembershipResult = z.object({
  userId: z.uuid(),
  op: z.enum(['add', 'remove']),
  outcome: z.enum(['added', 'removed', 'unchanged', 'refused']),
  reason: z.string().optional(),
});
export type BulkMembershipResult = z.infer<typeof BulkMembershipResult>;
export const BulkMembershipResults = z
  .object({ groupId: z.uuid(), results: z.array(BulkMembershipResult) })
  .meta({ id: 'BulkMembershipResults' });
export type BulkMembershipResults = z.infer<typeof BulkMembershipResults>;

/** The person an admin session is for, as the directory answers it and the console shows it. */
export const AdminSessionUser = z.object({
  id: z.uuid(),
  username: z.string(),
  email: z.string(),
  firstname: z.string(),
  lastname: z.string(),
  // Added after v1 (a session opened before has none).
  displayname: z.string().optional().meta({ description: "The name the person goes by; '' or absent when none is set" }),
});

export const DirectoryRpc = {
  /**
   * The IdP asks whether a username and password are right. Same answer and cost for unknown users:
   * a login name that matches no account is counted, backed off and answered as an account is.
   */
  verifyCredentials: defineRpc(
    'rpc.directory.credentials.verify.v1',
    z.object({
      organizationId: z.uuid(),
      username: z.string().min(1).max(256),
      password: z.string().min(1).max(1024),
      sourceIp: z.string().max(64).optional(),
    }),
    z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), userId: z.uuid() }),
      z.object({
        ok: z.literal(false),
        reason: z.enum(['invalid_credentials', 'not_active', 'locked_out', 'throttled']),
        /**
         * `locked_out` and `throttled`: when a check from this source may run again (ISO time), so the
         * person can be told. An unknown login name backs off as an account does, so it has one too.
         */
        retryAfter: z.iso.datetime().optional(),
        /** `not_active`, which is answered only after the right password: the account's state. */
        state: z.enum(['STAGED', 'SUSPENDED']).optional(),
      }),
    ]),
  ),
  /**
   * The IdP's account page changes the signed-in person's password. The current password is checked
   * under the same brakes as a sign-in (it counts as a sign-in attempt from `sourceIp`); the new one
   * is held to the directory's password rule, whose message is answered as `message`.
   */
  changePassword: defineRpc(
    'rpc.directory.password.change.v1',
    z.object({
      organizationId: z.uuid(),
      userId: z.uuid(),
      currentPassword: z.string().min(1).max(1024),
      newPassword: z.string().max(4096),
      sourceIp: z.string().max(64).optional(),
    }),
    z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true) }),
      z.object({
        ok: z.literal(false),
        /** `weak_password`: the new password breaks the rule; `message` says how. */
        reason: z.enum(['invalid_credentials', 'not_active', 'locked_out', 'throttled', 'weak_password']),
        retryAfter: z.iso.datetime().optional(),
        message: z.string().optional(),
      }),
    ]),
  ),
  /**
   * Other services resolve an admin API key, or with `kind: 'admin-session'` an admin console
   * session token, by its SHA-256 hash (neither crosses the bus). A session answers its person as
   * `actor` with the role they hold now: null organisation once it ended or they lost their role.
   */
  resolveApiKey: defineRpc(
    'rpc.directory.api-key.resolve.v1',
    z.object({ apiKeyHash: z.string().regex(/^[0-9a-f]{64}$/), kind: z.enum(['api-key', 'admin-session']).optional() }),
    z.object({
      organizationId: z.uuid().nullable(),
      bootstrap: z.boolean(),
      actor: z.object({ userId: z.uuid(), username: z.string(), role: z.enum(ADMIN_ROLES) }).optional(),
    }),
  ),
  /**
   * The admin console opens a session for a person the IdP signed in to it: the directory checks
   * that they are active and hold an admin role, and answers a token the console sends to every
   * service as `authorization: Bearer <token>` (only its SHA-256 is stored). Only the console's
   * NATS user may publish this subject (docs/nats-permissions.md).
   */
  openAdminSession: defineRpc(
    'rpc.directory.admin-session.open.v1',
    z.strictObject({ organizationId: z.uuid(), userId: z.uuid() }),
    z.discriminatedUnion('ok', [
      z.object({
        ok: z.literal(true),
        token: z.string(),
        expiresAt: z.iso.datetime(),
        role: z.enum(ADMIN_ROLES),
        permissions: z.array(z.enum(ADMIN_PERMISSIONS)),
        user: AdminSessionUser,
        organization: z.object({ id: z.uuid(), name: z.string() }),
      }),
      z.object({ ok: z.literal(false), reason: z.enum(['not_found', 'not_active', 'no_admin_role']) }),
    ]),
  ),
  /** The console's sign-out: the token stops working at once. */
  closeAdminSession: defineRpc(
    'rpc.directory.admin-session.close.v1',
    z.strictObject({ token: z.string().min(1).max(256) }),
    z.object({ closed: z.boolean() }),
  ),
  /** The catalog checks that a group exists in the caller's organisation before binding it. */
  getGroup: defineRpc(
    'rpc.directory.group.get.v1',
    z.object({ organizationId: z.uuid(), groupId: z.uuid() }),
    z.object({ found: z.boolean(), name: z.string().optional() }),
  ),
  /**
   * Other systems (an HR feed, an internal service) assign group members. The request carries an
   * organisation API key, exactly like the HTTP API: same validation, events and scoping. A feed
   * without the bus key may call them in plain (docs/nats-permissions.md).
   */
  addMember: defineRpc(
    'rpc.directory.membership.add.v1',
    z.strictObject({ apiKey: z.string().min(1).max(256), groupId: z.uuid(), userId: z.uuid() }),
    z.object({ groupId: z.uuid(), userId: z.uuid(), changed: z.boolean() }),
    { acceptsPlain: true },
  ),
  removeMember: defineRpc(
    'rpc.directory.membership.remove.v1',
    z.strictObject({ apiKey: z.string().min(1).max(256), groupId: z.uuid(), userId: z.uuid() }),
    z.object({ groupId: z.uuid(), userId: z.uuid(), changed: z.boolean() }),
    { acceptsPlain: true },
  ),
  /**
   * Many adds and removes in one group, in one transaction: the same rules, events and answer as
   * `POST /v1/user-groups/:id/members/bulk`, answered only once JetStream stored every event.
   */
  bulkMembers: defineRpc(
    'rpc.directory.membership.bulk.v1',
    z
      .strictObject({ apiKey: z.string().min(1).max(256), groupId: z.uuid(), add: userIds.optional(), remove: userIds.optional() })
      .superRefine(refuseDuplicates),
    BulkMembershipResults,
    { acceptsPlain: true },
  ),
} as const;
