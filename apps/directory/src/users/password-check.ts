import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import type { UserState } from '@jit/directory-contracts';

/** argon2id with OWASP's second recommended setting (19 MiB, t=2, p=1). */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export type PasswordOutcome =
  | { outcome: 'ok'; userId: string }
  | { outcome: 'invalid_credentials'; userId: string | null }
  /** Only after the right password: the state may be told to whoever knows it. */
  | { outcome: 'not_active'; userId: string; state: Exclude<UserState, 'ACTIVATED'> };

export interface Candidate {
  id: string;
  passwordHash: string | null;
  state: UserState;
}

/**
 * The decision of a sign-in's password check, with exactly one `verify` on every path: an
 * unknown user and a user without a password verify `dummyHash` (made with the same parameters
 * as real hashes) instead, so no answer says by its cost which case it was. A throttled or
 * locked check never gets here: it is refused before any hash is touched.
 */
export async function checkPassword(
  candidate: Candidate | null,
  password: string,
  dummyHash: string,
  verify: (hash: string, password: string) => Promise<boolean>,
): Promise<PasswordOutcome> {
  const userId = candidate?.id ?? null;
  const matches = await verify(candidate?.passwordHash ?? dummyHash, password).catch(() => false);
  if (!candidate?.passwordHash || !matches) return { outcome: 'invalid_credentials', userId };
  if (candidate.state !== 'ACTIVATED') return { outcome: 'not_active', userId: candidate.id, state: candidate.state };
  return { outcome: 'ok', userId: candidate.id };
}

/** The one place passwords are hashed and verified (argon2id), so that its cost is in one place too. */
@Injectable()
export class PasswordHasher {
  /** Verified against for unknown users, so that they cost the same as a wrong password. */
  private readonly dummyHash = this.hash(randomUUID());

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password);
  }

  /** A sign-in's check: one verify, of the candidate's hash or of the dummy one. */
  async check(candidate: Candidate | null, password: string): Promise<PasswordOutcome> {
    return checkPassword(candidate, password, await this.dummyHash, (hash, attempt) => this.verify(hash, attempt));
  }
}
