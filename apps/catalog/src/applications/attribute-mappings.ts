import { CUSTOM_ATTRIBUTE_NAME, STANDARD_USER_ATTRIBUTES } from '@jit/directory-contracts';
import type { AttributeMapping } from '@jit/catalog-contracts';
import type { FieldProblem } from '@jit/service';
import { GENERIC_CONNECTOR_ID, PLACEHOLDER, type Connector } from '../connectors/connector';

/** What an admin may send for one attribute. */
export interface MappingInput {
  spName: string;
  source?: string | null;
  constant?: string | null;
  enabled?: boolean;
  required?: boolean;
  multiValued?: boolean;
  /** Gives an admin-added attribute another SP name; refused for a pre-built connector's own. */
  renameTo?: string;
  /** Drops an admin-added attribute; a pre-built connector's own can only be switched off. */
  remove?: boolean;
}

export const CUSTOM_PREFIX = 'custom:';

/**
 * A source is a standard directory attribute, or `custom:<name>` for a custom attribute the
 * directory knows (one at least one user of the organisation has, as GET /v1/user-attributes
 * of the directory lists them; the catalog learns them from the directory's user events).
 */
export function isValidSource(source: string, customNames: readonly string[]): boolean {
  if (source.startsWith(CUSTOM_PREFIX)) {
    const name = source.slice(CUSTOM_PREFIX.length);
    return CUSTOM_ATTRIBUTE_NAME.test(name) && customNames.includes(name);
  }
  return (STANDARD_USER_ATTRIBUTES as readonly string[]).includes(source);
}

export function validSourcesText(customNames: readonly string[]): string {
  const custom = customNames.length > 0 ? customNames.map((n) => CUSTOM_PREFIX + n).join(', ') : 'no custom attributes yet';
  return `${STANDARD_USER_ATTRIBUTES.join(', ')}; custom: ${custom}`;
}

export function unknownSourceMessage(source: string, customNames: readonly string[]): string {
  return `unknown directory attribute "${source}"; valid names: ${validSourcesText(customNames)}`;
}

/** The connector-defined attributes of a pre-built connector, whose SP names are fixed. */
export function fixedAttributes(connector: Connector): Map<string, Connector['attributes'][number]> {
  return new Map(connector.id === GENERIC_CONNECTOR_ID ? [] : connector.attributes.map((a) => [a.spName, a]));
}

/**
 * Applies an admin's attribute entries to a connector's defaults (the seed's rules): a pre-built
 * connector's attributes are pre-populated and enabled, their SP names fixed; an entry with the
 * same spName changes its source or constant or switches it off. Extra entries are the admin's
 * own attributes, which may also be renamed or removed. Returns the mappings, or the problems,
 * each naming its field.
 */
export function resolveMappings(
  connector: Connector,
  current: readonly AttributeMapping[] | null,
  inputs: readonly MappingInput[] | undefined,
  customNames: readonly string[] = [],
): { mappings: AttributeMapping[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const base: AttributeMapping[] =
    // Mappings stored before multiValued existed read as single-valued.
    current?.map((m) => ({ ...m, multiValued: m.multiValued ?? false })) ??
    connector.attributes.map((a) => ({
      spName: a.spName,
      source: a.source ?? null,
      constant: a.constant ?? null,
      enabled: a.enabled,
      required: a.required,
      multiValued: a.multiValued,
    }));
  const fixed = fixedAttributes(connector);
  const seen = new Set<string>();
  let result = [...base];
  const touched = new Map<string, string>();
  /** Entries refused as a whole: their stored state says nothing about what the admin wants. */
  const unchanged = new Set<string>();
  (inputs ?? []).forEach((input, index) => {
    const field = `attributes.${index}`;
    if (seen.has(input.spName)) {
      problems.push({ field: `${field}.spName`, message: `"${input.spName}" appears twice` });
      return;
    }
    seen.add(input.spName);
    const hasSource = input.source !== undefined && input.source !== null;
    const hasConstant = input.constant !== undefined && input.constant !== null;
    if (hasSource && hasConstant) {
      problems.push({ field, message: 'give either source or constant, not both' });
      return;
    }
    if (hasSource && !isValidSource(input.source as string, customNames)) {
      problems.push({ field: `${field}.source`, message: unknownSourceMessage(input.source as string, customNames) });
      return;
    }
    const existing = result.find((m) => m.spName === input.spName);
    const locked = fixed.get(input.spName);
    if (locked && existing) {
      const refused = lockedProblem(locked, input);
      if (refused) {
        problems.push({ field: `${field}.${refused.field}`, message: refused.message });
        unchanged.add(input.spName);
        return;
      }
    }
    if (!existing) {
      if (input.remove || input.renameTo !== undefined) {
        problems.push({ field: `${field}.spName`, message: `the application has no attribute "${input.spName}"` });
        return;
      }
      if (!hasSource && !hasConstant) {
        problems.push({ field, message: 'a new attribute needs a source (directory attribute) or a constant' });
        return;
      }
      result.push({
        spName: input.spName,
        source: hasSource ? (input.source as string) : null,
        constant: hasConstant ? (input.constant as string) : null,
        enabled: input.enabled ?? true,
        required: input.required ?? false,
        multiValued: input.multiValued ?? false,
      });
      touched.set(input.spName, field);
      return;
    }
    if (input.remove) {
      result = result.filter((m) => m !== existing);
      return;
    }
    if (input.renameTo !== undefined && input.renameTo !== existing.spName) {
      if (result.some((m) => m.spName === input.renameTo) || fixed.has(input.renameTo)) {
        problems.push({ field: `${field}.renameTo`, message: `"${input.renameTo}" is already an attribute of the application` });
        return;
      }
      existing.spName = input.renameTo;
    }
    if (hasSource) [existing.source, existing.constant] = [input.source as string, null];
    if (hasConstant) [existing.source, existing.constant] = [null, input.constant as string];
    if (input.enabled !== undefined) existing.enabled = input.enabled;
    if (input.required !== undefined) existing.required = input.required;
    if (input.multiValued !== undefined) existing.multiValued = input.multiValued;
    touched.set(existing.spName, field);
  });
  // A pre-built connector's attributes can be switched off, never removed or renamed.
  for (const name of fixed.keys()) {
    if (!result.some((m) => m.spName === name)) problems.push({ field: 'attributes', message: `"${name}" is fixed by the connector` });
  }
  // An example value such as an AWS role ARN template must be made the organisation's own.
  for (const m of result) {
    const placeholders = m.enabled && m.constant !== null && !unchanged.has(m.spName) ? m.constant.match(PLACEHOLDER) : null;
    if (placeholders) {
      problems.push({
        field: touched.get(m.spName) ?? 'attributes',
        message: `"${m.spName}": replace ${[...new Set(placeholders)].join(', ')} in the constant with your own values (or switch it off)`,
      });
    }
  }
  return { mappings: result, problems };
}

function lockedProblem(locked: Connector['attributes'][number], input: MappingInput): FieldProblem | null {
  if (input.renameTo !== undefined && input.renameTo !== input.spName) {
    return {
      field: 'renameTo',
      message: `"${input.spName}" is the name the SP expects and is fixed by the connector; change its source or constant, or switch it off with enabled: false`,
    };
  }
  if (input.remove) {
    return { field: 'remove', message: `"${input.spName}" is fixed by the connector; switch it off with enabled: false instead` };
  }
  if (input.required !== undefined && input.required !== locked.required) {
    return { field: 'required', message: `whether "${input.spName}" is required is fixed by the connector` };
  }
  if (locked.multiValued && input.multiValued === false) {
    return { field: 'multiValued', message: `the SP expects "${input.spName}" multi-valued (one AttributeValue per value)` };
  }
  return null;
}
