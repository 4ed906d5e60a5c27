import { QueryRunnerAlreadyReleasedError } from 'typeorm';

/**
 * Socket errors of a connection to PostgreSQL that cannot be made or was cut: nothing the
 * statement did, only that the database is not there for now.
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server that is going away or not yet accepting: admin_shutdown (57P01, a fast
 * stop or pg_terminate_backend), crash_shutdown (57P02), cannot_connect_now (57P03, starting or
 * in recovery) and too_many_connections (53300), and class 08 (connection exception).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/**
 * Class 08, except protocol_violation (08P01): the server says that when a statement's own
 * parameters do not match it ("bind message supplies 4 parameters, but prepared statement
 * requires 3"), a bug to see as a 500, not a database to wait for.
 */
const CONNECTION_CLASS = /^08(?!P01)[0-9A-Z]{3}$/;

/**
 * What node-postgres says when it has no working connection; these errors carry no code.
 * "Connection terminated unexpectedly" (the socket closed under a client), "Connection terminated
 * due to connection timeout", "timeout exceeded when trying to connect" (pg-pool waiting for a
 * connection), "Client has encountered a connection error and is not queryable".
 */
const PG_MESSAGES = [/^Connection terminated\b/, /^timeout exceeded when trying to connect$/, /is not queryable$/];

/**
 * True when `error` says PostgreSQL cannot be reached or has gone away, not that a statement was
 * wrong: the caller should answer 503 (try again) instead of 500. Looks through TypeORM's
 * QueryFailedError (`driverError`), `cause` and AggregateError's `errors` (a refused connection
 * to a name with several addresses).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailable(error, 0);
}

function unavailable(error: unknown, depth: number): boolean {
  if (depth > 5 || error === null || typeof error !== 'object') return false;
  // TypeORM releases a query runner whose connection emitted an error (PostgreSQL killed or cut
  // mid-transaction), and the transaction's next statement, often its COMMIT, then fails with this,
  // without a cause. The COMMIT was never sent, so nothing was committed. (Found by the fault suite.)
  if (error instanceof QueryRunnerAlreadyReleasedError) return true;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATES.has(code) || CONNECTION_CLASS.test(code))) return true;
  if (typeof message === 'string' && PG_MESSAGES.some((m) => m.test(message))) return true;
  if (driverError !== undefined && unavailable(driverError, depth + 1)) return true;
  if (cause !== undefined && unavailable(cause, depth + 1)) return true;
  return Array.isArray(errors) && errors.some((e) => unavailable(e, depth + 1));
}
