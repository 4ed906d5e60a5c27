import assert from 'node:assert/strict';
import { autoPostPage } from './html';

const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

describe('autoPostPage', () => {
  it('carries the response as base64 that decodes to the XML, quotes and markup included', () => {
    const responseXml = '<samlp:Response ID="_a&quot;b">ü "<\'&`</samlp:Response>';
    const page = autoPostPage({ nonce: 'n', acsUrl: 'https://sp.example/acs', responseXml, relayState: null });
    const value = field(page.html, 'SAMLResponse');
    assert.ok(value && /^[A-Za-z0-9+/]+={0,2}$/.test(value));
    assert.equal(Buffer.from(value, 'base64').toString('utf8'), responseXml);
    assert.doesNotMatch(page.html, /name="RelayState"/);
    // Its own text is ASCII: the page stays a one-byte string, cheap to send.
    assert.match(page.html, /^[\x00-\x7f]*$/);
  });

  it('escapes the ACS URL and RelayState, which the page does not make', () => {
    const page = autoPostPage({
      nonce: 'n',
      acsUrl: 'https://sp.example/acs?a=1&b="x"',
      responseXml: '<r/>',
      relayState: '"><script>x</script>',
    });
    assert.match(page.html, /action="https:\/\/sp\.example\/acs\?a=1&#38;b=&#34;x&#34;"/);
    assert.equal(field(page.html, 'RelayState'), '&#34;&#62;&#60;script&#62;x&#60;/script&#62;');
    assert.doesNotMatch(page.html, /<script>x/);
    assert.match(page.csp, /form-action https:\/\/sp\.example;/);
  });
});
