import assert from 'node:assert/strict';
import { test } from 'node:test';
import { medianBy, rangeOf } from './aggregate.ts';

test('medianBy picks the middle round by its key, the lower one for an even count', () => {
  const rounds = [{ r: 30, n: 'a' }, { r: 10, n: 'b' }, { r: 20, n: 'c' }];
  assert.equal(medianBy(rounds, (x) => x.r)?.n, 'c');
  assert.equal(medianBy(rounds.slice(0, 2), (x) => x.r)?.n, 'b');
  assert.equal(medianBy([], (x: number) => x), undefined);
});

test('rangeOf gives min and max of the key', () => {
  assert.deepEqual(rangeOf([3, 1, 2], (x) => x), [1, 3]);
  assert.equal(rangeOf([], (x: number) => x), undefined);
});
