import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';
import { CUSTOM_PREFIX } from './attribute-mappings';

/** One thing a user lacks: an enabled required attribute (by its SP name) or the NameID source. */
export interface Lack {
  /** The SP attribute name, or null for the NameID. */
  spName: string | null;
  kind: 'attribute' | 'nameId';
  source: string;
}

/** A user's value of a directory attribute, read the way the IdP reads it for the assertion; empty is no value. */
export function hasValue(userId: string, profile: UserProfile, source: string): boolean {
  if (source === 'id') return userId !== '';
  const value = source.startsWith(CUSTOM_PREFIX)
    ? profile.customAttributes[source.slice(CUSTOM_PREFIX.length)]
    : (profile as unknown as Record<string, unknown>)[source];
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * What stops a user's first sign-in from creating a complete account in the SP: the enabled
 * required attributes mapped to a directory attribute the user has no value for, and the NameID
 * source if it is empty. Constants are always present.
 */
export function missingForUser(
  app: Pick<ApplicationSnapshot, 'attributes' | 'nameIdSource'>,
  userId: string,
  profile: UserProfile,
): Lack[] {
  const lacks: Lack[] = [];
  if (!hasValue(userId, profile, app.nameIdSource)) lacks.push({ spName: null, kind: 'nameId', source: app.nameIdSource });
  for (const m of app.attributes) {
    if (!m.enabled || !m.required || m.constant !== null || m.source === null) continue;
    if (!hasValue(userId, profile, m.source)) lacks.push({ spName: m.spName, kind: 'attribute', source: m.source });
  }
  return lacks;
}
