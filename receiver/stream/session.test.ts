// How much a stream reads ahead of its window: twice the window by default, bounded; configurable, 0 = off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_READ_AHEAD, readAheadFor } from './session.ts';

test('read-ahead: 2 x window by default, at most MAX_READ_AHEAD; a configured value wins, 0 turns it off', () => {
  assert.equal(readAheadFor(1), 2);
  assert.equal(readAheadFor(10), 20);
  assert.equal(readAheadFor(1000), MAX_READ_AHEAD);
  assert.equal(readAheadFor(10, 0), 0);
  assert.equal(readAheadFor(10, 100), 100);
  assert.equal(readAheadFor(10, -1), 20);
  assert.equal(readAheadFor(10, Number.NaN), 20);
});
