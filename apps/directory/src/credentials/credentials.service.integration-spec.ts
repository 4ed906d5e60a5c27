import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Logger, type LoggerService } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DIRECTORY_STREAM } from '@jit/directory-contracts';
import { NatsBus, Outbox, OutboxMessage } from '@jit/messaging';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { readStream, testEnv } from '@jit/testing';
import { DIRECTORY_ENTITIES, DIRECTORY_MIGRATIONS, DIRECTORY_SCHEMA } from '../app.module';
import { PasswordHasher } from '../users/password-check';
import { UsersService } from '../users/users.service';
import { CredentialsService, type CredentialsPolicy } from './credentials.service';

const PASSWORD = 'correct horse battery staple';

/** The real argon2 hasher, counting the verifies: a refused check must not reach it. */
class CountingHasher extends PasswordHasher {
  verifies = 0;

  override verify(hash: string, password: string): Promise<boolean> {
    this.verifies += 1;
    return super.verify(hash, password);
  }
}

/** Collects what the Nest Logger writes. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(String(message));
  }
  error(): void {}
  warn(): void {}
}

const POLICY: CredentialsPolicy = {
  lockoutThreshold: 3,
  lockoutSeconds: 60,
  lockoutMaxSeconds: 200,
  accountLimitPerHour: 6,
  sourceLimitPerMinute: 10,
};

describe('credential check: refusals cost no hash and no write; backoff per (account, source) (real PostgreSQL and NATS)', () => {
  const env = testEnv('credsvc');
  const hasher = new CountingHasher();
  const logs = new CapturingLogger();
  let dataSource: DataSource;
  let bus: NatsBus;
  let users: UsersService;
  let credentials: CredentialsService;
  let outbox: Outbox;
  const organizationId = randomUUID();
  const ids = new Map<string, string>();

  const verify = (username: string, password: string, sourceIp?: string) =>
    credentials.verify({ organizationId, username, password, ...(sourceIp === undefined ? {} : { sourceIp }) });
  /** Every row (with its PostgreSQL row versions) of the tables a check could write. */
  const writes = async () => {
    // The outbox marks its rows published in the background: wait for those first.
    await outbox.beforeApplicationShutdown();
    const tables = ['credential_backoffs', 'credential_account_limits', 'credential_source_limits', 'outbox'];
    const rows = [];
    for (const table of tables) {
      rows.push(
        ...(await dataSource.query<unknown[]>(
          `SELECT '${table}' AS "table", xmin::text AS xmin, xmax::text AS xmax, to_jsonb(t)::text AS "row"
           FROM "directory"."${table}" t ORDER BY 4`,
        )),
      );
    }
    return rows;
  };
  const lockEvents = async (userId: string) =>
    (await readStream(env.natsUrl, `${env.natsPrefix}_DIRECTORY`)).filter(
      (e) => e.subject === `${env.natsPrefix}.directory.user.locked-out.v1` && e.payload.userId === userId,
    );
  /** The pair's backoff as stored, in seconds from the failure that set it. */
  const backoffSeconds = async (account: string, source: string) => {
    const [row] = await dataSource.query<{ seconds: number | null; failures: number }[]>(
      `SELECT extract(epoch FROM "locked_until" - "last_failure_at")::float8 AS seconds, "failures"
       FROM "directory"."credential_backoffs" WHERE "organization_id" = $1 AND "account" = $2 AND "source" = $3`,
      [organizationId, account, source],
    );
    return row;
  };
  /** A pair's row as stored. */
  const pairRow = async (account: string, source: string) => {
    const [row] = await dataSource.query<{ locked_until: Date | null; last_failure_at: Date | null }[]>(
      `SELECT "locked_until", "last_failure_at" FROM "directory"."credential_backoffs"
       WHERE "organization_id" = $1 AND "account" = $2 AND "source" = $3`,
      [organizationId, account, source],
    );
    return row;
  };
  /** The locked_out answer of a pair whose backoff is stored: retry after exactly its end. */
  const lockedUntilStored = async (account: string, source: string) => ({
    ok: false,
    reason: 'locked_out',
    retryAfter: (await pairRow(account, source))?.locked_until?.toISOString(),
  });
  /** Ends the pair's backoff now, as time would. */
  const expire = (account: string, source: string) =>
    dataSource.query(
      `UPDATE "directory"."credential_backoffs" SET "locked_until" = now() - interval '1 millisecond'
       WHERE "organization_id" = $1 AND "account" = $2 AND "source" = $3`,
      [organizationId, account, source],
    );

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    await ensureDatabase(env.databaseUrl, DIRECTORY_SCHEMA);
    dataSource = new DataSource(
      serviceDataSourceOptions({
        url: env.databaseUrl,
        schema: DIRECTORY_SCHEMA,
        entities: [...DIRECTORY_ENTITIES, OutboxMessage],
        migrations: DIRECTORY_MIGRATIONS,
      }),
    );
    await dataSource.initialize();
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'credentials-service-test' });
    await bus.ensureStream(DIRECTORY_STREAM);
    outbox = new Outbox(dataSource, bus);
    users = new UsersService(dataSource, outbox, hasher);
    credentials = new CredentialsService(dataSource, outbox, users, hasher, POLICY);
    await dataSource.query(`INSERT INTO "directory"."organizations" ("id", "name") VALUES ($1, 'Test')`, [organizationId]);
    for (const username of ['ada', 'grace', 'alan', 'barbara', 'edsger', 'parity']) {
      const user = await users.create(organizationId, {
        username,
        email: `${username}@example.com`,
        firstname: username,
        lastname: 'Test',
        password: PASSWORD,
      });
      ids.set(username, user.id);
    }
  });

  afterAll(async () => {
    Logger.overrideLogger(true);
    await bus?.close();
    await dataSource?.destroy();
    await env.cleanup();
  });

  it('a change of password checks the current one under the sign-in brakes, holds the new one to the rule, then stores it', async () => {
    const source = '192.0.2.60';
    const katherine = await users.create(organizationId, { username: 'katherine', email: 'katherine@example.com', password: PASSWORD });
    const change = (currentPassword: string, newPassword: string) =>
      credentials.changePassword({ organizationId, userId: katherine.id, currentPassword, newPassword, sourceIp: source });
    assert.deepEqual(await change(PASSWORD, 'short'), {
      ok: false,
      reason: 'weak_password',
      message: 'The new password must have at least 8 characters.',
    });
    for (let i = 0; i < POLICY.lockoutThreshold; i++) {
      assert.deepEqual(await change(`wrong-${i}`, 'a new long password'), { ok: false, reason: 'invalid_credentials' });
    }
    // The same (account, source) pair as a sign-in: the change is no way around the backoff.
    const locked = await lockedUntilStored(katherine.id, source);
    const verifies = hasher.verifies;
    assert.deepEqual(await change(PASSWORD, 'a new long password'), locked);
    assert.deepEqual(await verify('katherine', PASSWORD, source), locked);
    assert.equal(hasher.verifies, verifies, 'no hash verified while locked');
    await expire(katherine.id, source);
    assert.deepEqual(await change(PASSWORD, 'a new long password'), { ok: true });
    assert.deepEqual(await verify('katherine', PASSWORD, '192.0.2.61'), { ok: false, reason: 'invalid_credentials' });
    assert.deepEqual(await verify('katherine', 'a new long password', '192.0.2.61'), { ok: true, userId: katherine.id });
  });

  it('a locked pair answers locked_out without verifying a hash and without writing a row', async () => {
    const source = '192.0.2.10';
    for (let i = 0; i < POLICY.lockoutThreshold; i++) {
      assert.deepEqual(await verify('ada', `wrong-${i}`, source), { ok: false, reason: 'invalid_credentials' });
    }
    const verifies = hasher.verifies;
    const before = await writes();
    const answers = await Promise.all(Array.from({ length: 96 }, () => verify('ada', PASSWORD, source)));
    const locked = await lockedUntilStored(String(ids.get('ada')), source);
    assert.deepEqual(new Set(answers.map((a) => JSON.stringify(a))), new Set([JSON.stringify(locked)]));
    assert.equal(hasher.verifies, verifies, 'no hash verified');
    assert.deepEqual(await writes(), before, 'nothing written');
  });

  it('a throttled source answers throttled without verifying a hash and without writing a row; a concurrent flood hashes at most the limit', async () => {
    const flood = '203.0.113.50';
    const verifies = hasher.verifies;
    // All at once: every one passes the read, the limiter's atomic point lets exactly the limit through.
    const answers = await Promise.all(Array.from({ length: 96 }, (_, i) => verify(`nobody-${i}`, 'guess', flood)));
    assert.equal(answers.filter((a) => !a.ok && a.reason === 'invalid_credentials').length, POLICY.sourceLimitPerMinute);
    assert.equal(answers.filter((a) => !a.ok && a.reason === 'throttled').length, 96 - POLICY.sourceLimitPerMinute);
    assert.equal(hasher.verifies - verifies, POLICY.sourceLimitPerMinute);

    const after = hasher.verifies;
    const before = await writes();
    const asked = Date.now();
    const again = await Promise.all(Array.from({ length: 96 }, (_, i) => verify(i % 2 ? 'grace' : `nobody-more-${i}`, PASSWORD, flood)));
    assert.equal(
      again.every((a) => !a.ok && a.reason === 'throttled'),
      true,
    );
    // Until the limiter's minute is over, the same for a real account and a name that matches none.
    for (const answer of again) {
      const retryAfter = Date.parse(String(!answer.ok && answer.retryAfter));
      assert.ok(retryAfter > asked && retryAfter <= Date.now() + 60_000, JSON.stringify(answer));
    }
    assert.equal(hasher.verifies, after, 'no hash verified');
    assert.deepEqual(await writes(), before, 'nothing written');
    // Everyone else still signs in.
    assert.deepEqual(await verify('grace', PASSWORD, '203.0.113.51'), { ok: true, userId: ids.get('grace') });
  });

  it('a stranger elsewhere cannot lock the account owner out of their own address', async () => {
    const stranger = '198.51.100.66';
    const home = '192.0.2.20';
    for (let i = 0; i < 5; i++) await verify('alan', `guess-${i}`, stranger);
    assert.deepEqual(await verify('alan', PASSWORD, stranger), await lockedUntilStored(String(ids.get('alan')), stranger));
    assert.deepEqual(await verify('alan', PASSWORD, home), { ok: true, userId: ids.get('alan') });
    assert.deepEqual(await verify('ALAN@example.com', PASSWORD, home), { ok: true, userId: ids.get('alan') });
  });

  it('backs off exponentially per pair, up to the maximum, with one event and one log line per backoff', async () => {
    const source = '192.0.2.30';
    const edsger = String(ids.get('edsger'));
    logs.lines.length = 0;
    for (let i = 0; i < POLICY.lockoutThreshold; i++) await verify('edsger', `wrong-${i}`, source);
    assert.deepEqual(await backoffSeconds(edsger, source), { seconds: 60, failures: 3 });
    await expire(edsger, source);
    assert.deepEqual(await verify('edsger', 'wrong-again', source), { ok: false, reason: 'invalid_credentials' });
    assert.deepEqual(await backoffSeconds(edsger, source), { seconds: 120, failures: 4 });
    await expire(edsger, source);
    await verify('edsger', 'wrong-once-more', source);
    assert.deepEqual(await backoffSeconds(edsger, source), { seconds: 200, failures: 5 }, 'capped at the maximum');

    const events = await lockEvents(edsger);
    assert.deepEqual(
      events.map((e) => [e.payload.scope, e.payload.sourceIp, e.payload.failures]),
      [
        ['source', source, 3],
        ['source', source, 4],
        ['source', source, 5],
      ],
    );
    const lines = logs.lines.filter((l) => l.includes(edsger));
    assert.equal(lines.length, 3);
    assert.match(
      lines[0] ?? '',
      new RegExp(`account ${edsger} from source ${source.replace(/\./g, '\\.')} back off until \\d{4}-\\d\\d-\\d\\dT`),
    );
    assert.equal(
      logs.lines.some((l) => l.includes('wrong-')),
      false,
      'never a password in the log',
    );
  });

  it('refuses an account from every new source past its hourly ceiling, so an attack from many addresses slows down; the address its owner signs in from is spared', async () => {
    const barbara = String(ids.get('barbara'));
    const home = '198.18.9.9';
    assert.deepEqual(await verify('barbara', PASSWORD, home), { ok: true, userId: barbara });
    logs.lines.length = 0;
    for (let i = 0; i < POLICY.accountLimitPerHour; i++) {
      assert.deepEqual(await verify('barbara', 'guess', `198.18.0.${i + 1}`), { ok: false, reason: 'invalid_credentials' });
    }
    const verifies = hasher.verifies;
    const [ceiling] = await dataSource.query<{ until: Date }[]>(
      `SELECT "window_started_at" + interval '1 hour' AS "until" FROM "directory"."credential_account_limits"
       WHERE "organization_id" = $1 AND "account" = $2`,
      [organizationId, barbara],
    );
    // A new address has no backoff of its own: it waits for the end of the account's hour.
    assert.deepEqual(await verify('barbara', PASSWORD, '198.18.1.1'), {
      ok: false,
      reason: 'locked_out',
      retryAfter: ceiling?.until.toISOString(),
    });
    assert.equal(hasher.verifies, verifies);
    // The address she signed in from before is spared: the attack does not lock her out of it.
    assert.deepEqual(await verify('barbara', PASSWORD, home), { ok: true, userId: barbara });
    const events = await lockEvents(barbara);
    assert.deepEqual(
      events.map((e) => [e.payload.scope, e.payload.sourceIp, e.payload.failures]),
      [['account', null, POLICY.accountLimitPerHour]],
    );
    assert.deepEqual(
      logs.lines.filter((l) => l.includes(barbara)).map((l) => /refused from every source until \d{4}-/.test(l)),
      [true],
    );
  });

  it('a login name (or source) holding a NUL or a lone surrogate names nobody, and is counted like any other', async () => {
    for (const [login, source] of [
      ['ada\u0000', '192.0.2.50'],
      ['\ud800ada', '192.0.2.51\u0000'],
    ] as const) {
      for (let i = 0; i < POLICY.lockoutThreshold; i++) {
        assert.deepEqual(await verify(login, PASSWORD, source), { ok: false, reason: 'invalid_credentials' });
      }
      const answer = await verify(login, PASSWORD, source);
      assert.deepEqual([answer.ok, !answer.ok && answer.reason], [false, 'locked_out']);
    }
  });

  it('a login name that matches no account answers and costs exactly as an account does, the time to retry included', async () => {
    const trace = async (username: string, account: string, source: string) => {
      const steps: string[] = [];
      for (let i = 0; i < POLICY.lockoutThreshold + 2; i++) {
        const verifies = hasher.verifies;
        const answer = await verify(username, `wrong-${i}`, source);
        // The time to retry, as seconds after the wrong password that started the backoff: the
        // answers of the two traces differ only by when they ran.
        const started = (await pairRow(account, source))?.last_failure_at?.getTime() ?? NaN;
        const shown =
          answer.ok || answer.retryAfter === undefined
            ? answer
            : { ...answer, retryAfter: `last failure + ${(Date.parse(answer.retryAfter) - started) / 1000} s` };
        steps.push(`${JSON.stringify(shown)} after ${hasher.verifies - verifies} verify`);
      }
      return steps;
    };
    const known = await trace('parity', String(ids.get('parity')), '192.0.2.40');
    assert.deepEqual(await trace('No.Such.User', 'login:no.such.user', '192.0.2.41'), known);
    assert.equal(
      known.at(-1),
      `{"ok":false,"reason":"locked_out","retryAfter":"last failure + ${POLICY.lockoutSeconds} s"} after 0 verify`,
    );
    assert.equal(known[0], '{"ok":false,"reason":"invalid_credentials"} after 1 verify');
  });

  it('tells a suspended or staged account its state only after the right password, and counts nothing for it', async () => {
    for (const state of ['SUSPENDED', 'STAGED'] as const) {
      const username = `inactive-${state.toLowerCase()}`;
      const user = await users.create(organizationId, { username, email: `${username}@example.com`, password: PASSWORD, state });
      const source = state === 'STAGED' ? '192.0.2.60' : '192.0.2.61';
      assert.deepEqual(await verify(username, 'wrong', source), { ok: false, reason: 'invalid_credentials' });
      for (let i = 0; i < POLICY.lockoutThreshold; i++) {
        assert.deepEqual(await verify(username, PASSWORD, source), { ok: false, reason: 'not_active', state });
      }
      assert.equal((await pairRow(user.id, source))?.locked_until, null, 'the right password is no failure');
    }
  });
});
