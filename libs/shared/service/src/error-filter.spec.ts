import assert from 'node:assert/strict';
import { Logger, type ArgumentsHost } from '@nestjs/common';
import { DatabaseError } from 'pg';
import { lastValueFrom, type Observable } from 'rxjs';
import { QueryFailedError } from 'typeorm';
import { DATABASE_UNAVAILABLE, ErrorFilter, toErrorBody } from './error-filter';

const logger = new Logger('test');

function adminShutdown(): DatabaseError {
  const error = new DatabaseError('terminating connection due to administrator command', 0, 'error');
  error.code = '57P01';
  return error;
}

describe('ErrorFilter: PostgreSQL down is 503 DEPENDENCY_UNAVAILABLE, never 500', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers a refused connection, a cut one and a wrapped server shutdown with 503 and the reason', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (const error of [refused, new Error('Connection terminated unexpectedly'), new QueryFailedError('SELECT 1', [], adminShutdown())]) {
      assert.deepEqual(toErrorBody(error, logger), {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'DEPENDENCY_UNAVAILABLE',
        message: DATABASE_UNAVAILABLE,
      });
    }
  });

  it('still answers any other error as a plain 500', () => {
    const duplicate = new DatabaseError('duplicate key value violates unique constraint', 0, 'error');
    duplicate.code = '23505';
    assert.equal(toErrorBody(new QueryFailedError('INSERT', [], duplicate), logger).statusCode, 500);
    assert.equal(toErrorBody(new Error('boom'), logger).code, 'INTERNAL');
  });

  it('answers a message handler whose database is down with DEPENDENCY_UNAVAILABLE, so the caller says 503', async () => {
    const host = { getType: () => 'rpc' } as unknown as ArgumentsHost;
    const answer = new ErrorFilter().catch(new QueryFailedError('SELECT 1', [], adminShutdown()), host) as Observable<never>;
    await assert.rejects(lastValueFrom(answer), { code: 'DEPENDENCY_UNAVAILABLE', message: DATABASE_UNAVAILABLE });
  });
});
