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
  groupNames: readonly string[] = [],
): { attributes: SamlAttribute[]; missing: string[] } {
  const attributes: SamlAttribute[] = [];
  const missing: string[] = [];
  for (const mapping of app.attributes) {
    if (!mapping.enabled) continue;
    const value = mapping.constant ?? (mapping.source ? directoryValue(userId, profile, mapping.source) : null);
    const values = value === null ? [] : mapping.multiValued ? splitValues(value) : [value];
    if (values.length === 0) {
      if (mapping.required) missing.push(mapping.spName);
      continue;
    }
    attributes.push({ name: mapping.spName, values });
  }
  if (app.groupsAttribute) {
    const filter = app.groupsAttribute.filter?.toLowerCase();
    const names = filter ? groupNames.filter((n) => n.toLowerCase().includes(filter)) : [...groupNames];
    // No groups means no attribute: an empty Attribute would read as "one empty value" to some SPs.
    if (names.length > 0) attributes.push({ name: app.groupsAttribute.spName, values: names });
  }
  return { attributes, missing };
}

/**
 * The values of a multi-valued mapping. Directory attributes are strings, so a list is held
 * either as a JSON array of strings or one value per line; commas are not separators (an AWS
 * Role value is "role ARN,provider ARN").
 */
export function splitValues(value: string): string[] {
  if (value.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed.filter((v) => v !== '');
    } catch {
      // Not JSON: one value per line.
    }
  }
  return value.split(/\r\n|\n/).filter((v) => v.trim() !== '');
}
