import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, backoffDelay } from './backoff.ts';

test('backoffDelay grows by the factor up to the cap; no jitter gives the ceiling', () => {
  const o = { baseMs: 100, capMs: 1000, jitter: 'none' } as const;
  assert.deepEqual([0, 1, 2, 3, 4, 50].map((n) => backoffDelay(n, o)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffDelay(2, { ...o, factor: 3 }), 900);
  assert.equal(backoffDelay(-1, o), 100, 'a negative count is the first try');
});

test('full jitter is uniform below the ceiling', () => {
  assert.equal(backoffDelay(3, { baseMs: 100, capMs: 10_000 }, () => 0.5), 400);
  assert.equal(backoffDelay(3, { baseMs: 100, capMs: 10_000 }, () => 0), 0);
  assert.ok(backoffDelay(3, { baseMs: 100, capMs: 10_000 }, () => 0.999999) < 800);
});

test('Backoff counts failures, honours a per-call cap and floor, and resets', () => {
  const b = new Backoff({ baseMs: 100, capMs: 1000, jitter: 'none' });
  assert.deepEqual([b.next(), b.next(), b.next()], [100, 200, 400]);
  assert.equal(b.failures, 3);
  assert.equal(b.next({ capMs: 300 }), 300, 'a sooner class caps lower');
  assert.equal(b.next({ floorMs: 5000 }), 5000 + 1000, 'a slower class waits a floor on top');
  b.reset();
  assert.equal(b.failures, 0);
  assert.equal(b.next(), 100);
});
