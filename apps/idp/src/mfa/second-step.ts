/** How long a verification lets the person change their factors (add, remove, new recovery codes), unless IDP_REVERIFY_SECONDS says otherwise. */
export const REVERIFY_MS = 5 * 60_000;

export interface SecondStepDue {
  stage: 'verify' | 'enrol';
  /** Only a passkey will do (the application requires a phishing-resistant factor). */
  passkeyOnly: boolean;
}

/**
 * Which second step a person must take before an assertion goes out, or null. `session`: how the
 * session signed in, or 'password' when the password was given just now (then a person with a
 * factor always gives it, whatever the policy). `factorRequired`: the organisation's policy or
 * the application requires MFA. `phishingResistantRequired`: the application requires a passkey,
 * which neither a password, a TOTP code nor a recovery code is: such a session steps up, and a
 * person without a passkey enrols one.
 */
export function secondStepDue(input: {
  session: 'password' | { mfa?: boolean; phishingResistant?: boolean };
  factorRequired: boolean;
  phishingResistantRequired: boolean;
  hasFactor: boolean;
  hasPasskey: boolean;
}): SecondStepDue | null {
  const { session } = input;
  const phishingResistant = session !== 'password' && session.phishingResistant === true;
  if (input.phishingResistantRequired && !phishingResistant) return { stage: input.hasPasskey ? 'verify' : 'enrol', passkeyOnly: true };
  const mfa = session !== 'password' && session.mfa === true;
  if (mfa) return null;
  if (input.hasFactor && (session === 'password' || input.factorRequired)) return { stage: 'verify', passkeyOnly: false };
  if (input.factorRequired) return { stage: 'enrol', passkeyOnly: false };
  return null;
}

/** Whether the person proved it is them in this session within `windowMs` (a sign-in or a re-verification). */
export function recentlyVerified(user: { verifiedAt?: number } | undefined, now: number, windowMs = REVERIFY_MS): boolean {
  return user?.verifiedAt !== undefined && now - user.verifiedAt >= 0 && now - user.verifiedAt <= windowMs;
}
