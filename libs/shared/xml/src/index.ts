import { DOMParser, type Element, type Node, type ProcessingInstruction } from '@xmldom/xmldom';
import { dtdRefused, noSingleRoot, notWellFormed, refuseDtd, UnsafeXmlError } from './errors';

export { UnsafeXmlError, type UnsafeXmlKind } from './errors';
export { MessageElement, parseMessage } from './message';

/**
 * Parses XML received from outside and returns its one root element. Refuses, with an
 * UnsafeXmlError: any DTD or entity (checked on the raw text before a parser sees it, so there
 * is no expansion and no external fetch whatever the parser would do), any error or warning of
 * the parser (we would have to guess what was meant), and anything at top level but the root,
 * the XML declaration, comments and white space.
 */
export function parseSingleRoot(xml: string): Element {
  refuseDtd(xml);
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
