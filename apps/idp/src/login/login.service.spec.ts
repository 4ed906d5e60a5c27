import assert from 'node:assert/strict';
import { Test } from '@nestjs/testing';
import { NatsBus } from '@jit/messaging';
import { FreshReadModel } from '../common/fresh-read-model';
import type { SsoOutcome } from '../common/outcome';
import { Refusal } from '../common/refusals';
import { RefusalResponder } from '../common/refusal-responder';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import { SsoService } from '../sso/sso.service';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { MfaService } from '../mfa/mfa.service';
import { MfaThrottle } from '../mfa/mfa-throttle';
import { PasskeysService } from '../mfa/passkeys.service';
import { LoginThrottle } from './login-throttle';
import { LoginService } from './login.service';
import { retryTime, type RefusedCheck } from './sign-in-messages';

/** The login page offers passwordless sign-in: its options are all these tests need of passkeys. */
const fakePasskeys = {
  authenticationOptions: () => Promise.resolve({ challenge: 'c', rpId: 'localhost' }),
  hasPasskey: () => Promise.resolve(false),
} as unknown as PasskeysService;

const ORG = '11111111-1111-4111-8111-111111111111';

/** The directory's credential check, counting how often it is asked (each is an argon2 verify there). */
class FakeDirectory {
  checks = 0;
  answer: RefusedCheck = { ok: false, reason: 'invalid_credentials' };
  request(): Promise<RefusedCheck> {
    this.checks++;
    return Promise.resolve(this.answer);
  }
}

describe('LoginService: throttled before the directory', () => {
  let sessions: SessionStore;
  afterEach(() => sessions.onApplicationShutdown());

  // LoginService as Nest builds it, with the directory (over NATS) faked; nothing else is reached.
  const setUp = async (limits: { perSource: number; perSession: number }) => {
    sessions = new SessionStore(60_000, 3_600_000);
    const directory = new FakeDirectory();
    const moduleRef = await Test.createTestingModule({
      providers: [
        LoginService,
        { provide: SessionStore, useValue: sessions },
        { provide: NatsBus, useValue: directory },
        { provide: LoginThrottle, useValue: new LoginThrottle({ ...limits, windowSeconds: 900 }, 'memory') },
        // The organisation has no branding known yet: its pages as they always were.
        { provide: FreshReadModel, useValue: { readModel: { organization: () => null } } },
        { provide: SsoService, useValue: {} },
        { provide: RefusalResponder, useValue: {} },
        { provide: MfaService, useValue: {} },
        { provide: MfaThrottle, useValue: {} },
        { provide: IDP_CONFIG, useValue: {} },
        { provide: PasskeysService, useValue: fakePasskeys },
      ],
    }).compile();
    const service = moduleRef.get(LoginService);
    const pendingSession = (): IdpSession => {
      const s = sessions.create();
      s.pending = { applicationId: null, organizationId: ORG, requestId: null, acsUrl: '', relayState: null };
      return s;
    };
    const attempt = (s: IdpSession, sourceIp = '203.0.113.7') =>
      service.login(s, { csrf: s.csrfToken, username: 'ada', password: 'wrong', sourceIp });
    return { directory, pendingSession, attempt };
  };

  const page = (o: SsoOutcome) => {
    assert.equal(o.kind, 'page');
    return o.kind === 'page' ? o.page : { status: 0, html: '' };
  };

  it('answers 429 with the wait, without asking the directory, once a session has failed too often', async () => {
    const { directory, pendingSession, attempt } = await setUp({ perSource: 100, perSession: 3 });
    const s = pendingSession();
    for (let i = 0; i < 3; i++) assert.equal(page(await attempt(s)).status, 401);
    assert.equal(directory.checks, 3);
    const throttled = page(await attempt(s));
    assert.equal(throttled.status, 429);
    assert.match(throttled.html, /Too many sign-in attempts from your network\. Try again in 15 minutes\./);
    assert.match(throttled.html, /name="csrf"/, 'the same login page');
    assert.equal(directory.checks, 3, 'the throttled attempt cost no credential check');
  });

  it('throttles a source address across fresh sessions', async () => {
    const { directory, pendingSession, attempt } = await setUp({ perSource: 2, perSession: 100 });
    assert.equal(page(await attempt(pendingSession())).status, 401);
    assert.equal(page(await attempt(pendingSession())).status, 401);
    assert.equal(page(await attempt(pendingSession())).status, 429);
    assert.equal(directory.checks, 2);
    assert.equal(page(await attempt(pendingSession(), '198.51.100.9')).status, 401, 'another address is not held up');
    assert.equal(directory.checks, 3);
  });
});

describe("LoginService: the page for each of the directory's refusals", () => {
  let sessions: SessionStore;
  afterEach(() => sessions.onApplicationShutdown());

  const signIn = async (answer: RefusedCheck) => {
    sessions = new SessionStore(60_000, 3_600_000);
    const directory = new FakeDirectory();
    directory.answer = answer;
    const service = new LoginService(
      { readModel: { organization: () => null } } as unknown as FreshReadModel,
      sessions,
      directory as unknown as NatsBus,
      {} as SsoService,
      {} as RefusalResponder,
      new LoginThrottle({ perSource: 100, perSession: 100, windowSeconds: 900 }, 'memory'),
      {} as MfaService,
      {} as IdpConfig,
      {} as MfaThrottle,
      fakePasskeys,
    );
    const s = sessions.create();
    s.pending = { applicationId: null, organizationId: ORG, requestId: null, acsUrl: '', relayState: null };
    const outcome = await service.login(s, { csrf: s.csrfToken, username: 'ada', password: 'typed', sourceIp: '203.0.113.7' });
    assert.equal(outcome.kind, 'page');
    const page = outcome.kind === 'page' ? outcome.page : { status: 0, html: '' };
    assert.match(page.html, /name="csrf"/, 'the login form again, to try again');
    const alert = /<p class="error" role="alert">([^<]*)<\/p>/.exec(page.html)?.[1];
    return { status: page.status, alert };
  };

  it('a wrong password (or a login name that matches no account): 401, nothing more said', async () => {
    assert.deepEqual(await signIn({ ok: false, reason: 'invalid_credentials' }), { status: 401, alert: 'Wrong username or password.' });
  });

  it('backed off or over the hourly ceiling: 429, until when, and who can help', async () => {
    const retryAfter = new Date(Date.now() + 10 * 60_000);
    assert.deepEqual(await signIn({ ok: false, reason: 'locked_out', retryAfter: retryAfter.toISOString() }), {
      status: 429,
      alert: `Too many failed sign-ins. Try again after ${retryTime(retryAfter, new Date())}, or ask your administrator.`,
    });
    assert.match(retryTime(retryAfter, new Date()), /^(\d{4}-\d\d-\d\d )?\d\d:\d\d UTC$/);
  });

  it("the directory's throttle of the source address: 429, in the IdP throttle's words", async () => {
    const retryAfter = new Date(Date.now() + 45_000).toISOString();
    assert.deepEqual(await signIn({ ok: false, reason: 'throttled', retryAfter }), {
      status: 429,
      alert: 'Too many sign-in attempts from your network. Try again in 1 minute.',
    });
  });

  it('a suspended or staged account (the directory says so only after the right password): 403 and whom to ask', async () => {
    assert.deepEqual(await signIn({ ok: false, reason: 'not_active', state: 'SUSPENDED' }), {
      status: 403,
      alert: 'Your account is suspended. Ask your administrator.',
    });
    assert.deepEqual(await signIn({ ok: false, reason: 'not_active', state: 'STAGED' }), {
      status: 403,
      alert: 'Your account is not active yet. Ask your administrator.',
    });
  });
});

describe('LoginService: passwordless sign-in with a passkey', () => {
  const USER = '44444444-4444-4444-8444-444444444444';
  let sessions: SessionStore;
  afterEach(() => sessions.onApplicationShutdown());

  const withPasskey = (state: string, check: Awaited<ReturnType<PasskeysService['authenticate']>>, perSession = 100) => {
    sessions = new SessionStore(60_000, 3_600_000);
    const fresh = { readModel: { profile: () => ({ state, username: 'ada' }), organization: () => null } } as unknown as FreshReadModel;
    const passkeys = { ...fakePasskeys, authenticate: () => Promise.resolve(check) } as unknown as PasskeysService;
    const service = new LoginService(
      fresh,
      sessions,
      {} as NatsBus,
      {} as SsoService,
      {} as RefusalResponder,
      new LoginThrottle({ perSource: 100, perSession, windowSeconds: 900 }, 'memory'),
      {} as MfaService,
      {} as IdpConfig,
      {} as MfaThrottle,
      passkeys,
    );
    const s = sessions.create();
    s.pending = { applicationId: null, organizationId: ORG, requestId: null, acsUrl: '', relayState: null };
    return { service, s, send: () => service.passkeySignIn(s, { csrf: s.csrfToken, credential: '{}', sourceIp: '203.0.113.7' }) };
  };

  it('signs an active person in as multi-factor and phishing-resistant, with a new session id', async () => {
    const { s, send } = withPasskey('ACTIVATED', { ok: true, userId: USER, factorId: 'f' });
    const outcome = await send();
    assert.equal(outcome.kind, 'redirect');
    const user = outcome.session?.user;
    assert.deepEqual([user?.id, user?.mfa, user?.phishingResistant], [USER, true, true]);
    assert.notEqual(outcome.session?.id, s.id);
    assert.ok(user?.verifiedAt !== undefined && Date.now() - user.verifiedAt < 5000);
  });

  it('refuses a person the directory has suspended, in the sign-in form’s words', async () => {
    const outcome = await withPasskey('SUSPENDED', { ok: true, userId: USER, factorId: 'f' }).send();
    assert.equal(outcome.kind === 'page' && outcome.page.status, 403);
    assert.match(outcome.kind === 'page' ? outcome.page.html : '', /Your account is suspended\. Ask your administrator\./);
    assert.equal(outcome.session, undefined);
  });

  it('refuses a forged form, and counts refused passkeys against the session until it must wait', async () => {
    const { service, s, send } = withPasskey('ACTIVATED', { ok: false, reason: 'invalid_passkey', userId: USER }, 2);
    const forged = await service.passkeySignIn(s, { csrf: 'not the token', credential: '{}', sourceIp: '203.0.113.7' });
    assert.equal(forged.kind === 'page' && forged.page.status, 403);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await send();
      statuses.push(outcome.kind === 'page' ? outcome.page.status : 0);
    }
    assert.deepEqual(statuses, [401, 401, 429]);
  });
});

describe('LoginService.portal: an organisation sign-in link', () => {
  const KNOWN = '22222222-2222-4222-8222-222222222222';
  const UNKNOWN = '33333333-3333-4333-8333-333333333333';

  it('makes no session for an organisation the IdP does not know, and one for a known one', async () => {
    const sessions = new SessionStore(60_000, 3_600_000, { pendingMs: 600_000, maxPending: 100 });
    const checked: unknown[] = [];
    const fresh = {
      requireFresh: (about: unknown) => {
        checked.push(about);
        return Promise.resolve();
      },
      readModel: { knowsOrganization: (id: string) => id === KNOWN },
    } as unknown as FreshReadModel;
    const service = new LoginService(
      fresh,
      sessions,
      {} as NatsBus,
      {} as SsoService,
      {} as RefusalResponder,
      new LoginThrottle({ perSource: 1, perSession: 1, windowSeconds: 60 }, 'memory'),
      {} as MfaService,
      {} as IdpConfig,
      {} as MfaThrottle,
      fakePasskeys,
    );
    for (let i = 0; i < 50; i++) {
      const unknown = await service.portal(undefined, UNKNOWN);
      assert.equal(unknown.kind, 'page');
      assert.equal(unknown.kind === 'page' && unknown.page.status, 404);
      assert.equal(unknown.session, undefined);
    }
    assert.equal(sessions.pendingCount, 0);
    const known = await service.portal(undefined, KNOWN);
    assert.deepEqual(known.kind === 'redirect' && [known.location, known.session?.pending?.organizationId], ['/login', KNOWN]);
    assert.equal(sessions.pendingCount, 1);
    // Only whether the organisation exists is decided: its events, not every organisation's.
    assert.deepEqual(checked.at(-1), { organisationExists: KNOWN });
    assert.deepEqual(checked[0], { organisationExists: UNKNOWN });
    void sessions.onApplicationShutdown();
  });
});

describe('LoginService: freshness for the person who signs in', () => {
  const APP = '44444444-4444-4444-8444-444444444444';
  const USER = '55555555-5555-4555-8555-555555555555';

  /** A password sign-in to APP, with the freshness checks it asks for recorded; `staleForPerson` refuses the second. */
  const signIn = async (staleForPerson: boolean) => {
    const sessions = new SessionStore(60_000, 3_600_000);
    const checks: unknown[] = [];
    const issued: string[] = [];
    const fresh = {
      requireFresh: (about: unknown) => {
        checks.push(about);
        return staleForPerson && checks.length === 2 ? Promise.reject(new Refusal('stale_read_model')) : Promise.resolve();
      },
      activeApplication: (id: string) => ({ id, organizationId: ORG, snapshot: { name: 'App', mfaRequired: false } }),
    } as unknown as FreshReadModel;
    const sso = {
      issue: (s: IdpSession) => {
        issued.push(s.user?.id ?? '');
        return Promise.resolve({ kind: 'page', page: { status: 200, html: 'issued' } } as SsoOutcome);
      },
    } as unknown as SsoService;
    const refusals = {
      guard: async (_who: unknown, work: () => Promise<SsoOutcome>) => {
        try {
          return await work();
        } catch (error) {
          if (error instanceof Refusal) return { kind: 'page', page: { status: error.status, html: error.reason } } as SsoOutcome;
          throw error;
        }
      },
    } as unknown as RefusalResponder;
    const mfa = { hasConfirmedFactor: () => Promise.resolve(false), policy: () => Promise.resolve('off') } as unknown as MfaService;
    const service = new LoginService(
      fresh,
      sessions,
      { request: () => Promise.resolve({ ok: true, userId: USER }) } as unknown as NatsBus,
      sso,
      refusals,
      new LoginThrottle({ perSource: 100, perSession: 100, windowSeconds: 900 }, 'memory'),
      mfa,
      {} as IdpConfig,
      {} as MfaThrottle,
      fakePasskeys,
    );
    const s = sessions.create();
    s.pending = { applicationId: APP, organizationId: ORG, requestId: null, acsUrl: 'https://sp.example/acs', relayState: null };
    const outcome = await service.login(s, { csrf: s.csrfToken, username: 'ada', password: 'right', sourceIp: '203.0.113.7' });
    void sessions.onApplicationShutdown();
    return { checks, issued, outcome };
  };

  it('checks the application before the password, and the person the directory names before anything is decided for them', async () => {
    const { checks, issued } = await signIn(false);
    assert.deepEqual(checks, [
      { person: undefined, applicationId: APP },
      { person: { organizationId: ORG, userId: USER }, applicationId: APP },
    ]);
    assert.deepEqual(issued, [USER]);
  });

  it("issues nothing when the person's events cannot be proven applied", async () => {
    const { issued, outcome } = await signIn(true);
    assert.deepEqual(issued, []);
    assert.equal(outcome.kind === 'page' && outcome.page.status, 503);
  });
});
