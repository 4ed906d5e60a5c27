import assert from 'node:assert/strict';
import { SNAPSHOT_PAGE_ROWS, snapshotPage } from './snapshot';

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ row: { id: `k${i}`, text: 'x'.repeat(100) }, cursor: `k${i}` }));

describe('snapshotPage', () => {
  it('says there is no next page when fewer rows than a page were read', () => {
    assert.deepEqual(
      snapshotPage(rows(3), (r) => r.id),
      { items: ['k0', 'k1', 'k2'], next: null },
    );
    assert.deepEqual(
      snapshotPage([], (r: { id: string }) => r.id),
      { items: [], next: null },
    );
  });

  it('goes on after the last row of a full page', () => {
    const page = snapshotPage(rows(SNAPSHOT_PAGE_ROWS), (r) => r.id);
    assert.equal(page.items.length, SNAPSHOT_PAGE_ROWS);
    assert.equal(page.next, `k${SNAPSHOT_PAGE_ROWS - 1}`);
  });

  it('cuts a page where its JSON would pass the byte budget, and goes on from there', () => {
    // Each item is 121 bytes of JSON: three fit in 400.
    const page = snapshotPage(rows(10), (r) => r, 400);
    assert.deepEqual(
      page.items.map((i) => i.id),
      ['k0', 'k1', 'k2'],
    );
    assert.equal(page.next, 'k2');
  });

  it('always carries at least one item, so a large entity still makes progress', () => {
    const page = snapshotPage(rows(2), (r) => r, 10);
    assert.deepEqual(
      page.items.map((i) => i.id),
      ['k0'],
    );
    assert.equal(page.next, 'k0');
  });
});
