import assert from 'node:assert/strict';
import type { Element, Node } from '@xmldom/xmldom';
import { setFlagsFromString } from 'node:v8';
import { runInThisContext } from 'node:vm';
import { messageParser } from './message';
import {
  MAX_MESSAGE_ATTRIBUTES_PER_ELEMENT,
  MAX_MESSAGE_DEPTH,
  MAX_MESSAGE_ELEMENTS,
  MESSAGE_LIMITS,
  parseMessage,
  parseSingleRoot,
  UnsafeXmlError,
  type MessageElement,
} from './index';

const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';
const root = (inner: string, attributes = '') =>
  `<samlp:AuthnRequest xmlns:samlp="${P}" xmlns:saml="${A}" ID="_1" Version="2.0"${attributes}>${inner}</samlp:AuthnRequest>`;

/** Documents both parsers accept: what each yields must be the same. */
const ACCEPTED = [
  root('<saml:Issuer>https://sp.example</saml:Issuer><samlp:NameIDPolicy Format="urn:f" AllowCreate="true"/>'),
  `<?xml version="1.0" encoding="UTF-8"?>\n<!-- from the SP -->\n${root('<saml:Issuer>x</saml:Issuer>')}\n<!-- after -->\n`,
  root('<saml:Issuer>a<!--c-->b<![CDATA[<c>]]>&amp;&#x41;&#65;</saml:Issuer>'),
  root('<saml:Issuer>\r\n  line\r\n</saml:Issuer>', ' Destination="a&#9;b\tc\r\nd &quot;e&quot;"'),
  root('<saml:Issuer xmlns:saml="urn:other">shadowed</saml:Issuer><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">default</Issuer>'),
  root('<?pi inside?><saml:Issuer>x</saml:Issuer><saml:Extensions><a xmlns="urn:x"><b>deep<c>er</c></b></a></saml:Extensions>'),
  `<AuthnRequest xmlns="${P}" ID="_2" Version="2.0"><Issuer xmlns="${A}">x</Issuer></AuthnRequest>`,
  root('<saml:Issuer>ünïcödé 𐐀 ✓</saml:Issuer>', ' x:ID="other" xmlns:x="urn:x"'),
  root('<saml:Issuer>]]&gt;</saml:Issuer>'),
];

/** Documents both parsers refuse, with the same kind. */
const REFUSED: Array<[string, string]> = [
  ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'dtd'],
  ['<?xml version="1.0"?><!doctype a><a/>', 'dtd'],
  [root('<saml:Issuer>&unknown;</saml:Issuer>'), 'malformed'],
  [root('<saml:Issuer>x</saml:Issue>'), 'malformed'],
  [root('<saml:Issuer>x'), 'malformed'],
  [root('<u:Issuer>x</u:Issuer>'), 'malformed'],
  [root('', ' ID="_2"'), 'malformed'],
  [root('', ' a="<"'), 'malformed'],
  [root('', ' a=unquoted'), 'malformed'],
  ['<a/><b/>', 'malformed'],
  ['<a/>text', 'malformed'],
  ['text<a/>', 'malformed'],
  ['', 'malformed'],
  ['   ', 'malformed'],
  ['<?pi before?><a/>', 'root'],
  ['<a/><?pi after?>', 'root'],
  ['<a><b></a></b>', 'malformed'],
  // A lone UTF-16 surrogate is no character: saxes took a high one and the next character as a pair.
  [root('<saml:Issuer>x\uD800y</saml:Issuer>'), 'malformed'],
  [root('<saml:Issuer>\uDC00</saml:Issuer>'), 'malformed'],
  [root('', ' Destination="\uD800x"'), 'malformed'],
];

/**
 * Documents XML 1.0 forbids that xmldom lets through: saxes refuses them, which is the stricter
 * and correct answer: a control character is not a legal XML character, even as a reference, and
 * Namespaces in XML 1.0 forbids undeclaring a prefix.
 */
const STRICTER = [
  '<a xmlns:p=""/>',
  root('<saml:Issuer>\u0001</saml:Issuer>'),
  root('<saml:Issuer>&#1;</saml:Issuer>'),
  root('<saml:Issuer>a\u0000b</saml:Issuer>'),
  root('<saml:Issuer>&#0;</saml:Issuer>'),
  root('', ' Destination="a\u0000b"'),
];

/** Everything the SAML code reads from an element, as plain data. */
interface Shape {
  name: string;
  local: string;
  ns: string | null;
  attrs: Array<[string, string | null]>;
  text: string;
  children: Shape[];
}

function ofDom(el: Element, names: string[]): Shape {
  const children = Array.from(el.childNodes).filter((n: Node): n is Element => n.nodeType === n.ELEMENT_NODE);
  return {
    name: el.nodeName,
    local: el.localName ?? '',
    ns: el.namespaceURI,
    attrs: names.map((n) => [n, el.hasAttribute(n) ? el.getAttribute(n) : null]),
    text: el.textContent ?? '',
    children: children.map((c) => ofDom(c, names)),
  };
}

function ofMessage(el: MessageElement, names: string[]): Shape {
  return {
    name: el.nodeName,
    local: el.localName,
    ns: el.namespaceURI,
    attrs: names.map((n) => [n, el.hasAttribute(n) ? el.getAttribute(n) : null]),
    text: el.textContent,
    children: el.elements.map((c) => ofMessage(c, names)),
  };
}

const NAMES = ['ID', 'Version', 'Destination', 'Format', 'AllowCreate', 'x:ID', 'xmlns:saml', 'xmlns', 'missing'];

function kindOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof UnsafeXmlError, `not an UnsafeXmlError: ${String(error)}`);
    return error.kind;
  }
  return 'accepted';
}

describe('parseMessage (saxes) against parseSingleRoot (xmldom)', () => {
  it('reads the same names, namespaces, attributes, text and children from what both accept', () => {
    for (const xml of ACCEPTED) {
      assert.deepEqual(ofMessage(parseMessage(xml), NAMES), ofDom(parseSingleRoot(xml), NAMES), xml);
    }
  });

  it('refuses what xmldom refuses, with the same kind', () => {
    for (const [xml, kind] of REFUSED) {
      assert.equal(
        kindOf(() => parseSingleRoot(xml)),
        kind,
        `xmldom: ${xml}`,
      );
      assert.equal(
        kindOf(() => parseMessage(xml)),
        kind,
        `saxes: ${xml}`,
      );
    }
  });

  it('refuses characters XML forbids, which xmldom lets through unless it is given the message limits', () => {
    for (const xml of STRICTER) {
      assert.equal(
        kindOf(() => parseSingleRoot(xml)),
        'accepted',
        `xmldom: ${xml}`,
      );
      assert.equal(
        kindOf(() => parseMessage(xml)),
        'malformed',
        `saxes: ${xml}`,
      );
      assert.equal(
        kindOf(() => parseSingleRoot(xml, MESSAGE_LIMITS)),
        'malformed',
        `xmldom with limits: ${xml}`,
      );
    }
  });

  it('finds child elements by namespace URI and local name, not by prefix', () => {
    const el = parseMessage(
      root(
        '<saml:Issuer>a</saml:Issuer><x:Issuer xmlns:x="urn:oasis:names:tc:SAML:2.0:assertion">b</x:Issuer><saml:Issuer xmlns:saml="urn:o">c</saml:Issuer>',
      ),
    );
    assert.deepEqual(
      el.childElements(A, 'Issuer').map((e) => e.textContent),
      ['a', 'b'],
    );
    assert.deepEqual(
      el.childElements('urn:o', 'Issuer').map((e) => e.textContent),
      ['c'],
    );
  });

  it('expands no entity: a billion-laughs document is refused before parsing', () => {
    const lol = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>';
    assert.equal(
      kindOf(() => parseMessage(lol)),
      'dtd',
    );
  });
});

/** `n` nested elements inside the root's Extensions, then whatever `after` adds before they close. */
const nested = (n: number, after = '') =>
  root(`<saml:Issuer>x</saml:Issuer><saml:E>${'<a>'.repeat(n - 2)}${after}${'</a>'.repeat(n - 2)}</saml:E>`);
const siblings = (n: number, after = '') => root(`<saml:Issuer>x</saml:Issuer>${'<a/>'.repeat(n - 2)}${after}`);
const attributes = (n: number) => root('', Array.from({ length: n - 4 }, (_, i) => ` a${i}="v"`).join(''));

describe('bounds on the structure of a message, checked while parsing', () => {
  it('accepts a message exactly at each bound', () => {
    assert.equal(parseMessage(nested(MAX_MESSAGE_DEPTH)).elements.length, 2);
    assert.equal(parseMessage(siblings(MAX_MESSAGE_ELEMENTS)).elements.length, MAX_MESSAGE_ELEMENTS - 1);
    // The root's own four (ID, Version and two namespace declarations) count too.
    assert.equal(parseMessage(attributes(MAX_MESSAGE_ATTRIBUTES_PER_ELEMENT)).getAttribute('a0'), 'v');
  });

  it('refuses one past each bound, with both parsers when xmldom is given the limits', () => {
    for (const xml of [
      nested(MAX_MESSAGE_DEPTH + 1),
      siblings(MAX_MESSAGE_ELEMENTS + 1),
      attributes(MAX_MESSAGE_ATTRIBUTES_PER_ELEMENT + 1),
    ]) {
      assert.equal(
        kindOf(() => parseMessage(xml)),
        'limit',
      );
      assert.equal(
        kindOf(() => parseSingleRoot(xml, MESSAGE_LIMITS)),
        'limit',
      );
    }
  });

  it('says which bound was passed', () => {
    assert.throws(() => parseMessage(nested(18_000)), { kind: 'limit', message: 'elements are nested more than 32 levels deep' });
    assert.throws(() => parseMessage(siblings(600)), { kind: 'limit', message: 'more than 512 elements' });
    assert.throws(() => parseMessage(attributes(65)), { kind: 'limit', message: 'an element has more than 64 attributes' });
  });

  it('stops at the first element past a bound, before reading the rest of the document', () => {
    // A mismatched end tag further on would be "malformed" if the bounds were checked after parsing.
    assert.equal(
      kindOf(() => parseMessage(nested(MAX_MESSAGE_DEPTH + 1, '</b>'))),
      'limit',
    );
    assert.equal(
      kindOf(() => parseMessage(siblings(MAX_MESSAGE_ELEMENTS + 1, '</b>'))),
      'limit',
    );
    assert.equal(
      kindOf(() => parseSingleRoot(nested(MAX_MESSAGE_DEPTH + 1, '</b>'), MESSAGE_LIMITS)),
      'limit',
    );
  });

  it('leaves xmldom unbounded when no limits are given (SP metadata in the catalog)', () => {
    assert.equal(parseSingleRoot(siblings(MAX_MESSAGE_ELEMENTS + 1)).localName, 'AuthnRequest');
  });
});

describe('the saxes parser behind parseMessage', () => {
  it('keeps fast properties: its handlers do not turn it into a dictionary-mode object', () => {
    setFlagsFromString('--allow-natives-syntax');
    const hasFastProperties = runInThisContext('(o) => %HasFastProperties(o)') as (o: object) => boolean;
    const parser = messageParser({ open: [], root: undefined, outsideRoot: false, elements: 0, limits: MESSAGE_LIMITS });
    assert.equal(hasFastProperties(parser), true);
    // The probe itself tells a dictionary-mode object apart (one more handler is one too many).
    parser.on('comment', () => undefined);
    parser.on('error', () => undefined);
    assert.equal(hasFastProperties(parser), false);
  });
});
