import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket.ts';

/** A clock the test moves by hand. */
class FakeClock {
  t = 1_700_000_000_000;
  now(): number { return this.t; }
  advance(ms: number): void { this.t += ms; }
}

test('a burst of one second, then exactly the rate', () => {
  const clock = new FakeClock();
  const b = new TokenBucket(10, clock);
  const waits = Array.from({ length: 13 }, () => b.reserve());
  assert.deepEqual(waits.slice(0, 10), Array(10).fill(0));
  assert.deepEqual(waits.slice(10), [100, 200, 300], 'queued callers are spaced 1/rate apart');
  clock.advance(1000);
  assert.equal(b.reserve(), 0, 'after a second the bucket has refilled past the debt');
});

test('fractional rates', () => {
  const clock = new FakeClock();
  const b = new TokenBucket(0.5, clock);
  assert.equal(b.reserve(), 0);
  assert.equal(b.reserve(), 2000);
  clock.advance(4000);
  assert.equal(b.reserve(), 0);
});

test('refund returns an unused token', () => {
  const clock = new FakeClock();
  const b = new TokenBucket(1, clock);
  assert.equal(b.reserve(), 0);
  assert.equal(b.reserve(), 1000);
  b.refund();
  assert.equal(b.reserve(), 1000);
});

test('an explicit burst bounds what an idle bucket saves up', () => {
  const clock = new FakeClock();
  const b = new TokenBucket(10, clock, 2);
  clock.advance(60_000);
  assert.deepEqual([b.reserve(), b.reserve(), b.reserve()], [0, 0, 100], 'a minute idle still allows only the burst');
});

test('a rate that is not positive is refused', () => {
  assert.throws(() => new TokenBucket(0, new FakeClock()), /rate must be positive/);
});
