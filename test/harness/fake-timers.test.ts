import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeTimers } from './fake-timers.ts';

test('advance fires due timers in time order, each seeing its own time', () => {
  const t = new FakeTimers(1_000);
  const fired: [string, number][] = [];
  t.setTimeout(() => fired.push(['b', t.now()]), 200);
  t.setTimeout(() => fired.push(['a', t.now()]), 100);
  const c = t.setTimeout(() => fired.push(['c', t.now()]), 150);
  t.clearTimeout(c);
  t.advance(150);
  assert.deepEqual(fired, [['a', 1_100]]);
  assert.equal(t.now(), 1_150);
  assert.equal(t.pendingCount, 1);
  t.advance(50);
  assert.deepEqual(fired, [['a', 1_100], ['b', 1_200]]);
});

test('a timer set by a firing timer fires within the same advance when due', () => {
  const t = new FakeTimers(0);
  const fired: number[] = [];
  t.setTimeout(() => { fired.push(t.now()); t.setTimeout(() => fired.push(t.now()), 10); }, 10);
  t.advance(25);
  assert.deepEqual(fired, [10, 20]);
  assert.equal(t.now(), 25);
});
