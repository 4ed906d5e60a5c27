import { Logger } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { decodeJson, describe, refusalReason, type NatsBus } from '@jit/messaging';
import type { ApiKeyResolver, Caller } from '@jit/service';
import { DirectoryEvents } from './events';
import { DirectoryRpc } from './rpc';

/** Revoked hashes remembered at most; past that the set starts over and the directory answers. */
const MAX_REVOKED = 100_000;

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
  private readonly subscription: Subscription;

  constructor(
    private readonly bus: NatsBus,
    private readonly lookup: (apiKeyHash: string) => Promise<Caller | null>,
    private readonly ttlMs = 5_000,
  ) {
    this.subscription = bus.connection.subscribe(bus.naming.subject(DirectoryEvents.apiKeyRevoked.subject), {
      callback: (error, msg) => {
        if (error) this.logger.warn(`API key revocations are not being received: ${error.message}`);
        else this.onRevoked(msg);
      },
    });
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
    try {
      this.subscription.unsubscribe();
    } catch {
      // Already closed with its connection: nothing left to stop.
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
}

/** How services other than the directory check an admin API key: they ask the directory by the key's hash. */
export class RemoteApiKeyResolver extends CachedApiKeyResolver {
  constructor(bus: NatsBus, ttlMs = 5_000) {
    super(
      bus,
      async (apiKeyHash) => {
        const answer = await bus.request(DirectoryRpc.resolveApiKey, { apiKeyHash });
        return answer.organizationId ? { organizationId: answer.organizationId, bootstrap: answer.bootstrap } : null;
      },
      ttlMs,
    );
  }
}
