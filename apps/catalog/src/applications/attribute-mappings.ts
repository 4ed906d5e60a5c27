import { CUSTOM_ATTRIBUTE_NAME, STANDARD_USER_ATTRIBUTES } from '@jit/directory-contracts';
import type { AttributeMapping } from '@jit/catalog-contracts';
import type { FieldProblem } from '@jit/service';
import { GENERIC_CONNECTOR_ID, type Connector } from '../connectors/connector';

/** What an admin may send for one attribute. */
export interface MappingInput {
  spName: string;
  source?: string | null;
  constant?: string | null;
  enabled?: boolean;
}

export const CUSTOM_PREFIX = 'custom:';

export function isValidSource(source: string): boolean {
  if (source.startsWith(CUSTOM_PREFIX)) return CUSTOM_ATTRIBUTE_NAME.test(source.slice(CUSTOM_PREFIX.length));
  return (STANDARD_USER_ATTRIBUTES as readonly string[]).includes(source);
}

export const VALID_SOURCES_TEXT = `${STANDARD_USER_ATTRIBUTES.join(', ')}, or custom:<name> for a custom attribute`;

/**
 * Applies an admin's attribute entries to a connector's defaults (the seed's rules): a pre-built
 * connector's attributes are pre-populated and enabled, their SP names fixed; an entry with the
 * same spName changes its source or constant or switches it off. Extra entries are the admin's
 * own (optional) attributes. Returns the mappings, or the problems, each naming its field.
 */
export function resolveMappings(
  connector: Connector,
  current: readonly AttributeMapping[] | null,
  inputs: readonly MappingInput[] | undefined,
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
      multiValued: false,
    }));
  const fixed = new Set(connector.id === GENERIC_CONNECTOR_ID ? [] : connector.attributes.map((a) => a.spName));
  const seen = new Set<string>();
  const result = [...base];
  (inputs ?? []).forEach((input, index) => {
    const field = `attributes.${index}`;
    if (seen.has(input.spName)) problems.push({ field: `${field}.spName`, message: `"${input.spName}" appears twice` });
    seen.add(input.spName);
    const hasSource = input.source !== undefined && input.source !== null;
    const hasConstant = input.constant !== undefined && input.constant !== null;
    if (hasSource && hasConstant) {
      problems.push({ field, message: 'give either source or constant, not both' });
      return;
    }
    if (hasSource && !isValidSource(input.source as string)) {
      problems.push({
        field: `${field}.source`,
        message: `unknown directory attribute "${input.source}"; valid names: ${VALID_SOURCES_TEXT}`,
      });
      return;
    }
    const existing = result.find((m) => m.spName === input.spName);
    if (existing) {
      if (hasSource) [existing.source, existing.constant] = [input.source as string, null];
      if (hasConstant) [existing.source, existing.constant] = [null, input.constant as string];
      if (input.enabled !== undefined) existing.enabled = input.enabled;
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
      required: false,
      multiValued: false,
    });
  });
  // A pre-built connector's JIT-required attributes can be switched off, never removed or renamed.
  for (const name of fixed) {
    if (!result.some((m) => m.spName === name)) problems.push({ field: 'attributes', message: `"${name}" is fixed by the connector` });
  }
  return { mappings: result, problems };
}
