import { createHash, randomBytes } from 'node:crypto';
import {
  Global,
  Inject,
  Injectable,
  Module,
  createParamDecorator,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { DomainError, ErrorCode } from './domain-error';

/** Who called: the organisation an API key belongs to. */
export interface Caller {
  organizationId: string;
  /** The bootstrap key may also create organisations. */
  bootstrap: boolean;
}

export interface ApiKeyResolver {
  resolve(apiKeyHash: string): Promise<Caller | null>;
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

interface RequestWithCaller {
  headers: Record<string, string | string[] | undefined>;
  caller?: Caller;
  /** The first characters of the key's hash: names the key in the log (the directory stores the hash) without being a secret. */
  apiKeyFingerprint?: string;
}

/** How many hex digits of a key's SHA-256 name it in the log. */
export const API_KEY_FINGERPRINT_LENGTH = 12;

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(API_KEY_RESOLVER) private readonly resolver: ApiKeyResolver) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    const header = request.headers['x-api-key'];
    const key = Array.isArray(header) ? header[0] : header;
    if (!key) throw new DomainError(ErrorCode.Unauthenticated, 'Send your organisation API key in the x-api-key header');
    const hash = hashApiKey(key);
    const caller = await this.resolver.resolve(hash);
    if (!caller) throw new DomainError(ErrorCode.Unauthenticated, 'The API key in x-api-key is not valid');
    request.caller = caller;
    request.apiKeyFingerprint = hash.slice(0, API_KEY_FINGERPRINT_LENGTH);
    return true;
  }
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
