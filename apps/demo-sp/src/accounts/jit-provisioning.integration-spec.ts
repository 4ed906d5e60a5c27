import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { DomainError, ErrorCode } from '@jit/service';
import { Initial1764400000000 } from '../migrations/1764400000000-Initial';
import { AccountIssuer1765300000000 } from '../migrations/1765300000000-AccountIssuer';
import { Account } from './account.entity';
import { AccountsService } from './accounts.service';
import { EMAIL_NAME_ID_FORMAT, JitProvisioningService, type AssertedIdentity } from './jit-provisioning.service';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const databaseUrl = `postgres://postgres@127.0.0.1:5432/jit_test_demosp_${randomBytes(6).toString('hex')}`;
let dataSource: DataSource;

/** The IdP entity of the organisation these accounts belong to, and another organisation's. */
const ISSUER = 'https://idp.example.com/saml2/app-ours/metadata';
const OTHER_ISSUER = 'https://idp.example.com/saml2/app-theirs/metadata';
const idp = { get: (appId: string) => Promise.resolve({ entityId: appId === 'theirs' ? OTHER_ISSUER : ISSUER }) };

const identity = (
  nameId: string,
  attributes: AssertedIdentity['attributes'],
  nameIdFormat = PERSISTENT,
  issuer = ISSUER,
): AssertedIdentity => ({
  issuer,
  nameId,
  nameIdFormat,
  attributes,
});
const at = (iso: string) => new Date(iso);
/** Read back through SQL, so that the assertions are about what is stored, not what was returned. */
const stored = async (id: string) => {
  const [row] = await dataSource.query<Record<string, unknown>[]>(`SELECT * FROM "demo_sp"."accounts" WHERE id = $1`, [id]);
  return row;
};

beforeAll(async () => {
  await ensureDatabase(databaseUrl, 'demo_sp');
  dataSource = new DataSource(
    serviceDataSourceOptions({
      url: databaseUrl,
      schema: 'demo_sp',
      entities: [Account],
      migrations: [Initial1764400000000, AccountIssuer1765300000000],
    }),
  );
  await dataSource.initialize();
});

afterAll(async () => {
  await dataSource?.destroy();
  await dropDatabase(databaseUrl);
});

describe('JIT provisioning on PostgreSQL', () => {
  it('create-only: creates on the first sign-in, then signs in without changing the account', async () => {
    const jit = new JitProvisioningService(dataSource, 'create-only');
    const first = await jit.provision(
      identity('co-1', { email: 'Grace@Example.com', firstname: 'Grace', lastname: 'Hopper', groups: ['navy', 'cobol'] }),
      at('2030-01-01T10:00:00Z'),
    );
    assert.equal(first.action, 'created');
    const row = await stored(first.account.id);
    assert.equal(row.name_id, 'co-1');
    assert.equal(row.name_id_format, PERSISTENT);
    assert.equal(row.email, 'Grace@Example.com');
    assert.equal(row.email_lower, 'grace@example.com');
    assert.deepEqual(row.attributes, { email: 'Grace@Example.com', firstname: 'Grace', lastname: 'Hopper', groups: ['navy', 'cobol'] });
    assert.equal(row.login_count, 1);
    assert.equal(row.last_jit_action, 'created');

    const second = await jit.provision(identity('co-1', { email: 'grace@navy.mil', lastname: 'Murray' }), at('2030-01-02T10:00:00Z'));
    assert.equal(second.action, 'found');
    assert.equal(second.account.id, first.account.id);
    const after = await stored(first.account.id);
    assert.equal(after.email, 'Grace@Example.com');
    assert.equal(after.lastname, 'Hopper');
    assert.deepEqual(after.attributes, row.attributes);
    assert.equal((after.updated_at as Date).toISOString(), '2030-01-01T10:00:00.000Z');
    assert.equal((after.last_login_at as Date).toISOString(), '2030-01-02T10:00:00.000Z');
    assert.equal(after.login_count, 2);
    assert.equal(after.last_jit_action, 'found');
  });

  it('create-or-update: creates, then updates email, names and attributes from each assertion', async () => {
    const jit = new JitProvisioningService(dataSource, 'create-or-update');
    const first = await jit.provision(
      identity('alan@example.com', { 'User.FirstName': 'Alan', 'User.LastName': 'Turing' }, EMAIL_NAME_ID_FORMAT),
      at('2030-01-01T10:00:00Z'),
    );
    assert.equal(first.action, 'created');
    // No email attribute: the emailAddress NameID stands in.
    assert.equal((await stored(first.account.id)).email, 'alan@example.com');

    const second = await jit.provision(
      identity(
        'alan@example.com',
        { mail: 'a.turing@example.com', 'User.FirstName': 'Alan', 'User.LastName': 'Mathison-Turing', roles: ['a', 'b', 'c'] },
        EMAIL_NAME_ID_FORMAT,
      ),
      at('2030-01-03T10:00:00Z'),
    );
    assert.equal(second.action, 'updated');
    const row = await stored(first.account.id);
    assert.equal(row.email, 'a.turing@example.com');
    assert.equal(row.email_lower, 'a.turing@example.com');
    assert.equal(row.lastname, 'Mathison-Turing');
    assert.deepEqual(row.attributes, {
      mail: 'a.turing@example.com',
      'User.FirstName': 'Alan',
      'User.LastName': 'Mathison-Turing',
      roles: ['a', 'b', 'c'],
    });
    assert.equal((row.updated_at as Date).toISOString(), '2030-01-03T10:00:00.000Z');
    assert.equal(row.login_count, 2);

    // Nothing changed: still "updated" (that is what the mode does), but updated_at stays.
    const third = await jit.provision(identity('alan@example.com', row.attributes, EMAIL_NAME_ID_FORMAT), at('2030-01-04T10:00:00Z'));
    assert.equal(third.action, 'updated');
    assert.equal(((await stored(first.account.id)).updated_at as Date).toISOString(), '2030-01-03T10:00:00.000Z');
  });

  it('create-or-update: refuses to create a second account with an email another account has', async () => {
    const accounts = new AccountsService(dataSource, idp);
    await accounts.createLocal({ email: 'Existing@Example.com', firstname: 'Local', appId: 'ours' });
    const jit = new JitProvisioningService(dataSource, 'create-or-update');
    await assert.rejects(jit.provision(identity('new-nameid', { email: 'existing@example.com' })), (error: unknown) => {
      assert.ok(error instanceof DomainError);
      assert.equal(error.code, ErrorCode.Conflict);
      assert.match(error.message, /create-or-update mode.*link-by-email would/);
      return true;
    });
    const [{ count }] = await dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM "demo_sp"."accounts" WHERE name_id = 'new-nameid'`,
    );
    assert.equal(count, 0);
  });

  it('link-by-email: adopts the pre-existing account with the same email, then keeps it updated', async () => {
    const accounts = new AccountsService(dataSource, idp);
    const local = await accounts.createLocal({ email: 'Ada@Example.com', firstname: 'Augusta', appId: 'ours' });
    const jit = new JitProvisioningService(dataSource, 'link-by-email');

    const first = await jit.provision(
      identity('ada-77', { email: 'ada@EXAMPLE.com', firstname: 'Ada', lastname: 'Lovelace', groups: ['engines'] }),
      at('2030-02-01T10:00:00Z'),
    );
    assert.equal(first.action, 'linked');
    assert.equal(first.account.id, local.id);
    const row = await stored(local.id);
    assert.equal(row.name_id, 'ada-77');
    assert.equal(row.email, 'Ada@Example.com', 'the existing email is kept');
    assert.equal(row.firstname, 'Augusta', 'a name the account had is kept');
    assert.equal(row.lastname, 'Lovelace', 'a name it lacked is filled in');
    assert.deepEqual(row.attributes, { email: 'ada@EXAMPLE.com', firstname: 'Ada', lastname: 'Lovelace', groups: ['engines'] });
    assert.equal((row.created_at as Date).toISOString(), local.createdAt.toISOString());
    assert.equal(row.login_count, 1);

    const second = await jit.provision(identity('ada-77', { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' }));
    assert.equal(second.action, 'updated');
    assert.equal(second.account.id, local.id);
    assert.equal((await stored(local.id)).firstname, 'Ada');
  });

  it('link-by-email: re-links an account whose NameID differs, and creates when no email matches', async () => {
    const jit = new JitProvisioningService(dataSource, 'link-by-email');
    const original = await jit.provision(identity('old-id', { email: 'moved@example.com' }));
    assert.equal(original.action, 'created');
    const relinked = await jit.provision(identity('new-id', { email: 'MOVED@example.com' }));
    assert.equal(relinked.action, 'linked');
    assert.equal(relinked.account.id, original.account.id);
    assert.equal((await stored(original.account.id)).name_id, 'new-id');

    const fresh = await jit.provision(identity('nobody-else', { email: 'unique@example.com' }));
    assert.equal(fresh.action, 'created');
    assert.notEqual(fresh.account.id, original.account.id);
  });

  it("link-by-email: never adopts another issuer's account, local or made by a sign-in; the same NameID there is another account", async () => {
    const accounts = new AccountsService(dataSource, idp);
    const local = await accounts.createLocal({ email: 'Hedy@Example.com', firstname: 'Grace', appId: 'ours' });
    assert.equal(local.issuer, ISSUER);
    const jit = new JitProvisioningService(dataSource, 'link-by-email');
    const ours = await jit.provision(identity('hopper', { email: 'hopper@example.com', firstname: 'Grace' }));

    const byEmail = await jit.provision(
      identity('mallory-1', { email: 'hedy@example.com', firstname: 'Mallory' }, PERSISTENT, OTHER_ISSUER),
    );
    const byNameId = await jit.provision(
      identity('hopper', { email: 'HOPPER@example.com', firstname: 'Mallory' }, PERSISTENT, OTHER_ISSUER),
    );
    assert.deepEqual([byEmail.action, byNameId.action], ['created', 'created']);
    assert.deepEqual([byEmail.account.issuer, byNameId.account.issuer], [OTHER_ISSUER, OTHER_ISSUER]);
    const [localRow, oursRow] = [await stored(local.id), await stored(ours.account.id)];
    assert.deepEqual([localRow.name_id, localRow.firstname, localRow.login_count], [null, 'Grace', 0]);
    assert.deepEqual([oursRow.name_id, oursRow.issuer, oursRow.firstname, oursRow.login_count], ['hopper', ISSUER, 'Grace', 1]);
  });

  it('a local account names the application whose sign-ins may adopt it, and only the trusted one when the SP is pinned', async () => {
    const refusal = (field: string, message: RegExp) => (error: unknown) => {
      assert.ok(error instanceof DomainError);
      assert.equal(error.code, ErrorCode.ValidationFailed);
      assert.equal(error.details?.[0]?.field, field);
      assert.match(error.message, message);
      return true;
    };
    await assert.rejects(
      new AccountsService(dataSource, idp).createLocal({ email: 'n@example.com' }),
      refusal('appId', /Name the IdP application/),
    );
    const pinned = new AccountsService(dataSource, idp, 'ours');
    await assert.rejects(
      pinned.createLocal({ email: 'n@example.com', appId: 'theirs' }),
      refusal('appId', /trusts only the IdP application ours/),
    );
    assert.equal((await pinned.createLocal({ email: 'n@example.com' })).issuer, ISSUER);
  });

  it('two simultaneous first sign-ins of one NameID make one account', async () => {
    const jit = new JitProvisioningService(dataSource, 'create-or-update');
    const results = await Promise.all(Array.from({ length: 5 }, () => jit.provision(identity('race-1', { email: 'race@example.com' }))));
    assert.deepEqual(results.map((r) => r.action).sort(), ['created', 'updated', 'updated', 'updated', 'updated']);
    assert.equal(new Set(results.map((r) => r.account.id)).size, 1);
    assert.equal((await stored(results[0].account.id)).login_count, 5);
  });

  it('lists and gets accounts for the JSON API', async () => {
    const accounts = new AccountsService(dataSource, idp);
    const page = await accounts.list({ limit: 2, offset: 0 });
    assert.equal(page.items.length, 2);
    assert.ok(page.total >= 7);
    assert.equal('emailLower' in page.items[0], false);
    const one = await accounts.get(page.items[1].id);
    assert.equal(one.id, page.items[1].id);
    await assert.rejects(
      accounts.get('00000000-0000-4000-8000-000000000000'),
      (e: unknown) => e instanceof DomainError && e.code === ErrorCode.NotFound,
    );
  });
});
