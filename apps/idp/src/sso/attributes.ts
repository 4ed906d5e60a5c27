import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';
import type { SamlAttribute } from '@jit/saml';

const CUSTOM_PREFIX = 'custom:';

/** A directory attribute's value for a user; `id` is the user's immutable id. */
export function directoryValue(userId: string, profile: UserProfile, source: string): string | null {
  if (source === 'id') return userId;
  if (source.startsWith(CUSTOM_PREFIX)) return profile.customAttributes[source.slice(CUSTOM_PREFIX.length)] ?? null;
  const value = (profile as unknown as Record<string, unknown>)[source];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The assertion's attributes from the application's enabled mappings. A required attribute
 * without a value is reported instead of sent empty: the SP's JIT would fail on it anyway.
 */
export function assertionAttributes(
  app: ApplicationSnapshot,
  userId: string,
  profile: UserProfile,
): { attributes: SamlAttribute[]; missing: string[] } {
  const attributes: SamlAttribute[] = [];
  const missing: string[] = [];
  for (const mapping of app.attributes) {
    if (!mapping.enabled) continue;
    const value = mapping.constant ?? (mapping.source ? directoryValue(userId, profile, mapping.source) : null);
    if (value === null) {
      if (mapping.required) missing.push(mapping.spName);
      continue;
    }
    attributes.push({ name: mapping.spName, values: [value] });
  }
  return { attributes, missing };
}
