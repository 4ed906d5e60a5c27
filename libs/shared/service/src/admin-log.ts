import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { tap, type Observable } from 'rxjs';
import type { Caller } from './api-key';
import { SERVICE_LOGGER } from './logger';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface AdminRequest {
  method: string;
  params?: Record<string, string>;
  caller?: Caller;
  apiKeyFingerprint?: string;
  /** Fastify: the route's pattern. */
  routeOptions?: { url?: string };
  /** Express: the matched route. */
  route?: { path?: string };
  baseUrl?: string;
}

/**
 * Who made a change: a person signed in to the admin console, by username and id; the bootstrap
 * key; or an organisation's key named by the start of its SHA-256 (the directory keeps that hash:
 * `SELECT id, name FROM directory.api_keys WHERE key_hash LIKE '<fingerprint>%'`), which says
 * which key without being usable as one.
 */
function actorOf(request: AdminRequest & { caller: Caller }): Record<string, string> {
  const person = request.caller.actor;
  const actor = person
    ? `person ${person.username} (${person.userId})`
    : request.caller.bootstrap
      ? 'bootstrap key'
      : `API key ${request.apiKeyFingerprint ?? '(unknown)'}`;
  return { actor, organizationId: request.caller.organizationId };
}

/**
 * One info line per admin change, for every service at once: a mutating request that an API key
 * or an admin session authenticated (ApiKeyGuard set `caller`) and that succeeded. It names who
 * (the key or the person), what (the route pattern) and which (the path's ids, and the id of what
 * was created), never a body, so no password, key or personal attribute reaches the log.
 */
@Injectable()
export class AdminChangeLog implements NestInterceptor {
  constructor(@Inject(SERVICE_LOGGER) private readonly logger: Pino) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AdminRequest>();
    if (!MUTATING.has(request.method)) return next.handle();
    return next.handle().pipe(
      tap((result: unknown) => {
        // Guards run before interceptors: a request without `caller` is not an admin call (a
        // person signing in, a SAML POST).
        const caller = request.caller;
        if (!caller) return;
        const actor = actorOf({ ...request, caller });
        const route = request.routeOptions?.url ?? `${request.baseUrl ?? ''}${request.route?.path ?? ''}`;
        const createdId = typeof result === 'object' && result !== null && typeof (result as { id?: unknown }).id === 'string';
        const target = { ...request.params, ...(createdId ? { id: (result as { id: string }).id } : {}) };
        const ids = Object.entries(target)
          .map(([name, value]) => `${name}=${value}`)
          .join(' ');
        this.logger.info(
          { context: 'AdminChange', ...actor, action: `${request.method} ${route}`, target },
          `${request.method} ${route}${ids ? ` (${ids})` : ''} by ${actor.actor}`,
        );
      }),
    );
  }
}
