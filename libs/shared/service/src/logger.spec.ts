import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { createServiceLogger, loggedUrl, PinoNestLogger } from './logger';

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
