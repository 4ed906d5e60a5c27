import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the pages load the browser side of passkeys from: same-origin scripts, so the CSP stays `script-src 'self'`. */
export const WEBAUTHN_BROWSER_PATH = '/assets/simplewebauthn-browser.js';
export const PASSKEYS_SCRIPT_PATH = '/assets/passkeys.js';

/** @simplewebauthn/browser's UMD bundle (the global SimpleWebAuthnBrowser), read once. */
export function webAuthnBrowserBundle(): string {
  // The package exports only its modules: the bundle is found beside them.
  const main = require.resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(main), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

/**
 * The pages' passkey script. A form marked `data-passkey="register"` or `"authenticate"` carries
 * the ceremony's options (JSON, made by the server with a challenge bound to this session) in
 * `data-options`; on submit the script runs the ceremony, puts the browser's answer in the form's
 * `credential` field and submits it. `data-autofill` also starts a conditional-UI sign-in at load,
 * so the username field's autofill offers the browser's passkeys. Forms stay hidden where the
 * browser has no WebAuthn, and so do elements marked `data-passkey-section`. Errors are written into the form's `[data-passkey-error]` (role=alert).
 */
export const PASSKEYS_SCRIPT = `(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;
  if (!lib || !lib.browserSupportsWebAuthn()) return;
  function fail(form, error) {
    var box = form.querySelector('[data-passkey-error]');
    if (!box) return;
    box.textContent = error && error.name === 'NotAllowedError'
      ? 'The passkey request was cancelled or timed out. Try again.'
      : error && error.name === 'InvalidStateError'
        ? 'This passkey is registered already.'
        : 'Your browser could not use a passkey here. Try again, or use another way.';
    box.hidden = false;
  }
  function send(form, answer) {
    form.querySelector('input[name="credential"]').value = JSON.stringify(answer);
    form.submit();
  }
  function run(form, autofill) {
    var options = JSON.parse(form.getAttribute('data-options'));
    var ceremony = form.getAttribute('data-passkey') === 'register'
      ? lib.startRegistration({ optionsJSON: options })
      : lib.startAuthentication({ optionsJSON: options, useBrowserAutofill: autofill });
    return ceremony.then(function (answer) { send(form, answer); });
  }
  // What only makes sense with passkeys (a heading, a sentence) shows with their forms.
  Array.prototype.forEach.call(document.querySelectorAll('[data-passkey-section]'), function (section) {
    section.hidden = false;
  });
  var forms = document.querySelectorAll('form[data-passkey]');
  Array.prototype.forEach.call(forms, function (form) {
    form.hidden = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      run(form, false).catch(function (error) { fail(form, error); });
    });
    if (form.hasAttribute('data-autofill')) {
      lib.browserSupportsWebAuthnAutofill().then(function (supported) {
        // A cancelled autofill ceremony (the button started a modal one) is not an error to show.
        if (supported) run(form, true).catch(function () {});
      });
    }
  });
})();
`;
