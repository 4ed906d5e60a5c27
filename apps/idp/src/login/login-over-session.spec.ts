import assert from 'node:assert/strict';
import { Test } from '@nestjs/testing';
import { NatsBus } from '@jit/messaging';
import { FreshReadModel } from '../common/fresh-read-model';
import { RefusalResponder } from '../common/refusal-responder';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import { SsoService } from '../sso/sso.service';
import { IDP_CONFIG } from '../config';
import { MfaService } from '../mfa/mfa.service';
import { MfaThrottle } from '../mfa/mfa-throttle';
import { PasskeysService } from '../mfa/passkeys.service';
import { LoginThrottle } from './login-throttle';
import { LoginService } from './login.service';

const ORG = '11111111-1111-4111-8111-111111111111';
const ADA = '7b1d2c3e-4f50-4a61-8b72-9c83d4e5f601';
const GRACE = '8c2e3d4f-5061-4b72-9c83-ad94e5f60712';
const APP = '3f0c8f8e-9a43-4e52-8a77-0d6a3b0f9c11';

describe('LoginService: signing in over a signed-in session (ForceAuthn)', () => {
  let sessions: SessionStore;
  afterEach(() => sessions.onApplicationShutdown());

  const signInAs = async (userId: string) => {
    sessions = new SessionStore(60_000, 3_600_000);
    const moduleRef = await Test.createTestingModule({
      providers: [
        LoginService,
        { provide: SessionStore, useValue: sessions },
        { provide: NatsBus, useValue: { request: () => Promise.resolve({ ok: true, userId }) } },
        { provide: LoginThrottle, useValue: new LoginThrottle({ perSource: 100, perSession: 100, windowSeconds: 900 }, 'memory') },
        { provide: FreshReadModel, useValue: {} },
        { provide: SsoService, useValue: {} },
        { provide: RefusalResponder, useValue: {} },
        // No factor, policy off: the password alone signs in.
        { provide: MfaService, useValue: { hasConfirmedFactor: () => Promise.resolve(false), policy: () => Promise.resolve('off') } },
        { provide: MfaThrottle, useValue: {} },
        { provide: IDP_CONFIG, useValue: {} },
        {
          provide: PasskeysService,
          useValue: { hasPasskey: () => Promise.resolve(false), authenticationOptions: () => Promise.resolve({ challenge: 'c' }) },
        },
      ],
    }).compile();
    const s: IdpSession = sessions.regenerate({
      ...sessions.create(),
      user: { id: ADA, organizationId: ORG, authnInstant: new Date(), sessionIndex: '_s1' },
      applications: new Map([[APP, { nameId: 'ada@example.com' }]]),
    });
    s.pending = { applicationId: null, organizationId: ORG, requestId: null, acsUrl: '', relayState: null };
    const outcome = await moduleRef
      .get(LoginService)
      .login(s, { csrf: s.csrfToken, username: 'x', password: 'y', sourceIp: '203.0.113.7' });
    return sessions.get(outcome.session?.id);
  };

  it('another person does not inherit the applications the first one signed in to', async () => {
    const renewed = await signInAs(GRACE);
    assert.equal(renewed?.user?.id, GRACE);
    assert.equal(renewed.applications, undefined);
  });

  it('the same person keeps them', async () => {
    const renewed = await signInAs(ADA);
    assert.deepEqual([...(renewed?.applications ?? [])], [[APP, { nameId: 'ada@example.com' }]]);
  });
});
