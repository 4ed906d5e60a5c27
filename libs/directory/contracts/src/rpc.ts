import { z } from 'zod';
import { defineRpc } from '@jit/messaging';

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
  /** Other services resolve an admin API key (by its SHA-256 hash; the key never crosses the bus). */
  resolveApiKey: defineRpc(
    'rpc.directory.api-key.resolve.v1',
    z.object({ apiKeyHash: z.string().regex(/^[0-9a-f]{64}$/) }),
    z.object({ organizationId: z.uuid().nullable(), bootstrap: z.boolean() }),
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
} as const;
