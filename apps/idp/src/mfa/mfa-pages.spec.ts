import assert from 'node:assert/strict';
import { mfaCodePage, mfaEnrolPage, passkeyEnrolPage, recoveryCodesPage, reverifyPage, securityDevicesSection } from './mfa-pages';

describe('MFA pages', () => {
  it('the code page: a labelled numeric field the browser may fill from an app, its hint and error tied to it, a recovery code field apart, no script', () => {
    const { status, html, csp } = mfaCodePage({ nonce: 'n0nce', csrfToken: 'tok"en', applicationName: 'Wiki <3', error: 'Wrong.' });
    assert.equal(status, 401);
    assert.match(html, /<label for="code">Code from your authenticator app<\/label>/);
    assert.match(
      html,
      /<input id="code" name="code" autocomplete="one-time-code" inputmode="numeric"[^>]* aria-describedby="code-hint code-error" aria-invalid="true">/,
    );
    assert.match(html, /<p class="error" id="code-error" role="alert">Wrong\.<\/p>/);
    // A recovery code has letters: a text field of its own, with its own label.
    assert.match(html, /<label for="recovery-code">Recovery code<\/label><input id="recovery-code" name="code" autocomplete="off"/);
    assert.match(html, /to continue to Wiki &#60;3/);
    assert.match(html, /name="csrf" value="tok&#34;en"/);
    assert.doesNotMatch(html, /<script/);
    assert.equal(csp, "default-src 'none'; style-src 'nonce-n0nce'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  });

  it('a refused recovery code is told beside the recovery code’s field, shown open; the app code’s field stays as it was', () => {
    const { status, html } = mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', recoveryError: 'Used <already>.' });
    assert.equal(status, 401);
    assert.match(html, /<details open><summary>/);
    assert.match(
      html,
      /<input id="recovery-code" name="code"[^>]* required aria-invalid="true" aria-describedby="recovery-code-error"><p class="error" id="recovery-code-error" role="alert">Used &#60;already&#62;\.<\/p>/,
    );
    assert.doesNotMatch(html, /id="code-error"/);
    assert.match(html, /<input id="code" name="code"[^>]* aria-describedby="code-hint">/);
    assert.match(mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki' }).html, /<details><summary>/);
  });

  it('with a passkey: its form first, hidden until the same-origin scripts find WebAuthn, options escaped into an attribute; script-src self, nothing inline', () => {
    const options = { challenge: 'c"h', allowCredentials: [{ id: 'id<1>' }] };
    const { html, csp } = mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', passkeyOptions: options, app: false });
    assert.match(
      html,
      /<form id="passkey" method="post" action="\/login\/passkey" data-passkey="authenticate" data-options="([^"]*)" hidden>/,
    );
    const attribute = /data-options="([^"]*)"/.exec(html)?.[1] ?? '';
    assert.deepEqual(JSON.parse(attribute.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)))), options);
    assert.match(html, /<input type="hidden" name="credential" value="">/);
    assert.match(
      html,
      /<script src="\/assets\/simplewebauthn-browser.js" defer><\/script><script src="\/assets\/passkeys.js" defer><\/script>/,
    );
    assert.doesNotMatch(html, /<script>|<script nonce/);
    assert.equal(
      csp,
      "default-src 'none'; script-src 'self'; style-src 'nonce-n'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    // No authenticator app: no app code field, the recovery code still.
    assert.doesNotMatch(html, /Code from your authenticator app/);
    assert.match(html, /id="recovery-code"/);
  });

  it('passkey only (a phishing-resistant application): no code field of any kind, the error shown', () => {
    const { html, status } = mfaCodePage({
      nonce: 'n',
      csrfToken: 't',
      applicationName: 'Payroll',
      passkeyOptions: { challenge: 'c' },
      codes: false,
      error: 'Payroll needs a passkey.',
      status: 400,
    });
    assert.equal(status, 400);
    assert.match(html, /<h1>Use your passkey<\/h1>/);
    assert.doesNotMatch(html, /name="code"/);
    assert.match(html, /<p class="error" role="alert">Payroll needs a passkey\.<\/p>/);
  });

  it('the enrolment page: the QR code with a text alternative, the key typed out in groups, a numeric field', () => {
    const { status, html } = mfaEnrolPage({
      nonce: 'n',
      csrfToken: 't',
      action: '/login/mfa',
      qrSvg: '<svg></svg>',
      secret: 'ABCDEFGHIJKLMNOP',
      intro: 'Set it up.',
    });
    assert.equal(status, 200);
    assert.match(html, /role="img" aria-label="QR code of your authenticator key"><svg><\/svg>/);
    assert.match(html, /<p class="secret" id="secret">ABCD EFGH IJKL MNOP<\/p>/);
    assert.match(html, /autocomplete="one-time-code" inputmode="numeric" pattern="\[0-9 \]\*" maxlength="8" required/);
    assert.match(html, /<form method="post" action="\/login\/mfa">/);
  });

  it('the recovery codes page lists the codes once and carries on by a form or a link', () => {
    const form = recoveryCodesPage({
      nonce: 'n',
      csrfToken: 't',
      codes: ['abcde-fghjk'],
      continueTo: { action: '/login/continue', label: 'Continue' },
    });
    assert.match(form.html, /<li>abcde-fghjk<\/li>/);
    assert.match(
      form.html,
      /<form method="post" action="\/login\/continue"><input type="hidden" name="csrf" value="t"><button type="submit">Continue<\/button>/,
    );
    const link = recoveryCodesPage({ nonce: 'n', csrfToken: 't', codes: [], continueTo: { href: '/account', label: 'Back' } });
    assert.match(link.html, /<a href="\/account">Back<\/a>/);
  });

  it('"Security devices": each factor with its own labelled remove button; recovery codes only with a factor', () => {
    const none = securityDevicesSection({ csrfToken: 't', factors: [], recoveryCodesLeft: 0 });
    assert.match(none, /No second factor yet/);
    assert.doesNotMatch(none, /recovery codes left/);
    const two = securityDevicesSection({
      csrfToken: 't',
      factors: [
        { id: 'f1', kind: 'totp', name: null, createdAt: new Date('2026-01-02T00:00:00Z'), lastUsedAt: null },
        { id: 'f2', kind: 'totp', name: null, createdAt: new Date('2026-02-03T00:00:00Z'), lastUsedAt: new Date('2026-03-04T00:00:00Z') },
        { id: 'f3', kind: 'webauthn', name: 'Work <laptop>', createdAt: new Date('2026-02-03T00:00:00Z'), lastUsedAt: null },
      ],
      recoveryCodesLeft: 1,
    });
    assert.match(two, /Authenticator app, added 2026-01-02\n/);
    assert.match(two, /Authenticator app, added 2026-02-03, last used 2026-03-04/);
    assert.match(two, /name="factorId" value="f2"><button type="submit" aria-label="Remove authenticator app 2">Remove<\/button>/);
    assert.match(two, /aria-label="Remove passkey “Work &#60;laptop&#62;”">Remove<\/button>/);
    // A passkey's name is the person's text: escaped wherever it appears.
    assert.match(two, /Passkey “Work &#60;laptop&#62;”, added 2026-02-03\n/);
    assert.match(two, /action="\/account\/mfa\/passkey\/rename">.*name="factorId" value="f3">/);
    assert.doesNotMatch(two, /<laptop>/);
    assert.match(two, /1 recovery code left\./);
  });

  it('the passkey pages show the organisation too, opening img-src to its logo only beside the passkey scripts', () => {
    const organization = { name: 'Acme <Corp>', logoUrl: 'https://cdn.example.com/logo.png', brandColor: '#0b7285' };
    for (const { html, csp } of [
      passkeyEnrolPage({ nonce: 'n', csrfToken: 't', action: '/login/passkey/register', options: {}, intro: 'Create one.', organization }),
      reverifyPage({ nonce: 'n', csrfToken: 't', passkeyOptions: {}, codes: false, password: false, organization }),
    ]) {
      assert.match(html, /<header class="org"><img src="https:\/\/cdn.example.com\/logo.png" alt="Acme &#60;Corp&#62; logo"/);
      assert.equal(
        csp,
        "default-src 'none'; script-src 'self'; img-src https://cdn.example.com; style-src 'nonce-n'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
    }
    assert.doesNotMatch(passkeyEnrolPage({ nonce: 'n', csrfToken: 't', action: '/a', options: {}, intro: 'x' }).csp, /img-src/);
  });
});
