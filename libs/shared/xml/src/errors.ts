export type UnsafeXmlKind = 'dtd' | 'malformed' | 'root' | 'limit';

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

// An unpaired UTF-16 surrogate is no character at all (XML's Char excludes D800-DFFF). Paired
// ones match as one code point under the u flag, so only lone halves match here.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A lone surrogate, which no UTF-8 decoder produces but a string handed in can hold: refused on the
 * raw text, since saxes reads a high surrogate and the next character as a pair without checking
 * the second half, and xmldom does not look.
 */
export function refuseLoneSurrogates(xml: string): void {
  if (LONE_SURROGATE.test(xml)) throw new UnsafeXmlError('malformed', 'not well-formed XML (a lone UTF-16 surrogate is not a character)');
}

/** A parser's complaint, its first line only (the rest repeats the input). */
export function notWellFormed(message: unknown): UnsafeXmlError {
  return new UnsafeXmlError('malformed', `not well-formed XML (${String(message).split('\n')[0] ?? ''})`);
}

export function noSingleRoot(): UnsafeXmlError {
  return new UnsafeXmlError('root', 'expected exactly one root element');
}

export function limitPassed(message: string): UnsafeXmlError {
  return new UnsafeXmlError('limit', message);
}
