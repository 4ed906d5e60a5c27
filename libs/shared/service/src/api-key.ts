import { createHash, randomBytes } from 'node:crypto';
import {
  Global,
  Inject,
  Injectable,
  Module,
  SetMetadata,
  createParamDecorator,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { runAsActor, type EventActor } from '@jit/messaging';
import { DomainError, ErrorCode } from './domain-error';

/** The person behind an admin console session (the directory's admin roles). */
export interface CallerActor {
  userId: string;
  username: string;
  /** An AdminRole of @jit/directory-contracts (this kit knows no service's vocabulary). */
  role: string;
}

/**
 * What a person's role allows: the permissions of @jit/directory-contracts' ROLE_PERMISSIONS,
 * and whether they are every permission there is (a route that declares none and changes
 * something needs them all).
 */
export interface CallerGrants {
  permissions: readonly string[];
  all: boolean;
}

/** Who called: the organisation of an API key, or a person's admin session. */
export interface Caller {
  organizationId: string;
  /** The bootstrap key may also create organisations. */
  bootstrap: boolean;
  /** The person of an admin session; absent for an API key (a machine, which may do everything). */
  actor?: CallerActor;
  /** The person's rights; set with `actor`, absent for an API key. */
  grants?: CallerGrants;
}

export interface ApiKeyResolver {
  resolve(apiKeyHash: string): Promise<Caller | null>;
  /**
   * An admin session by its token's SHA-256: the person's current organisation, username and role,
   * or null (unknown, expired, closed, or the person is no longer active or no longer an admin).
   * A resolver without it accepts no sessions.
   */
  resolveSession?(tokenHash: string): Promise<Caller | null>;
}
export const API_KEY_RESOLVER = Symbol('API_KEY_RESOLVER');

/**
 * API keys are 32 random bytes, so a fast hash is enough to store them safely (a slow KDF only
 * matters for guessable secrets) and lets other services look a key up by its hash.
 */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

export function newApiKey(): string {
  return 'jit_' + randomBytes(32).toString('base64url');
}

/** An admin session token: 32 random bytes, stored by the directory as their SHA-256 only (hashApiKey). */
export function newAdminSessionToken(): string {
  return 'jits_' + randomBytes(32).toString('base64url');
}

const REQUIRED_PERMISSION = 'jit:required-permission';

/**
 * The admin permission a route needs from a person (API keys may do everything). A route without
 * one needs `read` when it only reads (GET, HEAD) and every permission when it changes something,
 * so a route added without thought is closed to all but administrators.
 */
export const RequirePermission = (permission: string) => SetMetadata(REQUIRED_PERMISSION, permission);

/** What a permission lets one do, for the refusal: "Your admin role (read-only) may not change users". */
const PERMISSION_ACTIONS: Record<string, string> = {
  read: 'read this',
  'users:write': 'change users',
  'groups:write': 'change groups or their members',
  'credentials:manage': 'unlock accounts or reset passwords',
  'applications:write': 'change applications',
  'signing-keys:manage': 'rotate signing keys',
  'api-keys:manage': 'manage API keys',
  'roles:manage': 'change admin roles',
  'settings:manage': "change the organisation's settings",
};

const BEARER = /^Bearer\s+(\S+)\s*$/i;

interface RequestWithCaller {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  caller?: Caller;
  /** The first characters of the key's hash: names the key in the log (the directory stores the hash) without being a secret. */
  apiKeyFingerprint?: string;
}

/** How many hex digits of a key's SHA-256 name it in the log. */
export const API_KEY_FINGERPRINT_LENGTH = 12;

/**
 * Authenticates an admin call, by an organisation API key in `x-api-key` or a person's admin
 * console session in `authorization: Bearer <token>`, then checks the person's role against the
 * permission the route declares (RequirePermission): the service that owns the data refuses,
 * whatever the console shows.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(API_KEY_RESOLVER) private readonly resolver: ApiKeyResolver,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    const key = first(request.headers['x-api-key']);
    const authorization = first(request.headers['authorization']);
    if (key) {
      const hash = hashApiKey(key);
      const caller = await this.resolver.resolve(hash);
      if (!caller) throw new DomainError(ErrorCode.Unauthenticated, 'The API key in x-api-key is not valid');
      request.caller = caller;
      request.apiKeyFingerprint = hash.slice(0, API_KEY_FINGERPRINT_LENGTH);
      return true;
    }
    const token = authorization ? BEARER.exec(authorization)?.[1] : undefined;
    if (!token) {
      throw new DomainError(
        ErrorCode.Unauthenticated,
        'Send your organisation API key in the x-api-key header, or an admin console session as authorization: Bearer <token>',
      );
    }
    const caller = (await this.resolver.resolveSession?.(hashApiKey(token))) ?? null;
    if (!caller?.actor || !caller.grants) {
      throw new DomainError(ErrorCode.Unauthenticated, 'Your admin session has ended or you no longer hold an admin role: sign in again');
    }
    const required = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_PERMISSION, [context.getHandler(), context.getClass()]);
    const reading = request.method === 'GET' || request.method === 'HEAD';
    const allowed = required
      ? caller.grants.permissions.includes(required)
      : reading
        ? caller.grants.permissions.includes('read')
        : caller.grants.all;
    if (!allowed) {
      const action = required ? (PERMISSION_ACTIONS[required] ?? `do this (${required})`) : 'do this';
      throw new DomainError(ErrorCode.Forbidden, `Your admin role (${caller.actor.role}) may not ${action}`);
    }
    request.caller = caller;
    return true;
  }
}

function first(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

/**
 * The author of the events a request emits (Outbox reads it): every HTTP request the guard
 * authenticated runs inside its caller's actor, a person or an API key by fingerprint.
 */
@Injectable()
export class EventActorContext implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    const actor = eventActorOf(request);
    if (!actor) return next.handle();
    // The handler runs when the observable is subscribed: subscribe inside the context.
    return new Observable((subscriber) => runAsActor(actor, () => next.handle().subscribe(subscriber)));
  }
}

function eventActorOf(request: RequestWithCaller): EventActor | undefined {
  const caller = request.caller;
  if (!caller) return undefined;
  if (caller.actor) return { kind: 'person', userId: caller.actor.userId, username: caller.actor.username };
  return request.apiKeyFingerprint ? { kind: 'api-key', fingerprint: request.apiKeyFingerprint } : undefined;
}

/** The authenticated caller, set by ApiKeyGuard. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw new DomainError(ErrorCode.Unauthenticated, 'No API key was checked for this route');
  return caller;
});

/**
 * The guard and the resolver it asks, for every module of a service (global). A service whose
 * keys are another's (the catalog and the IdP ask the directory over NATS) registers that
 * resolver here; the directory, whose resolver needs its own OrganizationsService, provides both
 * in its OrganizationsModule.
 */
@Global()
@Module({})
export class ApiKeyModule {
  static register(resolver: ApiKeyResolver): DynamicModule {
    return {
      module: ApiKeyModule,
      providers: [{ provide: API_KEY_RESOLVER, useValue: resolver }, ApiKeyGuard],
      exports: [API_KEY_RESOLVER, ApiKeyGuard],
    };
  }
}
