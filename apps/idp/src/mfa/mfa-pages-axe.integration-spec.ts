import { assertAccessible, launchChromium } from '@jit/testing';
import QRCode from 'qrcode';
import { mfaCodePage, mfaEnrolPage, passkeyEnrolPage, recoveryCodesPage, reverifyPage, securityDevicesSection } from './mfa-pages';
import { accountPage, loginPage, portalPage } from '../sso/html';

/** A light and a dark brand colour: the band's text must keep AA contrast on both. */
const LIGHT = { name: 'Acme Corp', logoUrl: 'https://cdn.example.com/logo.svg', brandColor: '#ffd43b' };
const DARK = { name: 'Acme Corp', logoUrl: null, brandColor: '#1864ab' };

/**
 * The multi-factor pages in Chromium, checked by axe: no serious or critical violation, with and
 * without an error; and with the organisation's band in a light and a dark brand colour.
 */
describe('MFA pages are accessible', () => {
  it('the code page, the enrolment page (QR code), the recovery codes and the account page’s security devices', async () => {
    const qrSvg = await QRCode.toString('otpauth://totp/idp.example.com:ada?secret=ABCDEFGHIJKLMNOP&issuer=idp.example.com', {
      type: 'svg',
      margin: 2,
    });
    const pages = {
      'code page': mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki' }),
      'code page, light brand colour and logo': mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', organization: LIGHT }),
      'code page, dark brand colour': mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', organization: DARK }),
      'sign-in page, light brand colour and logo': loginPage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', organization: LIGHT }),
      'sign-in page, dark brand colour, an error': loginPage({
        nonce: 'n',
        csrfToken: 't',
        applicationName: 'Wiki',
        organization: DARK,
        error: 'Wrong username or password.',
      }),
      'portal, dark brand colour': portalPage({ nonce: 'n', csrfToken: 't', signedInAs: 'Ada', tiles: [], organization: DARK }),
      'code page with an error': mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', error: 'That code is not right.' }),
      'code page with a recovery code error': mfaCodePage({
        nonce: 'n',
        csrfToken: 't',
        applicationName: 'Wiki',
        recoveryError: 'That recovery code is not right.',
      }),
      'enrolment page': mfaEnrolPage({
        nonce: 'n',
        csrfToken: 't',
        action: '/login/mfa',
        qrSvg,
        secret: 'ABCDEFGHIJKLMNOP',
        intro: 'Set up.',
      }),
      'enrolment page with an error': mfaEnrolPage({
        nonce: 'n',
        csrfToken: 't',
        action: '/login/mfa',
        qrSvg,
        secret: 'ABCDEFGHIJKLMNOP',
        intro: 'Set up.',
        error: 'That code is not right.',
      }),
      'code page with a passkey': mfaCodePage({ nonce: 'n', csrfToken: 't', applicationName: 'Wiki', passkeyOptions: { challenge: 'c' } }),
      'passkey-only page with an error': mfaCodePage({
        nonce: 'n',
        csrfToken: 't',
        applicationName: 'Wiki',
        passkeyOptions: { challenge: 'c' },
        codes: false,
        error: 'That passkey could not be used.',
      }),
      'enrolment page with a passkey': mfaEnrolPage({
        nonce: 'n',
        csrfToken: 't',
        action: '/login/mfa',
        qrSvg,
        secret: 'ABCDEFGHIJKLMNOP',
        intro: 'Set up.',
        passkey: { action: '/login/passkey/register', options: { challenge: 'c' } },
      }),
      'passkey enrolment page with an error': passkeyEnrolPage({
        nonce: 'n',
        csrfToken: 't',
        action: '/account/mfa/passkey',
        options: { challenge: 'c' },
        intro: 'Add a passkey.',
        error: 'That passkey could not be checked.',
        alternative: { action: '/account/mfa/totp', label: 'Use an authenticator app' },
        back: { href: '/account', label: 'Back to your account' },
      }),
      'confirm it is you (passkey and code)': reverifyPage({
        nonce: 'n',
        csrfToken: 't',
        passkeyOptions: { challenge: 'c' },
        codes: true,
        password: false,
      }),
      'confirm it is you (password), with an error': reverifyPage({
        nonce: 'n',
        csrfToken: 't',
        codes: false,
        password: true,
        error: 'The password is wrong.',
      }),
      'recovery codes': recoveryCodesPage({
        nonce: 'n',
        csrfToken: 't',
        codes: ['abcde-fghjk', 'mnpqr-stuvw'],
        continueTo: { href: '/account', label: 'Back' },
      }),
      'account page with security devices': accountPage({
        nonce: 'n',
        csrfToken: 't',
        profile: [['Name', 'Ada']],
        sessions: [{ createdAt: new Date(), lastSeenAt: new Date(), current: true }],
        securityDevices: securityDevicesSection({
          csrfToken: 't',
          factors: [
            { id: 'f1', kind: 'totp', name: null, createdAt: new Date(), lastUsedAt: null },
            { id: 'f2', kind: 'webauthn', name: 'Work laptop', createdAt: new Date(), lastUsedAt: new Date() },
          ],
          recoveryCodesLeft: 8,
        }),
      }),
    };
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      for (const [label, { html }] of Object.entries(pages)) {
        await page.setContent(html);
        // The passkey forms show once their script finds WebAuthn; here they are checked shown.
        await page.evaluate(() =>
          document.querySelectorAll('form[hidden], [data-passkey-section]').forEach((f) => ((f as HTMLFormElement).hidden = false)),
        );
        await assertAccessible(page, label);
      }
    } finally {
      await browser.close();
    }
  });
});
