import type { ApplicationSnapshot } from '@jit/catalog-contracts';

/** One thing a user lacks: an enabled required attribute (by its SP name) or the NameID source. */
export interface Lack {
  /** The SP attribute name, or null for the NameID. */
  spName: string | null;
  kind: 'attribute' | 'nameId';
  source: string;
}

/**
 * What a user must have a value for so that their first sign-in creates a complete account in
 * the SP: the NameID source, then each enabled required attribute mapped to a directory
 * attribute, in mapping order. Constants are always present. Whether a user has each value is
 * readiness.service.ts, from each authorised user's `present_sources` kept in
 * `catalog.application_audience` (migration 1766300000000), so that a report and a list's counts
 * cannot disagree; a value is there when it has something other than white space in it, what
 * JavaScript's String.prototype.trim leaves, which is how the IdP reads a value for the assertion
 * (the catalog's `present_sources` column, migration 1766200000000).
 */
export function requirementsOf(app: Pick<ApplicationSnapshot, 'attributes' | 'nameIdSource'>): Lack[] {
  const required: Lack[] = [{ spName: null, kind: 'nameId', source: app.nameIdSource }];
  for (const m of app.attributes) {
    if (!m.enabled || !m.required || m.constant !== null || m.source === null) continue;
    required.push({ spName: m.spName, kind: 'attribute', source: m.source });
  }
  return required;
}

/**
 * The sources an application requires a value for, besides the user's id (always there): what a
 * user's `present_sources` must contain for the user to be ready. Stored with the application
 * (`required_sources`), which `catalog.application_audience` compares each user with.
 */
export function requiredSources(app: Pick<ApplicationSnapshot, 'attributes' | 'nameIdSource'>): string[] {
  return [...new Set(requirementsOf(app).map((r) => r.source))].filter((source) => source !== 'id').sort();
}
