import assert from 'node:assert/strict';
import { consoleApplicationId } from './console';

describe('consoleApplicationId', () => {
  it('is a stable version-5 style UUID per organisation', () => {
    const org = '5b2f1f0e-1c1a-4b8e-9d0e-0a6c2f1d9e11';
    const id = consoleApplicationId(org);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(consoleApplicationId(org), id);
    assert.equal(consoleApplicationId(org.toUpperCase()), id);
    assert.notEqual(consoleApplicationId('6b2f1f0e-1c1a-4b8e-9d0e-0a6c2f1d9e11'), id);
  });
});
