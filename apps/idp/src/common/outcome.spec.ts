import assert from 'node:assert/strict';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdpConfig } from '../config';
import { SessionStore } from '../sessions/session-store';
import { BrowserReplies } from './outcome';

/** A reply that records what would go on the wire. */
function recordingReply() {
  const cookies: Array<{ name: string; value: string; options: Record<string, unknown> }> = [];
  const reply = {
    setCookie: (name: string, value: string, options: Record<string, unknown>) => (cookies.push({ name, value, options }), reply),
    clearCookie: () => reply,
    header: () => reply,
    status: () => reply,
    type: () => reply,
    send: () => Promise.resolve(),
  };
  return { reply: reply as unknown as FastifyReply, cookies };
}

describe('BrowserReplies: the session cookie', () => {
  let sessions: SessionStore;
  afterEach(() => sessions.onApplicationShutdown());

  const replies = (baseUrl: string) => {
    sessions = new SessionStore(60_000, 3_600_000);
    return new BrowserReplies(sessions, { IDP_BASE_URL: baseUrl } as IdpConfig);
  };

  it('under https: __Host- prefix, Secure, Path=/, HttpOnly, SameSite=Lax and no Domain; read back by that name', async () => {
    const browser = replies('https://idp.example.com');
    const session = sessions.create();
    const { reply, cookies } = recordingReply();
    await browser.send(reply, { kind: 'redirect', location: '/login', session });
    assert.deepEqual(cookies, [
      { name: '__Host-jit_idp_session', value: session.id, options: { path: '/', httpOnly: true, sameSite: 'lax', secure: true } },
    ]);
    const req = (cookies: Record<string, string>) => ({ cookies }) as unknown as FastifyRequest;
    assert.equal((await browser.session(req({ '__Host-jit_idp_session': session.id })))?.id, session.id);
    assert.equal(await browser.session(req({ jit_idp_session: session.id })), undefined, 'the unprefixed name is not trusted under https');
  });

  it('under plain http (development): no prefix, not Secure', async () => {
    const browser = replies('http://localhost:4000');
    const { reply, cookies } = recordingReply();
    await browser.send(reply, { kind: 'redirect', location: '/login', session: sessions.create() });
    assert.equal(cookies[0]?.name, 'jit_idp_session');
    assert.equal(cookies[0]?.options.secure, false);
  });
});
