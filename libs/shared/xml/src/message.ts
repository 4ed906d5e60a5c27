import { SaxesParser, type SaxesTagNS } from 'saxes';
import { limitPassed, noSingleRoot, notWellFormed, refuseDtd, refuseLoneSurrogates, UnsafeXmlError } from './errors';

/**
 * How much structure a document may have. Checked while saxes parses, in its opentag handler, so
 * the parse stops at the first element past a bound: saxes resolves each element's namespaces by
 * walking the elements still open, so unbounded nesting makes parsing quadratic (18,000 nested
 * elements, a few hundred bytes once deflated, took 2.4 s).
 */
export interface XmlLimits {
  readonly maxDepth: number;
  readonly maxElements: number;
  readonly maxAttributesPerElement: number;
}

// A signed AuthnRequest is 5 levels deep (AuthnRequest/Signature/KeyInfo/X509Data/X509Certificate)
// and has 15-60 elements of a few attributes each: these bounds are far above any real message.
export const MAX_MESSAGE_DEPTH = 32;
export const MAX_MESSAGE_ELEMENTS = 512;
export const MAX_MESSAGE_ATTRIBUTES_PER_ELEMENT = 64;

/** The bounds every incoming protocol message is parsed under. */
export const MESSAGE_LIMITS: XmlLimits = {
  maxDepth: MAX_MESSAGE_DEPTH,
  maxElements: MAX_MESSAGE_ELEMENTS,
  maxAttributesPerElement: MAX_MESSAGE_ATTRIBUTES_PER_ELEMENT,
};

/**
 * An element of a parsed message: its namespace-resolved name, its attributes by qualified name
 * (as written, like the DOM's getAttribute) and its child elements. Text is kept so that
 * `textContent` reads like the DOM's: all text and CDATA inside, in document order, comments and
 * processing instructions left out.
 */
export class MessageElement {
  readonly elements: MessageElement[] = [];
  private readonly content: Array<string | MessageElement> = [];

  constructor(
    readonly nodeName: string,
    readonly localName: string,
    readonly namespaceURI: string | null,
    private readonly attributes: ReadonlyMap<string, string>,
  ) {}

  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }

  hasAttribute(name: string): boolean {
    return this.attributes.has(name);
  }

  get textContent(): string {
    return this.content.map((part) => (typeof part === 'string' ? part : part.textContent)).join('');
  }

  /** The child elements with this namespace and local name. */
  childElements(namespace: string, localName: string): MessageElement[] {
    return this.elements.filter((e) => e.localName === localName && e.namespaceURI === namespace);
  }

  /** @internal the parser's way in. */
  append(part: string | MessageElement): void {
    this.content.push(part);
    if (typeof part !== 'string') this.elements.push(part);
  }
}

/**
 * parseSingleRoot's contract (no DTD or entity, any parser complaint refused, exactly one root
 * element with nothing but the XML declaration, comments and white space around it) for the
 * protocol messages of the sign-in path, with saxes (the strict, namespace-aware XML 1.0 parser
 * jsdom uses) building a small tree instead of a DOM: 13-15 µs against xmldom's 32-40 on the
 * benchmark's AuthnRequest. Messages whose signature xml-crypto checks still need parseSingleRoot's DOM.
 */
export function parseMessage(xml: string, limits: XmlLimits = MESSAGE_LIMITS): MessageElement {
  // saxes never expands an entity a DTD declares (it reads none), and a DTD is refused here first.
  refuseDtd(xml);
  refuseLoneSurrogates(xml);
  const state: ParseState = { open: [], root: undefined, outsideRoot: false, elements: 0, limits };
  try {
    messageParser(state).write(xml).close();
  } catch (error) {
    if (error instanceof UnsafeXmlError) throw error;
    throw notWellFormed((error as Error).message);
  }
  if (!state.root || state.outsideRoot) throw noSingleRoot();
  return state.root;
}

interface ParseState {
  open: MessageElement[];
  root: MessageElement | undefined;
  outsideRoot: boolean;
  elements: number;
  readonly limits: XmlLimits;
}

/**
 * @internal A parser feeding `state`. It sets five handlers and no more: saxes stores each as a
 * property added to the parser after construction, and with seven V8 turns the parser into a
 * dictionary-mode object, which makes every field read of its character loop a hash lookup and
 * parsing four to five times slower. Errors need no handler (saxes throws them without one), a
 * doctype none either (refused on the raw text before).
 */
export function messageParser(state: ParseState): SaxesParser<{ xmlns: true; position: false }> {
  const parser = new SaxesParser({ xmlns: true, position: false });
  parser.on('processinginstruction', () => {
    // Inside the root a processing instruction carries no data; around it, it is not allowed.
    if (state.open.length === 0) state.outsideRoot = true;
  });
  parser.on('opentag', (tag) => {
    // Thrown from the handler, the refusal leaves saxes's write() at once: nothing past the
    // element that broke a bound is read.
    if (state.open.length >= state.limits.maxDepth) {
      throw limitPassed(`elements are nested more than ${state.limits.maxDepth} levels deep`);
    }
    if (++state.elements > state.limits.maxElements) throw limitPassed(`more than ${state.limits.maxElements} elements`);
    const node = toElement(tag, state.limits.maxAttributesPerElement);
    const parent = state.open[state.open.length - 1];
    if (parent) parent.append(node);
    else state.root = node;
    state.open.push(node);
  });
  parser.on('closetag', () => {
    state.open.pop();
  });
  const text = (value: string): void => {
    // Outside the root saxes only lets white space through, which carries no data.
    state.open[state.open.length - 1]?.append(value);
  };
  parser.on('text', text);
  parser.on('cdata', text);
  return parser;
}

function toElement(tag: SaxesTagNS, maxAttributes: number): MessageElement {
  const attributes = new Map<string, string>();
  for (const name in tag.attributes) {
    if (attributes.size === maxAttributes) throw limitPassed(`an element has more than ${maxAttributes} attributes`);
    attributes.set(name, tag.attributes[name].value);
  }
  return new MessageElement(tag.name, tag.local, tag.uri === '' ? null : tag.uri, attributes);
}
