import assert from 'node:assert/strict';
import { errorPage, escapeHtml, homePage } from './pages';

describe('pages', () => {
  it('escapes the five HTML-significant characters', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('escapes every account value and attribute, single or multi-valued', () => {
    const evil = '<script>alert(1)</script>';
    const html = homePage({
      mode: 'create-or-update',
      spEntityId: 'http://sp/saml/metadata',
      idpUrl: 'http://idp',
      signedIn: {
        session: { accountId: 'id', appId: evil, jitAction: 'created', signedInAt: new Date().toISOString() },
        account: {
          id: 'id',
          issuer: evil,
          nameId: evil,
          nameIdFormat: null,
          email: evil,
          firstname: evil,
          lastname: null,
          attributes: { [evil]: evil, groups: [evil, 'b'] },
          lastJitAction: 'created',
          createdAt: new Date(),
          updatedAt: new Date(),
          lastLoginAt: null,
          loginCount: 1,
        },
      },
    });
    assert.equal(html.includes('<script>'), false);
    assert.ok(html.includes('<li>&lt;script&gt;alert(1)&lt;/script&gt;</li><li>b</li>'));
    assert.ok(html.includes('<a href="/logout">Sign out</a>'));
  });

  it('escapes the message of an error page', () => {
    assert.ok(errorPage(401, 'Sign-in failed', 'bad <b>').includes('bad &lt;b&gt;'));
  });
});
