import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { personName, signedInName } from './person-name';

describe('a person’s name in the console', () => {
  it('is the display name, else first and last names, else the username', () => {
    assert.equal(
      personName({ username: 'ada', firstname: 'Ada', lastname: 'Lovelace', displayname: 'Countess Lovelace' }),
      'Countess Lovelace',
    );
    assert.equal(personName({ username: 'ada', firstname: 'Ada', lastname: 'Lovelace', displayname: '' }), 'Ada Lovelace');
    assert.equal(personName({ username: 'ada', firstname: 'Ada', lastname: null }), 'Ada');
    assert.equal(personName({ username: 'ada', firstname: '', lastname: 'Lovelace', displayname: '  ' }), 'Lovelace');
    assert.equal(personName({ username: 'ada', firstname: ' ', lastname: '' }), 'ada');
  });

  it('never says the same word twice: the first administrator made before it had a display name', () => {
    assert.equal(
      personName({ username: 'admin', firstname: 'Administrator', lastname: 'Administrator', displayname: '' }),
      'Administrator',
    );
    assert.equal(
      personName({ username: 'admin', firstname: 'First', lastname: 'Administrator', displayname: 'First administrator' }),
      'First administrator',
    );
  });

  it('in the header: the name with the username beside it, once when they are the same', () => {
    assert.equal(
      signedInName({ username: 'admin', firstname: 'First', lastname: 'Administrator', displayname: 'First administrator' }),
      'First administrator (admin)',
    );
    assert.equal(signedInName({ username: 'admin', firstname: 'Administrator', lastname: 'Administrator' }), 'Administrator (admin)');
    assert.equal(signedInName({ username: 'ada', firstname: '', lastname: '' }), 'ada');
  });
});
