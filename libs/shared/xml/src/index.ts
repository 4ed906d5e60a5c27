import { DOMParser, type Element, type Node, type ProcessingInstruction } from '@xmldom/xmldom';
import { dtdRefused, noSingleRoot, notWellFormed, refuseDtd, refuseLoneSurrogates, UnsafeXmlError } from './errors';
import { parseMessage, type XmlLimits } from './message';

export { UnsafeXmlError, type UnsafeXmlKind } from './errors';
export {
  MessageElement,
  parseMessage,
  MESSAGE_LIMITS,
  MAX_MESSAGE_DEPTH,
  MAX_MESSAGE_ELEMENTS,
  MAX_MESSAGE_ATTRIBUTES_PER_ELEMENT,
  type XmlLimits,
} from './message';

/**
 * Parses XML received from outside and returns its one root element. Refuses, with an
 * UnsafeXmlError: any DTD or entity (checked on the raw text before a parser sees it, so there
 * is no expansion and no external fetch whatever the parser would do), any error or warning of
 * the parser (we would have to guess what was meant), and anything at top level but the root,
 * the XML declaration, comments and white space.
 *
 * With `limits`, the text is first read by parseMessage under them (and its stricter XML 1.0
 * character rules), which stops at the first element past a bound: xmldom has no such bound and
 * resolves namespaces per open element too, so a hostile document must never reach it.
 */
export function parseSingleRoot(xml: string, limits?: XmlLimits): Element {
  refuseDtd(xml);
  refuseLoneSurrogates(xml);
  if (limits) parseMessage(xml, limits);
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        throw notWellFormed(`${level}: ${String(message)}`);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    if (error instanceof UnsafeXmlError) throw error;
    throw notWellFormed((error as Error).message);
  }
  if (doc.doctype) throw dtdRefused();
  const topLevel = Array.from(doc.childNodes).filter((n: Node) => !isIgnorableTopLevel(n));
  const root = doc.documentElement;
  if (!root || topLevel.length !== 1 || topLevel[0] !== root) throw noSingleRoot();
  return root;
}

/** The child elements of `parent` with this namespace and local name. */
export function childElements(parent: Element, namespace: string, localName: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (n: Node): n is Element =>
      n.nodeType === n.ELEMENT_NODE && (n as Element).localName === localName && (n as Element).namespaceURI === namespace,
  );
}

// The XML declaration, comments and white space around the root element carry no data.
function isIgnorableTopLevel(node: Node): boolean {
  if (node.nodeType === node.COMMENT_NODE) return true;
  if (node.nodeType === node.TEXT_NODE) return /^[ \t\r\n]*$/.test(node.nodeValue ?? '');
  return node.nodeType === node.PROCESSING_INSTRUCTION_NODE && (node as ProcessingInstruction).target === 'xml';
}
