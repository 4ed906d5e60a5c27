import assert from 'node:assert/strict';
import { Test } from '@nestjs/testing';
import { NatsBus } from '@jit/messaging';
import { FreshReadModel } from '../common/fresh-read-model';
import type { SsoOutcome } from '../common/outcome';
import { RefusalResponder } from '../common/refusal-responder';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import { SsoService } from '../sso/sso.service';
import { LoginThrottle } from './login-throttle';
import { LoginService } from './login.service';

const ORG = '11111111-1111-4111-8111-111111111111';

/** The directory's credential check, counting how often it is asked (each is an argon2 verify there). */
class FakeDirectory {
  checks = 0;
  request(): Promise<{ ok: false; reason: 'invalid_credentials' }> {
    this.checks++;
    return Promise.resolve({ ok: false, reason: 'invalid_credentials' });
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
        { provide: LoginThrottle, useValue: new LoginThrottle({ ...limits, windowSeconds: 900 }) },
        { provide: FreshReadModel, useValue: {} },
        { provide: SsoService, useValue: {} },
        { provide: RefusalResponder, useValue: {} },
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
    assert.match(throttled.html, /Too many sign-in attempts\. Try again in 15 minutes\./);
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

describe('LoginService.portal: an organisation sign-in link', () => {
  const KNOWN = '22222222-2222-4222-8222-222222222222';
  const UNKNOWN = '33333333-3333-4333-8333-333333333333';

  it('makes no session for an organisation the IdP does not know, and one for a known one', async () => {
    const sessions = new SessionStore(60_000, 3_600_000, { pendingMs: 600_000, maxPending: 100 });
    const fresh = {
      requireFresh: () => Promise.resolve(),
      readModel: { knowsOrganization: (id: string) => id === KNOWN },
    } as unknown as FreshReadModel;
    const service = new LoginService(
      fresh,
      sessions,
      {} as NatsBus,
      {} as SsoService,
      {} as RefusalResponder,
      new LoginThrottle({ perSource: 1, perSession: 1, windowSeconds: 60 }),
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
    sessions.onApplicationShutdown();
  });
});
