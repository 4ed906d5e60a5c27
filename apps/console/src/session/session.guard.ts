import { timingSafeEqual } from 'node:crypto';
import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError, ErrorCode } from '@jit/service';
import { signedIn, type SignedIn } from './console-session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const SIGN_IN = 'Sign in';

/** 401 without a signed-in session; 403 for a mutating request without the session's CSRF token. */
export function requireSession(req: Request): SignedIn {
  const session = signedIn(req);
  if (!session) throw new DomainError(ErrorCode.Unauthenticated, SIGN_IN);
  if (!SAFE_METHODS.has(req.method) && !sameToken(req.headers['x-csrf-token'], session.csrfToken)) {
    throw new DomainError(
      ErrorCode.Forbidden,
      'This request changes something and needs the header x-csrf-token with the csrfToken that /api/me answers',
    );
  }
  return session;
}

function sameToken(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The console's /api routes: a signed-in person, and the CSRF header on anything that changes state. */
@Injectable()
export class ConsoleSessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { signedIn?: SignedIn }>();
    req.signedIn = requireSession(req);
    return true;
  }
}

/** The signed-in person, set by ConsoleSessionGuard. */
export const CurrentSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SignedIn => context.switchToHttp().getRequest<{ signedIn: SignedIn }>().signedIn,
);
