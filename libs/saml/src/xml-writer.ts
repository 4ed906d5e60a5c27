/**
 * A tiny XML builder: element and attribute names come from this library's code, every value is
 * data and is escaped on the way out. Strings given as children are always text, never markup;
 * the only way to add markup is `trustedXml`, kept for the ds:Signature that xml-crypto produces.
 */

export type XmlChild = XmlElement | XmlTrusted | string;

export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly attributes: ReadonlyArray<readonly [string, string]>;
  readonly children: XmlChild[];
  /** Set by keepCanonicalForm only. */
  canonicalForm?: CanonicalForm;
}

export interface XmlTrusted {
  readonly kind: 'trusted';
  readonly markup: string;
}

// Names are compile-time constants; checking them catches a programming error, not an attack.
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*(:[A-Za-z_][A-Za-z0-9_.-]*)?$/;

/** Attributes whose value is `undefined` are left out, so optional attributes read naturally. */
export function element(name: string, attributes: Record<string, string | undefined> = {}, children: XmlChild[] = []): XmlElement {
  assertName(name);
  const kept: Array<readonly [string, string]> = [];
  for (const [attrName, value] of Object.entries(attributes)) {
    assertName(attrName);
    if (value !== undefined) kept.push([attrName, value]);
  }
  // canonicalForm is there from the start, so that every element has the same shape for V8.
  return { kind: 'element', name, attributes: kept, children, canonicalForm: undefined };
}

/** Markup inserted verbatim. Only for XML this process generated itself (a computed signature). */
export function trustedXml(markup: string): XmlTrusted {
  return { kind: 'trusted', markup };
}

/**
 * What signing an element computes anyway, kept so that nothing walks it again: its exclusive-c14n
 * form (`xml`, which canonicalize reuses inside an ancestor's form when it reads the same there),
 * the same document as renderXml would write it (`wire`: the tree's namespace declarations and
 * escapes kept, attributes in c14n order, empty elements as start and end tag), and the namespace
 * prefixes it uses. A signed element is not changed afterwards: it would no longer match its
 * signature.
 */
export interface CanonicalForm {
  readonly xml: string;
  readonly wire: string;
  readonly prefixes: ReadonlySet<string>;
}

/**
 * Keeps `form` as the way `node` is written. Only for a form without unprefixed elements: written
 * inside a default namespace declaration, those would change namespace.
 */
export function keepCanonicalForm(node: XmlElement, form: CanonicalForm): void {
  if (form.prefixes.has('')) throw new Error(`${node.name}: a kept form cannot hold unprefixed elements`);
  node.canonicalForm = form;
}

export function renderXml(node: XmlChild): string {
  const out: string[] = [];
  render(node, out);
  return out.join('');
}

function render(node: XmlChild, out: string[]): void {
  if (typeof node === 'string') {
    out.push(escapeText(node));
    return;
  }
  if (node.kind === 'trusted') {
    out.push(node.markup);
    return;
  }
  const kept = node.canonicalForm;
  if (kept) {
    out.push(kept.wire);
    return;
  }
  out.push('<', node.name);
  for (const [name, value] of node.attributes) out.push(' ', name, '="', escapeAttribute(value), '"');
  if (node.children.length === 0) {
    out.push('/>');
    return;
  }
  out.push('>');
  for (const child of node.children) render(child, out);
  out.push('</', node.name, '>');
}

// Characters XML 1.0 cannot carry at all (C0 controls except TAB/LF/CR, U+FFFE/U+FFFF, lone
// surrogates). They cannot be escaped either, so they become U+FFFD instead of breaking the document.
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// The same set without /g, for the test that lets ordinary values through untouched (most are).
const HAS_NOT_XML_CHAR = new RegExp(NOT_XML_CHAR.source);

export function toXmlChars(value: string): string {
  return HAS_NOT_XML_CHAR.test(value) ? value.replace(NOT_XML_CHAR, '\uFFFD') : value;
}

// CR would be read back as LF (XML end-of-line handling), NEL / LINE SEPARATOR are line ends in
// XML 1.1, and xmldom (under node-saml, xml-crypto and samlify) turns PARAGRAPH SEPARATOR into LF
// as well, so they are written as references: the SP then reads exactly the value that was signed.
const TEXT_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#xD;',
  '\u0085': '&#x85;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
};

// Inside attribute values a parser also turns TAB and LF into spaces, so those become references too.
const ATTRIBUTE_ESCAPES: Record<string, string> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
};

/**
 * A function replacing each character that is a key of `table` by its value. A value holding none
 * of them (most do not) is only tested, not rebuilt: for short strings a replace that finds
 * nothing costs about three times a test.
 */
export function charEscaper(table: Readonly<Record<string, string>>): (value: string) => string {
  const charClass = `[${Object.keys(table)
    .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .join('')}]`;
  const any = new RegExp(charClass);
  const each = new RegExp(charClass, 'g');
  return (value) => (any.test(value) ? value.replace(each, (c) => table[c]) : value);
}

const textEscapes = charEscaper(TEXT_ESCAPES);
const attributeEscapes = charEscaper(ATTRIBUTE_ESCAPES);

export function escapeText(value: string): string {
  return textEscapes(toXmlChars(value));
}

export function escapeAttribute(value: string): string {
  return attributeEscapes(toXmlChars(value));
}

// Names are a few dozen constants of this library, so each is checked once.
const checkedNames = new Set<string>();

function assertName(name: string): void {
  if (checkedNames.has(name)) return;
  if (!NAME.test(name)) throw new Error(`invalid XML name: ${JSON.stringify(name)}`);
  if (checkedNames.size < 1024) checkedNames.add(name);
}
