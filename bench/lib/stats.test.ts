import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, perSecond, summarize } from './stats.ts';

test('nearest-rank percentiles of unsorted samples', () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
  assert.equal(percentile(samples, 50), 50);
  assert.equal(percentile(samples, 99), 99);
  assert.equal(percentile(samples, 100), 100);
  assert.equal(percentile(samples, 0), 1);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('summarize reports count, percentiles, max and mean', () => {
  const s = summarize([4, 1, 3, 2]);
  assert.deepEqual(s, { count: 4, p50: 2, p90: 4, p99: 4, max: 4, mean: 2.5 });
  assert.equal(summarize([]).count, 0);
});

test('perSecond scales a count over a window in ms', () => {
  assert.equal(perSecond(500, 250), 2000);
  assert.equal(perSecond(5, 0), 0);
});
