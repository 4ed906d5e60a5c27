import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { subjectFilterPattern } from './outbox-ledger';

describe('subjectFilterPattern', () => {
  const matches = (filter: string, subject: string) => new RegExp(subjectFilterPattern(filter)).test(subject);

  it('matches a token for *, the rest for a final >, and every other token literally', () => {
    const user = '0e85c001-4b7a-4c3e-9d2f-1a2b3c4d5e6f';
    assert.equal(matches(`directory.user.*.v1.*.${user}`, `directory.user.updated.v1.org-1.${user}`), true);
    assert.equal(matches(`directory.user.*.v1.*.${user}`, `directory.user.updated.v1.org-1.other`), false);
    assert.equal(matches('directory.user.*.v1.*.u', 'directory.user.updated.v1.a.b.u'), false, '* is one token');
    assert.equal(matches('directory.>', 'directory.membership.added.v1.o.u.g'), true);
    assert.equal(matches('directory.>', 'directory'), false);
    assert.equal(matches('directory.*.*.*', 'directory.group.created.v1'), true);
    assert.equal(matches('directory.*.*.*', 'directory.group.created.v1.org'), false);
    assert.equal(matches('a.b', 'aXb'), false, 'a dot is a dot');
    assert.equal(matches('a.b', 'c.a.b'), false, 'anchored');
  });
});

describe('OutboxLedger is complete only if every DIRECTORY and CATALOG event goes through the outbox', () => {
  /** The source files of the services and libraries, tests left out. */
  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
      return /\.ts$/.test(entry.name) && !/spec\.ts$/.test(entry.name) ? [path] : [];
    });
  }

  it('publishes to JetStream from the outbox, and otherwise only from the IdP audit trail (the IDP stream, which no decision reads)', () => {
    const root = join(__dirname, '../../../..');
    const publishers = [...sources(join(root, 'apps')), ...sources(join(root, 'libs'))]
      .filter((file) => /\.publishEncoded\(|\bbus\.publish\(|\bthis\.publish\(\w+Events\./.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file))
      .sort();
    assert.deepEqual(publishers, [
      'apps/idp/src/audit/audit.service.ts',
      'libs/shared/messaging/src/bus.ts',
      'libs/shared/messaging/src/outbox.ts',
    ]);
  });
});
