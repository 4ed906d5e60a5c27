import * as argon2 from 'argon2';

/** argon2id with OWASP's second recommended setting (19 MiB, t=2, p=1). */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export type Refusal = 'locked_out' | 'throttled';
export type PasswordOutcome =
  { outcome: 'ok'; userId: string } | { outcome: 'invalid_credentials' | 'not_active' | Refusal; userId: string | null };

export interface Candidate {
  id: string;
  passwordHash: string | null;
  state: string;
}

/**
 * The decision of a sign-in's password check, with exactly one `verify` on every path: an
 * unknown user, a user without a password and a refused check verify `dummyHash` (made with the
 * same parameters as real hashes) instead, so no answer says by its cost which case it was, and
 * a refused check learns nothing about the password.
 */
export async function checkPassword(
  candidate: Candidate | null,
  password: string,
  refused: Refusal | null,
  dummyHash: string,
  verify: (hash: string, password: string) => Promise<boolean>,
): Promise<PasswordOutcome> {
  const userId = candidate?.id ?? null;
  const hash = refused === null ? candidate?.passwordHash : null;
  const matches = await verify(hash ?? dummyHash, password).catch(() => false);
  if (refused !== null) return { outcome: refused, userId };
  if (!candidate?.passwordHash || !matches) return { outcome: 'invalid_credentials', userId };
  if (candidate.state !== 'ACTIVATED') return { outcome: 'not_active', userId };
  return { outcome: 'ok', userId: candidate.id };
}
