import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who caused an event: a person signed in to the admin console, or an API key named by the first
 * 12 hex digits of its SHA-256 (never the key). Events emitted outside a request (a bootstrap, the
 * relay, a consumer) carry none.
 */
export type EventActor = { kind: 'person'; userId: string; username: string } | { kind: 'api-key'; fingerprint: string };

const current = new AsyncLocalStorage<EventActor>();

/**
 * Runs `work` with `actor` as the author of every event the outbox emits within it, however deep
 * the call goes (the service kit wraps each authenticated HTTP request in it), so no service
 * method has to pass the caller down to its events.
 */
export function runAsActor<T>(actor: EventActor, work: () => T): T {
  return current.run(actor, work);
}

/** The actor of the request being served; undefined outside one. */
export function currentActor(): EventActor | undefined {
  return current.getStore();
}
