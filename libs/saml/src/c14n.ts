import { charEscaper, escapeAttribute, escapeText, toXmlChars, type CanonicalForm, type XmlChild, type XmlElement } from './xml-writer';

/**
 * Exclusive XML canonicalisation (xml-exc-c14n, without comments and with an empty
 * InclusiveNamespaces list) of a tree built with xml-writer, straight from the tree: no parse, no
 * DOM, no XPath. This is what makes signing cheap: the digest input is produced as a string while
 * the document is built. The specs prove the output byte-equal to xml-crypto's canonicaliser and
 * the resulting signatures valid for xmlsec1, node-saml and samlify.
 *
 * `inScope` holds the namespace declarations of the element's ancestors (prefix → URI), which
 * exclusive c14n may need to render on the apex element when it uses them.
 */
export function canonicalize(node: XmlElement, inScope: ReadonlyMap<string, string> = new Map()): string {
  const out = new Output();
  renderElement(node, inScope, new Map(), out, new Set());
  return out.canonical();
}

/**
 * What signing a tree element needs from one walk: `xml`, the exclusive-c14n form of `node` as it
 * is (the digest input), and `insert(child)`, the kept form of `node` with `child` (the signature)
 * inserted after its child number `after`. `inScope` as for canonicalize.
 */
export function canonicalizeAround(
  node: XmlElement,
  inScope: ReadonlyMap<string, string>,
  after: number,
): { xml: string; insert(child: XmlElement): CanonicalForm } {
  if (!(after >= 0 && after < node.children.length)) throw new Error(`canonicalize: ${node.name} has no child ${after}`);
  const prefixes = new Set<string>();
  const out = new Output();
  const scope = declaredScope(node, inScope);
  const rendered = startTag(node, scope, new Map(), out, prefixes);
  node.children.forEach((child, i) => {
    renderChild(child, scope, rendered, out, prefixes);
    if (i === after) out.mark();
  });
  out.xml += `</${node.name}>`;
  const xml = out.canonical();
  return {
    xml,
    insert(child) {
      const middle = new Output();
      renderElement(child, scope, rendered, middle, prefixes);
      return { xml: out.canonical(middle.canonical()), wire: out.wire(middle.wire()), prefixes };
    },
  };
}

/**
 * The canonical form, built by appending to one string (cheaper than joining a list of parts), and
 * beside it the few places where the wire form writes something else: the namespace declarations
 * the tree makes where c14n leaves them out (xmlns:xs, which only xsi:type values use), and U+0085,
 * U+2028 and U+2029 as character references (xml-writer's escapes). Both forms of a document are
 * then one walk; `mark()` remembers a place where canonical() and wire() can insert a string.
 */
class Output {
  xml = '';
  // [offset in xml, length of the canonical text there, the wire text instead]
  private readonly wireSplices: Array<[number, number, string]> = [];
  private markedAt = -1;

  /** Text written as `canonical` in the canonical form and as `wire` in the wire form. */
  appendEach(canonical: string, wire: string): void {
    if (canonical !== wire) this.wireSplices.push([this.xml.length, canonical.length, wire]);
    this.xml += canonical;
  }

  mark(): void {
    this.markedAt = this.xml.length;
  }

  canonical(insert?: string): string {
    if (insert === undefined) return this.xml;
    return this.xml.slice(0, this.markedAt) + insert + this.xml.slice(this.markedAt);
  }

  /** The canonical string with the wire texts spliced in (there are few), and `insert` at the mark. */
  wire(insert?: string): string {
    // The splices are in document order; an insert goes before a wire text at the mark's offset,
    // since the mark is where the next text begins.
    const splices = [...this.wireSplices];
    if (insert !== undefined) {
      const next = splices.findIndex(([offset]) => offset >= this.markedAt);
      splices.splice(next < 0 ? splices.length : next, 0, [this.markedAt, 0, insert]);
    }
    let wire = '';
    let from = 0;
    for (const [at, replaced, text] of splices) {
      wire += this.xml.slice(from, at) + text;
      from = at + replaced;
    }
    return wire + this.xml.slice(from);
  }
}

/** The namespace declarations in scope inside `node`, given those of its ancestors. */
export function scopeOf(node: XmlElement, inScope: ReadonlyMap<string, string> = new Map()): Map<string, string> {
  return new Map(declaredScope(node, inScope));
}

/** Like scopeOf, but shares the ancestors' map when the element declares nothing (most don't). */
function declaredScope(node: XmlElement, inScope: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  let scope: Map<string, string> | undefined;
  for (const attribute of node.attributes) {
    const name = attribute[0];
    const value = attribute[1];
    if (name === 'xmlns') (scope ??= new Map(inScope)).set('', value);
    else if (name.startsWith('xmlns:')) (scope ??= new Map(inScope)).set(name.slice(6), value);
  }
  return scope ?? inScope;
}

/**
 * Writes `node` to `out`, or its kept form when it has one that reads the same here: exclusive
 * c14n renders an element without regard to its ancestors, except that a namespace an output
 * ancestor already declared is not declared again. So the kept form (made with nothing rendered
 * above it) holds wherever no prefix it uses has been rendered above.
 */
function renderElement(
  node: XmlElement,
  inScope: ReadonlyMap<string, string>,
  rendered: ReadonlyMap<string, string>,
  out: Output,
  prefixes: Set<string>,
): void {
  const kept = node.canonicalForm;
  if (kept && ![...kept.prefixes].some((p) => renderedUri(rendered, p) !== (p === '' ? '' : undefined))) {
    out.appendEach(kept.xml, kept.wire);
    for (const p of kept.prefixes) prefixes.add(p);
    return;
  }
  const scope = declaredScope(node, inScope);
  const renderedInside = startTag(node, scope, rendered, out, prefixes);
  for (const child of node.children) renderChild(child, scope, renderedInside, out, prefixes);
  out.xml += `</${node.name}>`;
}

/**
 * The start tag of `node`, whose namespace scope (its own declarations included) is `scope`;
 * returns the declarations rendered inside it.
 */
function startTag(
  node: XmlElement,
  scope: ReadonlyMap<string, string>,
  rendered: ReadonlyMap<string, string>,
  out: Output,
  prefixes: Set<string>,
): ReadonlyMap<string, string> {
  if (plainStartTag(node, scope, rendered, out, prefixes)) return rendered;
  // Visibly utilised prefixes: the element's own and those of its prefixed attributes.
  const used = [prefixOf(node.name)];
  const attributes: Array<{ uri: string; local: string; name: string; value: string }> = [];
  for (const attribute of node.attributes) {
    const name = attribute[0];
    const value = attribute[1];
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    const prefix = prefixOf(name);
    if (prefix === '') {
      attributes.push({ uri: '', local: name, name, value });
    } else {
      if (!used.includes(prefix)) used.push(prefix);
      attributes.push({ uri: lookup(scope, prefix, name), local: name.slice(prefix.length + 1), name, value });
    }
  }
  const declarations: Array<[string, string]> = [];
  for (const prefix of used) {
    prefixes.add(prefix);
    const uri = prefix === '' ? (scope.get('') ?? '') : lookup(scope, prefix, node.name);
    if (renderedUri(rendered, prefix) !== uri) declarations.push([prefix, uri]);
  }
  let nextRendered = rendered;
  if (declarations.length > 0) {
    const copy = new Map(rendered);
    for (const [prefix, uri] of declarations) copy.set(prefix, uri);
    nextRendered = copy;
    declarations.sort(([a], [b]) => compare(a, b));
  }
  if (attributes.length > 1) attributes.sort((a, b) => compare(a.uri, b.uri) || compare(a.local, b.local));

  out.xml += `<${node.name}`;
  for (const [prefix, uri] of declarations) out.xml += `${prefix === '' ? ' xmlns' : ` xmlns:${prefix}`}="${canonicalAttribute(uri)}"`;
  // The tree's own declarations that c14n leaves out here still go on the wire.
  for (const attribute of node.attributes) {
    const name = attribute[0];
    const value = attribute[1];
    if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
    const prefix = name === 'xmlns' ? '' : name.slice(6);
    if (!declarations.some(([p]) => p === prefix)) out.appendEach('', ` ${name}="${escapeAttribute(value)}"`);
  }
  for (const a of attributes) {
    out.xml += ` ${a.name}="`;
    value(out, a.value, PLAIN_ATTRIBUTE, canonicalAttribute, escapeAttribute);
    out.xml += '"';
  }
  out.xml += '>';
  return nextRendered;
}

/**
 * Most elements of a response: no namespace declarations of their own, only unprefixed
 * attributes, already in c14n order (by name), and a prefix whose declaration an output ancestor
 * already rendered. Such a start tag is the element's name and its attributes as they are, with
 * nothing to look up, collect or sort. Writes it and returns true; false (nothing written) for any
 * other element, which the general path renders.
 */
function plainStartTag(
  node: XmlElement,
  scope: ReadonlyMap<string, string>,
  rendered: ReadonlyMap<string, string>,
  out: Output,
  prefixes: Set<string>,
): boolean {
  const attributes = node.attributes;
  for (let i = 0; i < attributes.length; i++) {
    const name = attributes[i][0];
    // xmlns:* and every other prefixed name have a colon.
    if (name === 'xmlns' || name.includes(':') || (i > 0 && compare(attributes[i - 1][0], name) >= 0)) return false;
  }
  const prefix = prefixOf(node.name);
  const uri = prefix === '' ? (scope.get('') ?? '') : scope.get(prefix);
  if (uri === undefined || uri !== renderedUri(rendered, prefix)) return false;
  prefixes.add(prefix);
  out.xml += `<${node.name}`;
  for (const attribute of attributes) {
    out.xml += ` ${attribute[0]}="`;
    value(out, attribute[1], PLAIN_ATTRIBUTE, canonicalAttribute, escapeAttribute);
    out.xml += '"';
  }
  out.xml += '>';
  return true;
}

// Where the canonical and the wire form of a value can differ (xml-writer's escapes add these).
const WIRE_ONLY_ESCAPES = /[\u0085\u2028\u2029]/;

// Values holding nothing that any escape here or in xml-writer touches, nor anything toXmlChars
// replaces (surrogates are left to it, paired or not): nearly all, written as they are after one
// scan instead of three.
const PLAIN_TEXT = /^[^&<>\r\u0085\u2028\u2029\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]*$/;
const PLAIN_ATTRIBUTE = /^[^&<>"\t\n\r\u0085\u2028\u2029\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]*$/;

function value(out: Output, text: string, plain: RegExp, canonical: (v: string) => string, wire: (v: string) => string): void {
  if (plain.test(text)) out.xml += text;
  else if (WIRE_ONLY_ESCAPES.test(text)) out.appendEach(canonical(text), wire(text));
  else out.xml += canonical(text);
}

function renderChild(
  child: XmlChild,
  scope: ReadonlyMap<string, string>,
  rendered: ReadonlyMap<string, string>,
  out: Output,
  prefixes: Set<string>,
): void {
  if (typeof child === 'string') value(out, child, PLAIN_TEXT, canonicalText, escapeText);
  else if (child.kind === 'element') renderElement(child, scope, rendered, out, prefixes);
  else throw new Error('canonicalize: a tree holding trusted markup cannot be canonicalised');
}

/**
 * The URI an output ancestor declared for `prefix`, if any. An empty default namespace counts as
 * already rendered at the top (C14N 1.0, section 2.3).
 */
function renderedUri(rendered: ReadonlyMap<string, string>, prefix: string): string | undefined {
  return prefix === '' ? (rendered.get('') ?? '') : rendered.get(prefix);
}

function prefixOf(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? '' : name.slice(0, colon);
}

function lookup(scope: ReadonlyMap<string, string>, prefix: string, where: string): string {
  const uri = scope.get(prefix);
  if (uri === undefined) throw new Error(`canonicalize: prefix "${prefix}" of ${where} is not declared`);
  return uri;
}

// Code-unit order, as C14N requires (it sorts by UCS code point; our names are ASCII).
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** C14N text: & < > and CR escaped, everything else literal (U+0085 and U+2028 included). */
export function canonicalText(value: string): string {
  return canonicalTextEscapes(toXmlChars(value));
}

/** C14N attribute value: & < " TAB LF CR escaped; > stays literal. */
export function canonicalAttribute(value: string): string {
  return canonicalAttributeEscapes(toXmlChars(value));
}

const canonicalTextEscapes = charEscaper({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' });
const canonicalAttributeEscapes = charEscaper({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' });
