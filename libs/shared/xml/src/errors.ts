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
const DTD = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i;

export function dtdRefused(): UnsafeXmlError {
  return new UnsafeXmlError('dtd', 'DTDs and entities are not allowed');
}

export function refuseDtd(xml: string): void {
  if (DTD.test(xml)) throw dtdRefused();
}

/** A parser's complaint, its first line only (the rest repeats the input). */
export function notWellFormed(message: unknown): UnsafeXmlError {
  return new UnsafeXmlError('malformed', `not well-formed XML (${String(message).split('\n')[0] ?? ''})`);
}

export function noSingleRoot(): UnsafeXmlError {
  return new UnsafeXmlError('root', 'expected exactly one root element');
}
