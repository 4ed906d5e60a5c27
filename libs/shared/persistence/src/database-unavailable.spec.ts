import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Client, DatabaseError, Pool } from 'pg';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

/** A local TCP server that does something unhelpful with every connection (no PostgreSQL here). */
async function server(onConnection: (socket: Socket) => void): Promise<{ url: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const s = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `postgres://postgres@127.0.0.1:${port}/x`, server: s, sockets };
}

async function closed(s: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const socket of s.sockets) socket.destroy();
  await new Promise((resolve) => s.server.close(resolve));
}

async function rejection(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a rejection');
}

/** What pg-protocol builds from a server's ErrorResponse. */
function serverError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'FATAL';
  return error;
}

describe('isDatabaseUnavailable', () => {
  it('recognises a refused connection, as pg reports it', async () => {
    const s = await server(() => undefined);
    const url = s.url;
    await closed(s);
    const error = await rejection(new Client({ connectionString: url }).connect());
    assert.equal((error as Error & { code?: string }).code, 'ECONNREFUSED');
    assert.equal(isDatabaseUnavailable(error), true);
    // The same through a pool, as TypeORM's driver connects.
    const pool = new Pool({ connectionString: url });
    assert.equal(isDatabaseUnavailable(await rejection(pool.query('SELECT 1'))), true);
    await pool.end();
  });

  it('recognises a connection cut by the server ("Connection terminated unexpectedly")', async () => {
    const s = await server((socket) => socket.destroy());
    const error = await rejection(new Client({ connectionString: s.url }).connect());
    assert.equal(error.message, 'Connection terminated unexpectedly');
    assert.equal(isDatabaseUnavailable(error), true);
    await closed(s);
  });

  it("recognises a connect timeout, and a pool's wait for a connection that timed out", async () => {
    const s = await server(() => undefined);
    const pool = new Pool({ connectionString: s.url, max: 1, connectionTimeoutMillis: 50 });
    const [first, second] = await Promise.all([rejection(pool.query('SELECT 1')), rejection(pool.query('SELECT 1'))]);
    const messages = [first.message, second.message].sort();
    assert.deepEqual(messages, ['Connection terminated due to connection timeout', 'timeout exceeded when trying to connect']);
    assert.equal(isDatabaseUnavailable(first), true);
    assert.equal(isDatabaseUnavailable(second), true);
    await pool.end();
    await closed(s);
  });

  it('recognises the server shutting down, crashing or not accepting yet (57P01, 57P02, 57P03) and class 08', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '08006', '08001']) {
      assert.equal(isDatabaseUnavailable(serverError(code, 'terminating connection due to administrator command')), true, code);
    }
  });

  it("looks inside TypeORM's QueryFailedError, a cause and an AggregateError", () => {
    const wrapped = new QueryFailedError('SELECT 1', [], serverError('57P01', 'terminating connection due to administrator command'));
    assert.equal(isDatabaseUnavailable(wrapped), true);
    assert.equal(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'))), true);
    assert.equal(isDatabaseUnavailable(new Error('lease', { cause: new Error('Connection terminated unexpectedly') })), true);
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    assert.equal(isDatabaseUnavailable(new AggregateError([refused], '')), true);
  });

  it("recognises a transaction's statement after TypeORM released its runner for a connection error", () => {
    // What a directory answered 500 with when PostgreSQL was killed between a change and its COMMIT.
    assert.equal(isDatabaseUnavailable(new QueryRunnerAlreadyReleasedError()), true);
  });

  it('leaves alone what a statement did wrong, and anything that is not a database error', () => {
    assert.equal(isDatabaseUnavailable(serverError('23505', 'duplicate key value violates unique constraint')), false);
    // Class 08 but a statement's own mistake (its parameters do not match it): a bug, not an outage.
    assert.equal(
      isDatabaseUnavailable(serverError('08P01', 'bind message supplies 4 parameters, but prepared statement "" requires 3')),
      false,
    );
    assert.equal(
      isDatabaseUnavailable(new QueryFailedError('SELEC 1', [], serverError('42601', 'syntax error at or near "SELEC"'))),
      false,
    );
    assert.equal(isDatabaseUnavailable(new Error('boom')), false);
    assert.equal(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')")), false);
    assert.equal(isDatabaseUnavailable('Connection terminated unexpectedly'), false);
    assert.equal(isDatabaseUnavailable(null), false);
    assert.equal(isDatabaseUnavailable(undefined), false);
  });
});
