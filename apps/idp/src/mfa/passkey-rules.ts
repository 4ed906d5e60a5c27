/** The WebAuthn relying party the IdP is: from its public URL, never from a request's Host header. */
export interface RelyingParty {
  /** The rpID: the public URL's host name (no port). */
  id: string;
  /** The one origin a passkey's answer may come from. */
  origin: string;
  /** What the authenticator shows beside the passkey. */
  name: string;
}

export function webAuthnRelyingParty(baseUrl: string): RelyingParty {
  const url = new URL(baseUrl);
  return { id: url.hostname, origin: url.origin, name: url.hostname };
}

/** A passkey's answer as the form posts it: JSON the browser library made, at most this long. */
export const MAX_CREDENTIAL_JSON = 16_384;
export const MAX_PASSKEY_NAME = 64;

/**
 * Parses the `credential` field the page posts (@simplewebauthn/browser's JSON) into what the
 * server library verifies, or null when it is not that shape: too long, not JSON, an id or a
 * field of `response` missing (`field`: attestationObject for a registration, authenticatorData
 * for a sign-in). The library checks everything else.
 */
export function parseCredentialJson<T>(json: string | undefined, field: 'attestationObject' | 'authenticatorData'): T | null {
  if (!json || json.length > MAX_CREDENTIAL_JSON) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const v = value as { id?: unknown; rawId?: unknown; type?: unknown; response?: Record<string, unknown> };
  const b64url = (x: unknown) => typeof x === 'string' && x.length > 0 && /^[A-Za-z0-9_-]+$/.test(x);
  if (!b64url(v.id) || !b64url(v.rawId) || v.type !== 'public-key') return null;
  if (
    !v.response ||
    typeof v.response !== 'object' ||
    typeof v.response.clientDataJSON !== 'string' ||
    typeof v.response[field] !== 'string'
  )
    return null;
  return { clientExtensionResults: {}, ...value } as T;
}

/**
 * The name a person gives a passkey, or why it cannot be used: trimmed, 1-64 characters, no
 * control characters. Null or empty: "Passkey".
 */
export function passkeyNameProblem(name: string | undefined): string | null {
  const trimmed = (name ?? '').trim();
  if (trimmed.length > MAX_PASSKEY_NAME) return `Use at most ${MAX_PASSKEY_NAME} characters.`;
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(trimmed)) return 'Use letters, digits and spaces only.';
  return null;
}

export function passkeyName(name: string | undefined): string {
  const trimmed = (name ?? '').trim();
  return trimmed && passkeyNameProblem(trimmed) === null ? trimmed : 'Passkey';
}

/** What the person reads when a new passkey is refused. */
export function registrationRefusal(reason: 'expired' | 'malformed' | 'invalid_passkey' | 'already_registered'): string {
  switch (reason) {
    case 'expired':
      return 'The passkey request expired. Try again.';
    case 'already_registered':
      return 'That passkey is registered already.';
    case 'malformed':
    case 'invalid_passkey':
      return 'The new passkey could not be checked. Try again, or use an authenticator app.';
  }
}
