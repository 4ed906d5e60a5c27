import assert from 'node:assert/strict';
import { ApplicationSnapshot, acsUrlByIndex } from './events';

describe('acsUrlByIndex: the ACS URL an AuthnRequest names by AssertionConsumerServiceIndex', () => {
  const acsUrls = ['https://sp.example.com/five', 'https://sp.example.com/nine'];

  it("looks the index up among the metadata's indexes, not the list positions", () => {
    const snapshot = {
      acsUrls,
      acsIndexes: [
        { index: 5, url: acsUrls[0] },
        { index: 9, url: acsUrls[1] },
      ],
    };
    assert.equal(acsUrlByIndex(snapshot, 9), 'https://sp.example.com/nine');
    assert.equal(acsUrlByIndex(snapshot, 5), 'https://sp.example.com/five');
    assert.equal(acsUrlByIndex(snapshot, 0), undefined);
    assert.equal(acsUrlByIndex(snapshot, 1), undefined);
  });

  it('an event from before the field carries no indexes: the index is the position', () => {
    const old = ApplicationSnapshot.shape.acsIndexes.parse(undefined);
    assert.deepEqual(old, []);
    assert.equal(acsUrlByIndex({ acsUrls, acsIndexes: old }, 1), 'https://sp.example.com/nine');
    assert.equal(acsUrlByIndex({ acsUrls, acsIndexes: old }, 2), undefined);
  });
});
