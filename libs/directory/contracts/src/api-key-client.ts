import type { NatsBus } from '@jit/messaging';
import type { ApiKeyResolver, Caller } from '@jit/service';
import { DirectoryRpc } from './rpc';

/**
 * How services other than the directory check an admin API key: they ask the directory by the
 * key's hash and remember the answer briefly, so a burst of admin calls costs one round trip.
 */
export class RemoteApiKeyResolver implements ApiKeyResolver {
  private readonly cache = new Map<string, { caller: Caller | null; expires: number }>();

  constructor(
    private readonly bus: NatsBus,
    private readonly ttlMs = 5_000,
  ) {}

  async resolve(apiKeyHash: string): Promise<Caller | null> {
    const now = Date.now();
    const hit = this.cache.get(apiKeyHash);
    if (hit && hit.expires > now) return hit.caller;
    const answer = await this.bus.request(DirectoryRpc.resolveApiKey, { apiKeyHash });
    const caller = answer.organizationId ? { organizationId: answer.organizationId, bootstrap: answer.bootstrap } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    // Unknown keys are remembered only briefly: a key created a moment ago must start working.
    this.cache.set(apiKeyHash, { caller, expires: now + (caller ? this.ttlMs : 500) });
    return caller;
  }
}
