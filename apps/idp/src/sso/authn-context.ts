import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import { AUTHN_CONTEXT_CLASS as AC, type RequestedAuthnContext } from '@jit/saml';

/**
 * The authentication context classes the IdP can assert, weakest first, with their strength
 * (docs/architecture.md, "Authentication context"):
 *
 * 0. unspecified: says nothing about how; true of every sign-in.
 * 1. Password: a password. The class speaks of an unprotected transport; the IdP's is TLS, so this
 *    understates what happened, which an SP that asks for it may have.
 * 2. PasswordProtectedTransport: a password over TLS, what every sign-in here starts with.
 * 3. The REFEDS MFA profile and Microsoft's multipleauthn: a password and a second factor. The two
 *    say the same thing to different SPs, so they are equally strong.
 *
 * Anything else (Kerberos, X509, smartcards, an SP's private class) is unknown: no request is
 * met with it, so a request naming only such classes is answered NoAuthnContext.
 */
export const AUTHN_CONTEXT_STRENGTH: ReadonlyMap<string, number> = new Map([
  [AC.unspecified, 0],
  [AC.password, 1],
  [AC.passwordProtectedTransport, 2],
  [AC.refedsMfa, 3],
  [AC.microsoftMultipleAuthn, 3],
]);
const PASSWORD_STRENGTH = 2;
const MFA_STRENGTH = 3;

/** What the person has given in this session: a password, or a password and a second factor. */
export type Authenticated = 'password' | 'mfa';

export type AuthnContextDecision =
  /** Assert this class: it is true of the sign-in and meets the request. */
  | { kind: 'assert'; classRef: string }
  /** Only a second factor meets the request: ask for one (or enrol one), then decide again. */
  | { kind: 'second_factor' }
  /** Nothing the IdP can do meets it: answer NoAuthnContext. */
  | { kind: 'unmet'; detail: string };

/** The multi-factor class an application is told by default: REFEDS MFA, or multipleauthn for Microsoft Entra ID. */
export function preferredMfaClass(snapshot: Pick<ApplicationSnapshot, 'mfaAuthnContext'>): string {
  return snapshot.mfaAuthnContext === 'microsoft-multipleauthn' ? AC.microsoftMultipleAuthn : AC.refedsMfa;
}

/**
 * The class to assert for a sign-in, per SAML core 3.3.2.2.1, given what the SP requested.
 *
 * - No request: the strongest class that is true (PasswordProtectedTransport, or the
 *   application's multi-factor class after a second factor).
 * - The acceptable classes are the known ones that compare with at least one requested class
 *   (as Shibboleth does with a list): exact, the class itself; minimum, as strong or stronger;
 *   better, stronger; maximum, as strong or weaker. Unknown classes match nothing; a request
 *   by AuthnContextDeclRef is never met (the IdP publishes no declarations).
 * - Of the acceptable classes that are true of the sign-in, the strongest is asserted (between
 *   the two equal multi-factor classes, one the request names, then the application's). So an exact
 *   PasswordProtectedTransport request (node-saml's and passport-saml's default) is met after a
 *   password and a second factor too, with PasswordProtectedTransport: a password was given over
 *   TLS, and the assertion never names a class the SP did not accept.
 * - When only a multi-factor class is acceptable and the person gave a password alone, a second
 *   factor is due. A maximum request is met with what the sign-in already has, never by asking more.
 */
export function decideAuthnContext(
  requested: RequestedAuthnContext | undefined,
  authenticated: Authenticated,
  preferredMfa: string,
): AuthnContextDecision {
  const reached = authenticated === 'mfa' ? MFA_STRENGTH : PASSWORD_STRENGTH;
  if (!requested) return { kind: 'assert', classRef: authenticated === 'mfa' ? preferredMfa : AC.passwordProtectedTransport };
  if (requested.declRefs.length > 0)
    return { kind: 'unmet', detail: 'authentication context declarations (AuthnContextDeclRef) are not supported' };
  const acceptable = acceptableClasses(requested);
  if (acceptable.length === 0) return { kind: 'unmet', detail: unmetDetail(requested) };
  const strength = (c: string) => AUTHN_CONTEXT_STRENGTH.get(c) ?? -1;
  const truthful = acceptable.filter((c) => strength(c) <= reached);
  if (truthful.length === 0) return { kind: 'second_factor' };
  const best = Math.max(...truthful.map(strength));
  const strongest = truthful.filter((c) => strength(c) === best);
  // Between the two equal multi-factor classes: one the SP named (it reads that one), and of
  // those, or failing them, the application's.
  const named = strongest.filter((c) => requested.classRefs.includes(c));
  const pool = named.length > 0 ? named : strongest;
  return { kind: 'assert', classRef: pool.includes(preferredMfa) ? preferredMfa : pool[0] };
}

/** The known classes that meet the request, weakest first (the map's order). */
export function acceptableClasses({ comparison, classRefs }: Pick<RequestedAuthnContext, 'comparison' | 'classRefs'>): string[] {
  const requestedStrengths = classRefs.flatMap((c) => {
    const s = AUTHN_CONTEXT_STRENGTH.get(c);
    return s === undefined ? [] : [s];
  });
  return [...AUTHN_CONTEXT_STRENGTH].flatMap(([classRef, s]) => {
    const meets = (() => {
      switch (comparison) {
        case 'exact':
          return classRefs.includes(classRef);
        case 'minimum':
          return requestedStrengths.some((r) => s >= r);
        case 'better':
          return requestedStrengths.some((r) => s > r);
        case 'maximum':
          return requestedStrengths.some((r) => s <= r);
      }
    })();
    return meets ? [classRef] : [];
  });
}

function unmetDetail({ comparison, classRefs }: RequestedAuthnContext): string {
  const named = classRefs.join(', ');
  if (!classRefs.some((c) => AUTHN_CONTEXT_STRENGTH.has(c))) return `no requested class is one this identity provider supports (${named})`;
  // A known class meets itself under exact, minimum and maximum: only `better` than the strongest is left.
  return `no class this identity provider supports is ${comparison === 'better' ? 'stronger than' : comparison} ${named}`;
}

/** Whether the request is met only once a person who gave a password alone gives a second factor too. */
export function secondFactorRequested(requested: RequestedAuthnContext | undefined): boolean {
  return decideAuthnContext(requested, 'password', AC.refedsMfa).kind === 'second_factor';
}
