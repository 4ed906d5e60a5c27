import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { DirectoryEvents } from '@jit/directory-contracts';
import { ActivityNames } from './activity-names';

const org = '6f1c2a4e-8f51-4c1e-9a52-0d1e2f3a4b5c';
const group = '0e85c001-4b7a-4c3e-9d2f-1a2b3c4d5e6f';

/**
 * console.activity_names as one row per group, behind the two statements ActivityNames sends.
 * `holdNextSelect` makes the next SELECT read the table at once but answer only when released,
 * as a read that a concurrent write overtakes does in PostgreSQL.
 */
function fakeTable() {
  const names = new Map<string, string>();
  let selects = 0;
  let held: Promise<void> | undefined;
  const query = async (sql: string, params: unknown[]): Promise<unknown> => {
    if (sql.trimStart().startsWith('INSERT')) {
      names.set(String(params[2]), String(params[3]));
      return [];
    }
    selects += 1;
    const ids = params[2] as string[];
    const rows = ids.filter((id) => names.has(id)).map((id) => ({ kind: 'group', id, name: names.get(id) }));
    const gate = held;
    held = undefined;
    if (gate) await gate;
    return rows;
  };
  return {
    dataSource: { query } as unknown as DataSource,
    selects: () => selects,
    holdNextSelect: (): (() => void) => {
      let release = (): void => undefined;
      held = new Promise<void>((resolve) => (release = resolve));
      return () => release();
    },
  };
}

const named = (name: string) => ({ organizationId: org, groupId: group, name });

describe('ActivityNames', () => {
  it('reads a name once, then from memory, until an event sets it again', async () => {
    const table = fakeTable();
    const names = new ActivityNames(table.dataSource);
    await names.learn(DirectoryEvents.groupCreated.subject, named('Finance'), 1);
    assert.deepEqual(await names.of({ organizationId: org, groupId: group }), { group: 'Finance' });
    assert.deepEqual(await names.of({ organizationId: org, groupId: group }), { group: 'Finance' });
    assert.equal(table.selects(), 1);

    await names.learn(DirectoryEvents.groupRenamed.subject, named('Finance EMEA'), 2);
    assert.deepEqual(await names.of({ organizationId: org, groupId: group }), { group: 'Finance EMEA' });
    assert.equal(table.selects(), 2);
  });

  it('does not keep a name read before a rename that finished while the read was answered', async () => {
    const table = fakeTable();
    const names = new ActivityNames(table.dataSource);
    await names.learn(DirectoryEvents.groupCreated.subject, named('Finance'), 1);

    const release = table.holdNextSelect();
    const racing = names.of({ organizationId: org, groupId: group });
    await names.learn(DirectoryEvents.groupRenamed.subject, named('Finance EMEA'), 2);
    release();
    // The racing read answers with what the table held when it read: the name before.
    assert.deepEqual(await racing, { group: 'Finance' });

    // What it read is not kept: the next read asks the table and gets the new name.
    assert.deepEqual(await names.of({ organizationId: org, groupId: group }), { group: 'Finance EMEA' });
    assert.equal(table.selects(), 2);
  });
});
