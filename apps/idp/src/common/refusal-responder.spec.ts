import assert from 'node:assert/strict';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { BusUnavailableError, RpcRemoteError, type FreshnessGate } from '@jit/messaging';
import type { AuditService } from '../audit/audit.service';
import type { IdpConfig } from '../config';
import type { SigningKeysService } from '../keys/signing-keys.service';
import type { ReadModelService } from '../read-model/read-model.service';
import { FreshReadModel } from './fresh-read-model';
import { IdpUrls } from './idp-urls';
import { Refusal } from './refusals';
import { RefusalResponder } from './refusal-responder';

const APP = '3f0c8f8e-9a43-4e52-8a77-0d6a3b0f9c11';
const who = { applicationId: APP, userId: null, sourceIp: '203.0.113.7' };
const DATABASE_MESSAGE = 'The sign-in service cannot reach its database; try again in a moment.';

function adminShutdown(): DatabaseError {
  const error = new DatabaseError('terminating connection due to administrator command', 0, 'error');
  error.code = '57P01';
  return error;
}

describe('PostgreSQL down during a sign-in: a 503 page that says so, never a 500', () => {
  const refused: string[] = [];
  const responder = new RefusalResponder(
    { application: () => undefined } as unknown as ReadModelService,
    {} as SigningKeysService,
    new IdpUrls({ IDP_BASE_URL: 'https://idp.example.com' } as IdpConfig),
    { refused: (r: { reason: string }) => refused.push(r.reason) } as unknown as AuditService,
  );
  beforeEach(() => (refused.length = 0));

  it('answers the replay cache failing to connect with database_unavailable (503), audited as such', async () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new QueryFailedError('INSERT', [], adminShutdown()),
    ]) {
      const outcome = await responder.guard(who, () => Promise.reject(error));
      assert.equal(outcome.kind, 'page');
      assert.equal(outcome.kind === 'page' && outcome.page.status, 503);
      assert.ok(outcome.kind === 'page' && outcome.page.html.includes('cannot reach its database; try again in a moment.'));
    }
    assert.deepEqual(refused, ['database_unavailable', 'database_unavailable', 'database_unavailable']);
    assert.equal(new Refusal('database_unavailable').message, DATABASE_MESSAGE);
  });

  it('answers a directory that cannot check the password (no answer on the bus, or its database down) with directory_unavailable (503)', async () => {
    for (const error of [
      new BusUnavailableError('no answer from rpc.directory.credentials.verify.v1 within 2000 ms'),
      new RpcRemoteError('DEPENDENCY_UNAVAILABLE', 'The database (PostgreSQL) is not answering, so nothing was changed; try again shortly'),
    ]) {
      const outcome = await responder.guard(who, () => Promise.reject(error));
      assert.equal(outcome.kind === 'page' && outcome.page.status, 503);
      assert.ok(outcome.kind === 'page' && outcome.page.html.includes('cannot reach the directory right now; try again in a moment.'));
    }
    assert.deepEqual(refused, ['directory_unavailable', 'directory_unavailable']);
    // A refusal the directory made on purpose is not an outage.
    await assert.rejects(
      responder.guard(who, () => Promise.reject(new RpcRemoteError('FORBIDDEN', 'no'))),
      { message: 'no' },
    );
  });

  it('leaves any other failure to the 500 handler', async () => {
    await assert.rejects(
      responder.guard(who, () => Promise.reject(new Error('boom'))),
      { message: 'boom' },
    );
    assert.deepEqual(refused, []);
  });

  it('refuses with database_unavailable when the read model is not fresh because the database went away', async () => {
    const gate = (cause: unknown) =>
      ({ check: () => Promise.resolve({ fresh: false, reason: 'lost the consumer lease', lag: {}, cause }) }) as unknown as FreshnessGate;
    const readModel = {} as ReadModelService;
    const lost = new FreshReadModel(gate(new Error('Connection terminated unexpectedly')), readModel);
    await assert.rejects(lost.requireFresh(), { reason: 'database_unavailable', status: 503, message: DATABASE_MESSAGE });
    await assert.rejects(lost.requireFreshForApi(), { code: 'DEPENDENCY_UNAVAILABLE' });
    const elsewhere = new FreshReadModel(gate(undefined), readModel);
    await assert.rejects(elsewhere.requireFresh(), { reason: 'stale_read_model', status: 503 });
    await assert.rejects(elsewhere.requireFreshForApi(), { code: 'NOT_FRESH' });
  });
});
