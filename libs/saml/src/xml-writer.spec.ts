import assert from 'node:assert/strict';
import { parseXml } from './spec-helpers';
import { element, escapeAttribute, escapeText, renderXml, toXmlChars, trustedXml } from './xml-writer';

describe('xml-writer', () => {
  it('escapes text', () => {
    assert.equal(escapeText('</saml:AttributeValue><x>'), '&lt;/saml:AttributeValue&gt;&lt;x&gt;');
    assert.equal(escapeText('a<!--c-->b & "q"'), 'a&lt;!--c--&gt;b &amp; "q"');
    assert.equal(escapeText('r\r\nn\u0085l\u2028t\t'), 'r&#xD;\nn&#x85;l&#x2028;t\t');
    assert.equal(escapeText(']]>'), ']]&gt;');
  });

  it('escapes attribute values, including the whitespace a parser would normalise', () => {
    assert.equal(escapeAttribute(`"&<>'`), `&quot;&amp;&lt;&gt;'`);
    assert.equal(escapeAttribute('a\tb\nc\rd\u0085e\u2028f'), 'a&#x9;b&#xA;c&#xD;d&#x85;e&#x2028;f');
  });

  it('replaces characters XML 1.0 cannot carry with U+FFFD', () => {
    assert.equal(toXmlChars('a\u0000b\u0008c\u000Bd\u001Fe\uFFFEf\uFFFF'), 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFD');
    assert.equal(toXmlChars('lone\uD800 and \uDC00'), 'lone\uFFFD and \uFFFD');
    // Allowed: TAB, LF, CR, DEL, C1 controls and properly paired surrogates (an emoji).
    assert.equal(toXmlChars('\t\n\r\u007F\u0085 \uD83D\uDE00'), '\t\n\r\u007F\u0085 \uD83D\uDE00');
  });

  it('renders elements, omits undefined attributes and treats string children as text', () => {
    const xml = renderXml(
      element('p:root', { 'xmlns:p': 'urn:x', a: 'x"y', skipped: undefined }, [
        element('p:child', {}, ['<b>bold</b>']),
        element('p:empty'),
        trustedXml('<p:raw/>'),
      ]),
    );
    assert.equal(xml, '<p:root xmlns:p="urn:x" a="x&quot;y"><p:child>&lt;b&gt;bold&lt;/b&gt;</p:child><p:empty/><p:raw/></p:root>');
  });

  it('refuses names that are not plain XML names', () => {
    assert.throws(() => element('a b'), /invalid XML name/);
    assert.throws(() => element('x', { 'onload="x"': 'y' }), /invalid XML name/);
    assert.throws(() => element('<x>'), /invalid XML name/);
  });

  it('round-trips every value exactly through an XML parser', () => {
    const values = ['</saml:AttributeValue><x>', 'a<!--c-->b', 'cr\r\nlf', 'nel\u0085ls\u2028', 'tab\tlf\n', '&amp; literally', ']]>'];
    const doc = parseXml(
      renderXml(
        element(
          'root',
          {},
          values.map((v) => element('v', { attr: v }, [v])),
        ),
      ),
    );
    const parsed = Array.from(doc.getElementsByTagName('v'));
    assert.deepEqual(
      parsed.map((e) => e.textContent),
      values,
    );
    assert.deepEqual(
      parsed.map((e) => e.getAttribute('attr')),
      values,
    );
  });
});
