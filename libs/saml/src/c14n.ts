import { charEscaper, toXmlChars, type XmlChild, type XmlElement } from './xml-writer';

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
  const out: string[] = [];
  renderElement(node, inScope, new Map(), out);
  return out.join('');
}

/** The namespace declarations in scope inside `node`, given those of its ancestors. */
export function scopeOf(node: XmlElement, inScope: ReadonlyMap<string, string> = new Map()): Map<string, string> {
  return new Map(declaredScope(node, inScope));
}

/** Like scopeOf, but shares the ancestors' map when the element declares nothing (most don't). */
function declaredScope(node: XmlElement, inScope: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  let scope: Map<string, string> | undefined;
  for (const [name, value] of node.attributes) {
    if (name === 'xmlns') (scope ??= new Map(inScope)).set('', value);
    else if (name.startsWith('xmlns:')) (scope ??= new Map(inScope)).set(name.slice(6), value);
  }
  return scope ?? inScope;
}

function renderElement(node: XmlElement, inScope: ReadonlyMap<string, string>, rendered: ReadonlyMap<string, string>, out: string[]): void {
  const scope = declaredScope(node, inScope);
  // Visibly utilised prefixes: the element's own and those of its prefixed attributes.
  const used = [prefixOf(node.name)];
  const attributes: Array<{ uri: string; local: string; name: string; value: string }> = [];
  for (const [name, value] of node.attributes) {
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
    const uri = prefix === '' ? (scope.get('') ?? '') : lookup(scope, prefix, node.name);
    // An empty default namespace counts as already rendered at the top (C14N 1.0, section 2.3).
    const current = prefix === '' ? (rendered.get('') ?? '') : rendered.get(prefix);
    if (current !== uri) declarations.push([prefix, uri]);
  }
  let nextRendered = rendered;
  if (declarations.length > 0) {
    const copy = new Map(rendered);
    for (const [prefix, uri] of declarations) copy.set(prefix, uri);
    nextRendered = copy;
    declarations.sort(([a], [b]) => compare(a, b));
  }
  if (attributes.length > 1) attributes.sort((a, b) => compare(a.uri, b.uri) || compare(a.local, b.local));

  out.push('<', node.name);
  for (const [prefix, uri] of declarations) out.push(prefix === '' ? ' xmlns="' : ` xmlns:${prefix}="`, canonicalAttribute(uri), '"');
  for (const a of attributes) out.push(' ', a.name, '="', canonicalAttribute(a.value), '"');
  out.push('>');
  for (const child of node.children) renderChild(child, scope, nextRendered, out);
  out.push('</', node.name, '>');
}

function renderChild(child: XmlChild, scope: ReadonlyMap<string, string>, rendered: ReadonlyMap<string, string>, out: string[]): void {
  if (typeof child === 'string') out.push(canonicalText(child));
  else if (child.kind === 'element') renderElement(child, scope, rendered, out);
  else throw new Error('canonicalize: a tree holding trusted markup cannot be canonicalised');
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
