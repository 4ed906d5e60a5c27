import { SaxesParser, type SaxesTagNS } from 'saxes';
import { noSingleRoot, notWellFormed, refuseDtd } from './errors';

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
export function parseMessage(xml: string): MessageElement {
  // saxes never expands an entity a DTD declares (it reads none), and a DTD is refused here first.
  refuseDtd(xml);
  const state: ParseState = { open: [], root: undefined, outsideRoot: false };
  try {
    messageParser(state).write(xml).close();
  } catch (error) {
    throw notWellFormed((error as Error).message);
  }
  if (!state.root || state.outsideRoot) throw noSingleRoot();
  return state.root;
}

interface ParseState {
  open: MessageElement[];
  root: MessageElement | undefined;
  outsideRoot: boolean;
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
    const node = toElement(tag);
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

function toElement(tag: SaxesTagNS): MessageElement {
  const attributes = new Map<string, string>();
  for (const name in tag.attributes) attributes.set(name, tag.attributes[name].value);
  return new MessageElement(tag.name, tag.local, tag.uri === '' ? null : tag.uri, attributes);
}
