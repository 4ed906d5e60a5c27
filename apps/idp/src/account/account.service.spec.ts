import assert from 'node:assert/strict';
import { Test } from '@nestjs/testing';
import type { DirectoryRpc, UserProfile } from '@jit/directory-contracts';
import { NatsBus, type RequestOf, type ResponseOf } from '@jit/messaging';
import { FreshReadModel } from '../common/fresh-read-model';
import type { SsoOutcome } from '../common/outcome';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import { IDP_CONFIG } from '../config';
import { MfaService } from '../mfa/mfa.service';
import { MfaThrottle } from '../mfa/mfa-throttle';
import { PasskeysService } from '../mfa/passkeys.service';
import { AccountService } from './account.service';

const ORG = '11111111-1111-4111-8111-111111111111';
const ADA = '22222222-2222-4222-8222-222222222222';
const BOB = '33333333-3333-4333-8333-333333333333';

type Change = typeof DirectoryRpc.changePassword;

/** The directory over NATS: records each change asked for and answers as told. */
class FakeDirectory {
  asked: RequestOf<Change>[] = [];
  answer: ResponseOf<Change> = { ok: true };
  request(_rpc: Change, request: RequestOf<Change>): Promise<ResponseOf<Change>> {
    this.asked.push(request);
    return Promise.resolve(this.answer);
  }
}

const profile = { username: 'ada', email: 'ada@example.com', displayname: 'Ada <Lovelace>', department: 'Engines' } as UserProfile;

describe('AccountService', () => {
  let sessions: SessionStore;
  let directory: FakeDirectory;
  let service: AccountService;
  afterEach(() => sessions.onApplicationShutdown());

  beforeEach(async () => {
    sessions = new SessionStore(60_000, 3_600_000);
    directory = new FakeDirectory();
    const moduleRef = await Test.createTestingModule({
      providers: [
        AccountService,
        { provide: SessionStore, useValue: sessions },
        { provide: NatsBus, useValue: directory },
        // No security devices: the page's MFA section is covered over HTTP (e2e/mfa.e2e-spec.ts).
        { provide: MfaService, useValue: { factors: () => Promise.resolve([]), recoveryCodesLeft: () => Promise.resolve(0) } },
        { provide: MfaThrottle, useValue: {} },
        { provide: IDP_CONFIG, useValue: {} },
        { provide: PasskeysService, useValue: { hasPasskey: () => Promise.resolve(false) } },
        {
          provide: FreshReadModel,
          useValue: {
            readModel: {
              profile: (o: string, u: string) => (o === ORG && u === ADA ? profile : null),
              organization: (o: string) => (o === ORG ? { name: 'Acme Corp', logoUrl: null, brandColor: '#0b7285' } : null),
            },
          },
        },
      ],
    }).compile();
    service = moduleRef.get(AccountService);
  });

  const signIn = (userId = ADA): IdpSession => {
    const s = sessions.create();
    s.user = { id: userId, organizationId: ORG, authnInstant: new Date(), sessionIndex: '_s' };
    return sessions.regenerate(s);
  };
  const page = (o: SsoOutcome) => {
    assert.equal(o.kind, 'page');
    return o.kind === 'page' ? o.page : { status: 0, html: '', csp: '' };
  };
  const change = (s: IdpSession, fields: { current?: string; next?: string; repeat?: string; csrf?: string } = {}) =>
    service.changePassword(s, {
      csrf: fields.csrf ?? s.csrfToken,
      currentPassword: fields.current ?? 'old-password',
      newPassword: fields.next ?? 'new-password',
      repeatPassword: fields.repeat ?? fields.next ?? 'new-password',
      sourceIp: '203.0.113.7',
    });

  it('sends a browser that is not signed in to the portal', async () => {
    assert.deepEqual(await service.page(undefined), { kind: 'redirect', location: '/' });
    assert.deepEqual(await service.page(sessions.create()), { kind: 'redirect', location: '/' });
  });

  it('shows the profile escaped, and the person’s sessions with this browser marked', async () => {
    const mine = signIn();
    signIn();
    signIn(BOB);
    const { status, html, csp } = page(await service.page(mine));
    assert.equal(status, 200);
    assert.match(html, /<dt>Name<\/dt><dd>Ada &#60;Lovelace&#62;<\/dd>/);
    assert.match(html, /<dt>Department<\/dt><dd>Engines<\/dd>/);
    assert.equal(html.match(/<li>Signed in /g)?.length, 2, 'Ada’s two sessions, not Bob’s');
    assert.equal(html.match(/\(this browser\)/g)?.length, 1);
    assert.match(html, /Sign out everywhere else/);
    // The person's organisation at the top, in its colour; no logo set, so no image allowed.
    assert.match(html, /<header class="org"><span class="org-name">Acme Corp<\/span><\/header><h1>Your account<\/h1>/);
    assert.match(html, /\.org\{background:#0b7285;color:#ffffff/);
    assert.doesNotMatch(csp, /img-src/);
    assert.match(csp, /style-src 'nonce-[^']+'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
  });

  it('refuses a change without the session’s CSRF token, asking the directory nothing', async () => {
    const s = signIn();
    assert.equal(page(await change(s, { csrf: 'forged' })).status, 403);
    assert.equal(directory.asked.length, 0);
  });

  it('puts a mismatch beside the repeat field without asking the directory', async () => {
    const { status, html } = page(await change(signIn(), { next: 'new-password', repeat: 'new-passwort' }));
    assert.equal(status, 400);
    assert.match(
      html,
      /id="repeatPassword"[^>]*aria-invalid="true"[^>]*><p class="error" id="repeatPassword-error">The two new passwords differ\.<\/p>/,
    );
    assert.equal(directory.asked.length, 0);
  });

  it('puts a wrong current password beside its field, and never writes a password into the page', async () => {
    directory.answer = { ok: false, reason: 'invalid_credentials' };
    const { status, html } = page(await change(signIn(), { current: 'guess<1>', next: 'brand-new-one' }));
    assert.equal(status, 400);
    assert.match(html, /<p class="error" id="currentPassword-error">The current password is wrong\.<\/p>/);
    assert.doesNotMatch(html, /guess|brand-new-one/);
  });

  it('puts the directory’s rule message beside the new password', async () => {
    directory.answer = { ok: false, reason: 'weak_password', message: 'The new password must have at least 8 characters.' };
    const { status, html } = page(await change(signIn(), { next: 'short' }));
    assert.equal(status, 400);
    assert.match(html, /<p class="error" id="newPassword-error">The new password must have at least 8 characters\.<\/p>/);
  });

  it('answers 429 with the sign-in wording when the directory’s backoff holds', async () => {
    directory.answer = { ok: false, reason: 'locked_out', retryAfter: '2099-01-01T10:00:00.000Z' };
    const { status, html } = page(await change(signIn()));
    assert.equal(status, 429);
    assert.match(html, /Too many failed sign-ins\. Try again after 2099-01-01 10:00 UTC/);
  });

  it('on success ends the person’s other sessions here, renews this one and says so', async () => {
    const mine = signIn();
    const other = signIn();
    const bobs = signIn(BOB);
    const outcome = await change(mine);
    assert.deepEqual(directory.asked, [
      { organizationId: ORG, userId: ADA, currentPassword: 'old-password', newPassword: 'new-password', sourceIp: '203.0.113.7' },
    ]);
    assert.equal(page(outcome).status, 200);
    assert.match(page(outcome).html, /role="status">Password changed</);
    assert.equal(sessions.get(other.id), undefined, 'the other session ended');
    assert.equal(sessions.get(mine.id), undefined, 'the old id is worth nothing');
    assert.ok(outcome.session && outcome.session.id !== mine.id);
    assert.equal(sessions.get(outcome.session.id)?.user?.id, ADA);
    assert.equal(sessions.get(bobs.id)?.user?.id, BOB, 'another person is untouched');
  });

  it('"sign out everywhere else" ends the other sessions and keeps this one', async () => {
    const mine = signIn();
    const other = signIn();
    assert.equal(page(await service.endOthers(mine, 'forged')).status, 403);
    assert.equal(sessions.get(other.id)?.id, other.id);
    const { status, html } = page(await service.endOthers(mine, mine.csrfToken));
    assert.equal(status, 200);
    assert.match(html, /Signed out of 1 other session\./);
    assert.equal(sessions.get(other.id), undefined);
    assert.equal(sessions.get(mine.id)?.id, mine.id);
  });
});
