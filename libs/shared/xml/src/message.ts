import { SaxesParser, type SaxesTagNS } from 'saxes';
import { DTD, firstLine, UnsafeXmlError } from './errors';

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
 * jsdom uses) building a small tree instead of a DOM: about a third of xmldom's cost on an
 * AuthnRequest. Messages whose signature xml-crypto checks still need parseSingleRoot's DOM.
 */
export function parseMessage(xml: string): MessageElement {
  if (DTD.test(xml)) throw new UnsafeXmlError('dtd', 'DTDs and entities are not allowed');
  const parser = new SaxesParser({ xmlns: true, position: false });
  const open: MessageElement[] = [];
  let root: MessageElement | undefined;
  let outsideRoot = false;
  parser.on('doctype', () => {
    throw new UnsafeXmlError('dtd', 'DTDs and entities are not allowed');
  });
  parser.on('processinginstruction', () => {
    // Inside the root a processing instruction carries no data; around it, it is not allowed.
    if (open.length === 0) outsideRoot = true;
  });
  parser.on('opentag', (tag) => {
    const node = toElement(tag);
    const parent = open[open.length - 1];
    if (parent) parent.append(node);
    else root = node;
    open.push(node);
  });
  parser.on('closetag', () => {
    open.pop();
  });
  const text = (value: string): void => {
    // Outside the root saxes only lets white space through, which carries no data.
    open[open.length - 1]?.append(value);
  };
  parser.on('text', text);
  parser.on('cdata', text);
  parser.on('error', (error) => {
    throw new UnsafeXmlError('malformed', `not well-formed XML (${firstLine(error.message)})`);
  });
  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof UnsafeXmlError) throw error;
    throw new UnsafeXmlError('malformed', `not well-formed XML (${firstLine((error as Error).message)})`);
  }
  if (!root || outsideRoot) throw new UnsafeXmlError('root', 'expected exactly one root element');
  return root;
}

function toElement(tag: SaxesTagNS): MessageElement {
  const attributes = new Map<string, string>();
  for (const name in tag.attributes) attributes.set(name, tag.attributes[name].value);
  return new MessageElement(tag.name, tag.local, tag.uri === '' ? null : tag.uri, attributes);
}
