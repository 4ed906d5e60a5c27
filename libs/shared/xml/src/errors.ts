export type UnsafeXmlKind = 'dtd' | 'malformed' | 'root';

export class UnsafeXmlError extends Error {
  constructor(
    readonly kind: UnsafeXmlKind,
    message: string,
  ) {
    super(message);
  }
}

/** Any DTD, entity or markup declaration: refused on the raw text, before a parser sees it. */
export const DTD = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i;

export function firstLine(message: unknown): string {
  return String(message).split('\n')[0] ?? '';
}
