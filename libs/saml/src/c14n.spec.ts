import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { C14nCanonicalization, ExclusiveCanonicalization } from 'xml-crypto';
import type { Element } from '@xmldom/xmldom';
import { canonicalize, scopeOf } from './c14n';
import { NS } from './namespaces';
import { signEnveloped } from './signing';
import type { SigningCredentials } from './credentials';
import { buildResponse, type ResponseOptions } from './response';
import {
  ACS_URL,
  EMAIL_FORMAT,
  IDP_ENTITY_ID,
  SP_ENTITY_ID,
  nodeSamlSp,
  nodeSamlValidate,
  only,
  parseXml,
  testCredentials,
  xmlsecVerify,
} from './spec-helpers';
import { element, renderXml, type XmlChild, type XmlElement } from './xml-writer';

// Values that stress the escaping rules: c14n writes some literally that our documents write as references.
const AWKWARD = ['</saml:AttributeValue><x>', 'a<!--c-->b', 'cr\r\nlf', 'nel\u0085ls\u2028', 'tab\tlf\n', '&amp; "q" \'a\' >', ']]>'];

/** xml-crypto's exclusive canonicaliser applied to the parsed document: the reference we must equal. */
function referenceC14n(
  xml: string,
  pick: (doc: ReturnType<typeof parseXml>) => Element,
  ancestors: Array<{ prefix: string; namespaceURI: string }> = [],
) {
  const doc = parseXml(xml);
  return new ExclusiveCanonicalization().process(pick(doc) as never, { ancestorNamespaces: ancestors });
}

describe('canonicalize (exclusive c14n from the tree)', () => {
  it('equals xml-crypto for awkward values in text and attributes', () => {
    const tree = element('p:root', { 'xmlns:p': 'urn:p', 'xmlns:unused': 'urn:unused', b: 'B', a: 'A' }, [
      ...AWKWARD.map((v) => element('p:v', { attr: v }, [v])),
      element('p:empty'),
    ]);
    assert.equal(
      canonicalize(tree),
      referenceC14n(renderXml(tree), (d) => d.documentElement!),
    );
  });

  it('renders namespaces where they are first used, sorts attributes by namespace URI then local name', () => {
    const tree = element(
      'a:root',
      { 'xmlns:a': 'urn:a', 'xmlns:b': 'urn:b', 'xmlns:z': 'urn:0-sorts-first', 'b:x': '1', 'z:y': '2', plain: '3', 'a:w': '4' },
      [element('b:child', { 'xmlns:b': 'urn:b' }, [element('a:grand', { 'xmlns:a': 'urn:a-redefined' })])],
    );
    const ours = canonicalize(tree);
    assert.equal(
      ours,
      referenceC14n(renderXml(tree), (d) => d.documentElement!),
    );
    assert.match(ours, /^<a:root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:z="urn:0-sorts-first" plain="3" z:y="2" a:w="4" b:x="1">/);
  });

  it('equals xml-crypto for a subtree whose namespaces are declared on an ancestor', () => {
    const inner = element('s:inner', { ID: '_1' }, [element('s:leaf', { 'xmlns:x': 'urn:x', 'x:t': 'v' }, ['text'])]);
    const outer = element('o:outer', { 'xmlns:o': 'urn:o', 'xmlns:s': 'urn:s' }, [inner]);
    const ours = canonicalize(inner, scopeOf(outer));
    assert.equal(
      ours,
      referenceC14n(renderXml(outer), (d) => d.documentElement!.firstChild as Element, [
        { prefix: 'o', namespaceURI: 'urn:o' },
        { prefix: 's', namespaceURI: 'urn:s' },
      ]),
    );
    assert.equal(ours, '<s:inner xmlns:s="urn:s" ID="_1"><s:leaf xmlns:x="urn:x" x:t="v">text</s:leaf></s:inner>');
  });

  it('refuses an undeclared prefix instead of digesting something no verifier computes', () => {
    assert.throws(() => canonicalize(element('q:x')), /prefix "q" of q:x is not declared/);
  });
});

describe('signatures over the canonical form', () => {
  let credentials: SigningCredentials;
  beforeAll(async () => {
    credentials = await testCredentials();
  });
  const options = (over: Partial<ResponseOptions> = {}): ResponseOptions => ({
    issuer: IDP_ENTITY_ID,
    destination: ACS_URL,
    inResponseTo: '_r1',
    audience: SP_ENTITY_ID,
    nameId: 'a&b@example.com',
    nameIdFormat: EMAIL_FORMAT,
    sessionIndex: '_s1',
    attributes: [{ name: 'awkward', values: AWKWARD.slice(0, 7) }],
    signAssertion: true,
    signResponse: true,
    credentials,
    ...over,
  });

  it('the assertion digest is over exactly what xml-crypto canonicalises', async () => {
    const xml = await buildResponse(options({ signResponse: false }));
    const doc = parseXml(xml);
    const assertion = only(doc, 'saml:Assertion');
    const signature = only(assertion, 'ds:Signature');
    assertion.removeChild(signature);
    const c14n = new ExclusiveCanonicalization().process(assertion as never, {
      ancestorNamespaces: [
        { prefix: 'samlp', namespaceURI: 'urn:oasis:names:tc:SAML:2.0:protocol' },
        { prefix: 'saml', namespaceURI: 'urn:oasis:names:tc:SAML:2.0:assertion' },
      ],
    });
    const expected = createHash('sha256').update(c14n).digest('base64');
    assert.equal(only(signature, 'ds:DigestValue').textContent, expected);
  });

  for (const algorithm of ['rsa-sha256', 'rsa-sha512'] as const) {
    it(`xmlsec1 verifies the Response and the Assertion signature (${algorithm}, awkward values)`, async () => {
      const xml = await buildResponse(options({ signatureAlgorithm: algorithm }));
      for (const which of ['Response', 'Assertion'] as const) {
        const result = xmlsecVerify(xml, credentials.certificatePem, which);
        assert.equal(result.ok, true, `${which}: ${result.output}`);
        assert.match(result.output, /^OK/m);
      }
    });
  }

  it('xmlsec1 refuses a value changed after signing and a signature checked with another certificate', async () => {
    const xml = await buildResponse(options({ attributes: [{ name: 'role', values: ['user'] }] }));
    const tampered = xml.replace('>user<', '>admin<');
    assert.equal(xmlsecVerify(tampered, credentials.certificatePem, 'Assertion').ok, false);
    assert.equal(xmlsecVerify(tampered, credentials.certificatePem, 'Response').ok, false);
    const { generateSigningCredentials } = await import('./credentials');
    const other = await generateSigningCredentials('other.example');
    assert.equal(xmlsecVerify(xml, other.certificatePem, 'Response').ok, false);
  });

  it('node-saml verifies and reads the awkward values back exactly as signed', async () => {
    const values = AWKWARD.filter((v) => !v.startsWith('nel'));
    const { profile } = await nodeSamlValidate(
      nodeSamlSp(credentials.certificatePem),
      await buildResponse(options({ attributes: [{ name: 'awkward', values }] })),
    );
    assert.deepEqual(profile?.awkward, values);
    assert.equal(profile?.nameID, 'a&b@example.com');
  });

  it('U+0085, U+2028 and U+2029 go out as character references; a DOM parser reads them back exactly', async () => {
    const xml = await buildResponse(options({ attributes: [{ name: 'nel', values: ['nel\u0085ls\u2028ps\u2029'] }] }));
    assert.match(xml, />nel&#x85;ls&#x2028;ps&#x2029;</);
    assert.equal(only(parseXml(xml), 'saml:AttributeValue').textContent, 'nel\u0085ls\u2028ps\u2029');
    // node-saml accepts the signature, but its attribute reader turns NEL and LS into LF: an SP-side
    // normalisation after verification, recorded here so that a change in either shows up.
    const { profile } = await nodeSamlValidate(nodeSamlSp(credentials.certificatePem), xml);
    assert.equal(profile?.nel, 'nel\nls\nps\u2029');
  });
});

/** The same tree in new objects: nothing kept from signing, so every walk starts afresh. */
function fresh(node: XmlChild): XmlChild {
  if (typeof node === 'string' || node.kind !== 'element') return node;
  return { kind: 'element', name: node.name, attributes: node.attributes, children: node.children.map(fresh) };
}

const inclusiveC14n = (xml: string) => new C14nCanonicalization().process(parseXml(xml).documentElement as never, {});

describe('the forms a signed element keeps', () => {
  let credentials: SigningCredentials;
  beforeAll(async () => {
    credentials = await testCredentials();
  });

  /** A Response-like tree: xs declared only for a QName in content, awkward values in text and attributes. */
  function tree() {
    const values = AWKWARD.map((v) => element('saml:AttributeValue', { 'xsi:type': 'xs:string', note: v }, [v]));
    const assertion = element(
      'saml:Assertion',
      { 'xmlns:saml': NS.assertion, 'xmlns:xs': NS.xs, 'xmlns:xsi': NS.xsi, ID: '_a', z: 'nel\u0085' },
      [element('saml:Issuer', {}, ['idp']), element('saml:Empty'), ...values],
    );
    const response = element('samlp:Response', { 'xmlns:samlp': NS.protocol, 'xmlns:saml': NS.assertion, ID: '_r' }, [
      element('saml:Issuer', {}, ['idp']),
      element('samlp:Status'),
      assertion,
    ]);
    return { response, assertion };
  }

  for (const which of ['assertion', 'response', 'both'] as const) {
    it(`signing the ${which}: the kept forms are what a fresh walk gives, and the document reads the same (inclusive c14n)`, async () => {
      const { response, assertion } = tree();
      if (which !== 'response') await signEnveloped(assertion, scopeOf(response), credentials);
      if (which !== 'assertion') await signEnveloped(response, new Map(), credentials);
      const unkept = fresh(response) as XmlElement;
      const signed = which === 'assertion' ? assertion : response;
      const kept = signed.canonicalForm;
      assert.ok(kept);
      const freshSigned = which === 'assertion' ? (unkept.children[2] as XmlElement) : unkept;
      assert.equal(kept.xml, canonicalize(freshSigned, which === 'assertion' ? scopeOf(unkept) : new Map()));
      assert.equal(canonicalize(response), canonicalize(unkept));
      const xml = renderXml(response);
      assert.equal(inclusiveC14n(xml), inclusiveC14n(renderXml(unkept)));
      // What c14n leaves out still goes out: xs for the xsi:type values, NEL and LS as references.
      assert.match(kept.wire, /<saml:Assertion [^>]*xmlns:xs="http:\/\/www\.w3\.org\/2001\/XMLSchema"/);
      assert.match(xml, />nel&#x85;ls&#x2028;</);
      assert.match(xml, / z="nel&#x85;"/);
      assert.ok(xmlsecVerify(xml, credentials.certificatePem, which === 'assertion' ? 'Assertion' : 'Response').ok);
    });
  }
});

describe('values written as they are', () => {
  // Every character some escape touches, and its neighbours. (Characters XML cannot carry become
  // U+FFFD, which the reference parser refuses to read back: xml-writer.spec covers those.)
  const ALPHABET = [
    'a',
    ' ',
    '\t',
    '\n',
    '\r',
    '&',
    '<',
    '>',
    '"',
    "'",
    '\u007F',
    '\u0084',
    '\u0085',
    '\u2028',
    '\u2029',
    '\uD83D\uDE00',
    'é',
    ']]>',
  ];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const strings = Array.from({ length: 400 }, () =>
    Array.from({ length: Math.floor(random() * 6) }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join(''),
  );

  it('canonical form equals xml-crypto and the wire form reads the same, for any mix of characters', async () => {
    const credentials = await testCredentials();
    const tree = element('saml:Assertion', { 'xmlns:saml': NS.assertion, ID: '_f' }, [
      element('saml:Issuer', {}, ['idp']),
      ...strings.map((v) => element('saml:V', { a: v }, [v])),
    ]);
    assert.equal(
      canonicalize(tree),
      referenceC14n(renderXml(tree), (d) => d.documentElement!),
    );
    await signEnveloped(tree, new Map(), credentials);
    assert.equal(inclusiveC14n(renderXml(tree)), inclusiveC14n(renderXml(fresh(tree))));
    assert.equal(tree.canonicalForm?.xml, canonicalize(fresh(tree) as XmlElement));
  });
});

describe('namespace structure', () => {
  // Random trees over two prefixes, the default namespace and two URIs: declarations where the
  // tree wants them (re-declarations and xmlns="" included), prefixed and unprefixed attributes
  // in any order. What c14n renders where, and in which order, must be xml-crypto's, whichever way
  // canonicalize writes each start tag.
  let seed = 11;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const URIS = ['urn:one', 'urn:two'];
  // Local names differ per prefix, so two prefixes bound to one URI never give one attribute twice.
  const ATTRIBUTES: Record<string, string[]> = { '': ['z', 'm', 'ID'], a: ['a:r', 'a:c'], b: ['b:q'] };

  function tree(scope: ReadonlyMap<string, string>, depth: number): XmlElement {
    const attributes: Record<string, string> = {};
    const inside = new Map(scope);
    if (random() < 0.35) {
      const prefix = pick(['', 'a', 'b']);
      const uri = prefix === '' ? pick([...URIS, '']) : pick(URIS);
      attributes[prefix === '' ? 'xmlns' : `xmlns:${prefix}`] = uri;
      inside.set(prefix, uri);
    }
    const prefix = pick(['', 'a', 'b'].filter((p) => p === '' || inside.has(p)));
    const names = [...ATTRIBUTES[''], ...['a', 'b'].filter((p) => inside.has(p)).flatMap((p) => ATTRIBUTES[p])];
    for (const name of names.filter(() => random() < 0.4).sort(() => random() - 0.5)) attributes[name] = pick(['1', 'x y', '&<"']);
    const children: XmlChild[] =
      depth === 0 ? [] : Array.from({ length: Math.floor(random() * 3) }, () => (random() < 0.2 ? 'text' : tree(inside, depth - 1)));
    return element(prefix === '' ? 'e' : `${prefix}:e`, attributes, children);
  }

  it('equals xml-crypto for 300 random trees', () => {
    for (let i = 0; i < 300; i++) {
      const root = element('a:root', { 'xmlns:a': pick(URIS), ...(random() < 0.5 ? { 'xmlns:b': pick(URIS) } : {}) }, []);
      const scope = scopeOf(root);
      root.children.push(...Array.from({ length: 3 }, () => tree(scope, 3)));
      assert.equal(
        canonicalize(root),
        referenceC14n(renderXml(root), (d) => d.documentElement!),
        renderXml(root),
      );
    }
  });
});
