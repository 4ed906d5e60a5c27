import { Logger } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { decodeJson, describe, refusalReason, type NatsBus } from '@jit/messaging';
import type { ApiKeyResolver, Caller } from '@jit/service';
import { z } from 'zod';
import { grantsOf, type AdminRole } from './admin-roles';
import { DirectoryEvents } from './events';
import { DirectoryRpc } from './rpc';

/** Revoked hashes remembered at most; past that the set starts over and the directory answers. */
const MAX_REVOKED = 100_000;

/**
 * How long a person's admin session answer is remembered. A person's role is read at resolution,
 * so a demotion, suspension or deletion must bite at the next request: the cache also drops a
 * person's sessions when any event about that user arrives, and this bound covers a missed event
 * (and a closed session, which has no event).
 */
export const ADMIN_SESSION_CACHE_MS = 1_000;

/** Where a resolver asks for admin sessions, and how long it may remember an answer (0: never). */
export interface SessionLookup {
  lookup: (tokenHash: string) => Promise<Caller | null>;
  ttlMs: number;
}

/** Each of these events names the user; that is all a session cache needs to drop theirs. */
const UserEvent = z.object({ userId: z.uuid() });

/**
 * An admin API key check that remembers answers briefly, so a burst of admin calls costs one
 * lookup: `lookup` asks the source of truth (the directory's table, or the directory over NATS).
 *
 * A cached "valid" must not outlive a revocation, so the resolver also listens to the
 * directory's apiKeyRevoked events and drops the key as soon as one arrives. It listens on
 * core NATS (JetStream delivers stream messages to plain subscribers too): at most once, no
 * durable consumer to manage per instance. A message missed while disconnected is covered by
 * the TTL, which stays the upper bound on staleness.
 */
export class CachedApiKeyResolver implements ApiKeyResolver {
  private readonly logger = new Logger(CachedApiKeyResolver.name);
  private readonly cache = new Map<string, { caller: Caller | null; expires: number }>();
  /** Revocation is final: a revoked hash never needs asking again, and an answer in flight for it is not cached. */
  private readonly revoked = new Set<string>();
  private readonly sessionCache = new Map<string, { caller: Caller; expires: number }>();
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly bus: NatsBus,
    private readonly lookup: (apiKeyHash: string) => Promise<Caller | null>,
    private readonly ttlMs = 5_000,
    private readonly sessions?: SessionLookup,
  ) {
    this.subscriptions.push(
      // `<type>.>`: the event's scope (organisation, key) follows its type on the wire.
      bus.connection.subscribe(bus.naming.subject(`${DirectoryEvents.apiKeyRevoked.subject}.>`), {
        callback: (error, msg) => {
          if (error) this.logger.warn(`API key revocations are not being received: ${error.message}`);
          else this.onRevoked(msg);
        },
      }),
    );
    if (sessions && sessions.ttlMs > 0) {
      // What ends a person's session without touching it: a new role (or none), a new state, deletion.
      const personChanges = [DirectoryEvents.userAdminRoleChanged, DirectoryEvents.userStateChanged, DirectoryEvents.userDeleted];
      for (const contract of personChanges) {
        this.subscriptions.push(
          bus.connection.subscribe(bus.naming.subject(`${contract.subject}.>`), {
            callback: (error, msg) => {
              if (error) this.logger.warn(`${contract.subject} is not being received for admin sessions: ${error.message}`);
              else this.onUserChanged(msg);
            },
          }),
        );
      }
    }
  }

  /** A person's admin session, remembered at most `sessions.ttlMs` and dropped when their role or state changes or they are deleted. */
  async resolveSession(tokenHash: string): Promise<Caller | null> {
    if (!this.sessions) return null;
    const now = Date.now();
    const hit = this.sessionCache.get(tokenHash);
    if (hit && hit.expires > now) return hit.caller;
    const caller = await this.sessions.lookup(tokenHash);
    if (this.sessions.ttlMs <= 0) return caller;
    if (this.sessionCache.size > 10_000) this.sessionCache.clear();
    // Only a valid session is remembered: a token opened a moment ago must work at once.
    if (caller) this.sessionCache.set(tokenHash, { caller, expires: now + this.sessions.ttlMs });
    else this.sessionCache.delete(tokenHash);
    return caller;
  }

  async resolve(apiKeyHash: string): Promise<Caller | null> {
    if (this.revoked.has(apiKeyHash)) return null;
    const now = Date.now();
    const hit = this.cache.get(apiKeyHash);
    if (hit && hit.expires > now) return hit.caller;
    const caller = await this.lookup(apiKeyHash);
    // The revocation may have arrived while the lookup was answering from before it.
    if (this.revoked.has(apiKeyHash)) return null;
    if (this.cache.size > 10_000) this.cache.clear();
    // Unknown keys are remembered only briefly: a key created a moment ago must start working.
    this.cache.set(apiKeyHash, { caller, expires: now + (caller ? this.ttlMs : 500) });
    return caller;
  }

  /** A revocation made by this process: refused from now on, before its event comes back. */
  forget(apiKeyHash: string): void {
    if (this.revoked.size >= MAX_REVOKED) this.revoked.clear();
    this.revoked.add(apiKeyHash);
    this.cache.delete(apiKeyHash);
  }

  /** Stops listening for revocations. Nest calls it at shutdown when the resolver is a provider. */
  close(): void {
    for (const subscription of this.subscriptions) {
      try {
        subscription.unsubscribe();
      } catch {
        // Already closed with its connection: nothing left to stop.
      }
    }
  }

  onApplicationShutdown(): void {
    this.close();
  }

  private onRevoked(msg: Msg): void {
    const refusal = this.bus.verifyEvent(msg.subject, msg.data, msg.headers);
    if (refusal) {
      this.logger.error(`Ignoring a revocation on ${msg.subject}: ${refusalReason(refusal)}`);
      return;
    }
    let payload: unknown;
    try {
      payload = decodeJson(msg.data);
    } catch (error) {
      this.logger.error(`Ignoring a revocation on ${msg.subject} that is not JSON: ${describe(error)}`);
      return;
    }
    const parsed = DirectoryEvents.apiKeyRevoked.schema.safeParse(payload);
    if (!parsed.success) {
      this.logger.error(`Ignoring a revocation on ${msg.subject} that fails its contract: ${parsed.error.message}`);
      return;
    }
    this.forget(parsed.data.apiKeyHash);
  }

  private onUserChanged(msg: Msg): void {
    const refusal = this.bus.verifyEvent(msg.subject, msg.data, msg.headers);
    if (refusal) {
      this.logger.error(`Ignoring a user event on ${msg.subject}: ${refusalReason(refusal)}`);
      return;
    }
    let userId: string;
    try {
      const parsed = UserEvent.safeParse(decodeJson(msg.data));
      if (!parsed.success) return;
      userId = parsed.data.userId;
    } catch {
      return;
    }
    for (const [hash, entry] of this.sessionCache) {
      if (entry.caller.actor?.userId === userId) this.sessionCache.delete(hash);
    }
  }
}

/** The Caller of a person's admin session, from the directory's answer. */
export function personCaller(organizationId: string, actor: { userId: string; username: string; role: AdminRole }): Caller {
  return { organizationId, bootstrap: false, actor, grants: grantsOf(actor.role) };
}

/**
 * How services other than the directory check an admin API key or admin session: they ask the
 * directory by the key's or token's hash.
 */
export class RemoteApiKeyResolver extends CachedApiKeyResolver {
  constructor(bus: NatsBus, ttlMs = 5_000, sessionTtlMs = ADMIN_SESSION_CACHE_MS) {
    super(
      bus,
      async (apiKeyHash) => {
        const answer = await bus.request(DirectoryRpc.resolveApiKey, { apiKeyHash });
        // A session token sent as an API key is not one.
        return answer.organizationId && !answer.actor ? { organizationId: answer.organizationId, bootstrap: answer.bootstrap } : null;
      },
      ttlMs,
      {
        ttlMs: sessionTtlMs,
        lookup: async (tokenHash) => {
          const answer = await bus.request(DirectoryRpc.resolveApiKey, { apiKeyHash: tokenHash, kind: 'admin-session' });
          return answer.organizationId && answer.actor ? personCaller(answer.organizationId, answer.actor) : null;
        },
      },
    );
  }
}
