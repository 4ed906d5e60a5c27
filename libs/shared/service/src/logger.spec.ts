import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import express from 'express';
import fastify from 'fastify';
import { createServiceLogger, HttpLogging, loggedUrl, PinoNestLogger } from './logger';

/** A destination that keeps what was written. */
function collector(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('the service logger', () => {
  it('writes one JSON object per line outside development', () => {
    const out = collector();
    createServiceLogger('directory', { NODE_ENV: 'production', LOG_LEVEL: 'info' }, out.stream).info({ context: 'Startup' }, 'hello');
    const [line] = out.lines();
    assert.equal(line?.msg, 'hello');
    assert.equal(line?.service, 'directory');
    assert.equal(line?.context, 'Startup');
    assert.equal(line?.level, 30);
  });

  it('writes one readable line in development: time, level, [context] message, no JSON braces', () => {
    const out = collector();
    createServiceLogger('directory', { NODE_ENV: 'development', LOG_LEVEL: 'info' }, out.stream).info(
      { context: 'Startup' },
      'directory listening',
    );
    assert.match(out.text(), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Startup\] directory listening\n$/);
  });

  it("takes Nest's Logger calls: the context as a field, pino-style fields, Errors and error(message, stack)", () => {
    const out = collector();
    const adapter = new PinoNestLogger(createServiceLogger('idp', { NODE_ENV: 'test', LOG_LEVEL: 'debug' }, out.stream));
    Logger.overrideLogger(adapter);
    try {
      new Logger('SignIn').log('ada signed in');
      new Logger('Lockout').warn({ userId: 'u1' }, 'account locked');
      new Logger('ErrorFilter').error(new Error('boom'));
      adapter.error('failed', 'Error: failed\n    at x', 'Worker');
      // Nest's route dump stays below info.
      adapter.log('Mapped {/v1/users, POST} route', 'RouterExplorer');
    } finally {
      Logger.overrideLogger(false);
    }
    const lines = out.lines();
    assert.deepEqual(
      lines.map(({ level, context, msg }) => ({ level, context, msg })),
      [
        { level: 30, context: 'SignIn', msg: 'ada signed in' },
        { level: 40, context: 'Lockout', msg: 'account locked' },
        { level: 50, context: 'ErrorFilter', msg: 'boom' },
        { level: 50, context: 'Worker', msg: 'failed' },
        { level: 20, context: 'RouterExplorer', msg: 'Mapped {/v1/users, POST} route' },
      ],
    );
    assert.equal(lines[1]?.userId, 'u1');
    assert.equal((lines[2]?.err as { message?: string }).message, 'boom');
    assert.equal(lines[3]?.stack, 'Error: failed\n    at x');
  });
});

describe('loggedUrl: what the request log keeps of a URL', () => {
  it('keeps the path and the query names, never a value (SAML messages, RelayState, filters)', () => {
    assert.equal(loggedUrl('/saml2/app/sso?SAMLRequest=fZJda%3D&RelayState=secret'), '/saml2/app/sso?SAMLRequest=…&RelayState=…');
    assert.equal(loggedUrl('/v1/users?email=ada%40example.com&limit=5'), '/v1/users?email=…&limit=…');
    assert.equal(loggedUrl('/v1/users'), '/v1/users');
    assert.equal(loggedUrl('/v1/users?'), '/v1/users');
    assert.equal(loggedUrl(undefined), '');
  });
});

describe('the request log', () => {
  const host = (type: 'fastify' | 'express', instance: unknown) =>
    ({ httpAdapter: { getType: () => type, getInstance: () => instance } }) as unknown as HttpAdapterHost;

  it('writes one line per answered request through Fastify: no query values, status, time, client; no probes', async () => {
    const out = collector();
    const app = fastify();
    new HttpLogging(createServiceLogger('idp', { NODE_ENV: 'production', LOG_LEVEL: 'info' }, out.stream), host('fastify', app));
    app.get('/sso', () => 'ok');
    app.get('/health', () => 'ok');
    app.get('/boom', async (_request, reply) => reply.code(503).send('down'));
    await app.inject({ method: 'GET', url: '/sso?SAMLRequest=secret&RelayState=also' });
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/nowhere?email=a@b' });
    await app.inject({ method: 'GET', url: '/boom' });
    await app.close();
    const lines = out.lines();
    assert.deepEqual(
      lines.map((l) => [l.msg, l.req, l.res]),
      [
        [
          `GET /sso?SAMLRequest=…&RelayState=… 200 ${String(lines[0]?.responseTime)} ms`,
          { method: 'GET', url: '/sso?SAMLRequest=…&RelayState=…', ip: '127.0.0.1' },
          { statusCode: 200 },
        ],
        [
          `GET /nowhere?email=… 404 ${String(lines[1]?.responseTime)} ms`,
          { method: 'GET', url: '/nowhere?email=…', ip: '127.0.0.1' },
          { statusCode: 404 },
        ],
        ['GET /boom 503', { method: 'GET', url: '/boom', ip: '127.0.0.1' }, { statusCode: 503 }],
      ],
    );
    assert.ok(lines.every((l) => typeof l.responseTime === 'number' && l.level === 30));
    assert.ok(!out.text().includes('secret'));
  });

  it('writes the same line through Express, and says so when the client leaves before the answer', async () => {
    const out = collector();
    const app = express();
    new HttpLogging(createServiceLogger('console', { NODE_ENV: 'production', LOG_LEVEL: 'info' }, out.stream), host('express', app));
    let hang: (() => void) | undefined;
    app.get('/api/me', (_req, res) => void res.json({ ok: true }));
    app.get('/slow', (_req, res) => void (hang = () => res.end()));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await (await fetch(`${base}/api/me?token=x`)).text();
    const controller = new AbortController();
    const slow = fetch(`${base}/slow`, { signal: controller.signal }).catch(() => undefined);
    while (!hang) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await slow;
    await new Promise((resolve) => setTimeout(resolve, 50));
    hang();
    server.close();
    const lines = out.lines();
    assert.deepEqual(lines[0]?.req, { method: 'GET', url: '/api/me?token=…', ip: '127.0.0.1' });
    assert.equal(lines[0]?.msg, `GET /api/me?token=… 200 ${String(lines[0]?.responseTime)} ms`);
    assert.equal(lines[1]?.msg, 'GET /slow: the client closed the connection before the answer');
    assert.equal(lines.length, 2);
  });
});
