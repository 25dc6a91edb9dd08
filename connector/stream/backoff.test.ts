import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.ts';
import { isSlow, isSoon } from './close-codes.ts';

const worst = (): number => 0.999_999; // the top of every jitter range

test('full jitter grows to the cap and stays there', () => {
  const b = new Backoff({ baseMs: 500, capMs: 30_000 }, worst);
  const delays = Array.from({ length: 10 }, () => b.next());
  assert.deepEqual(delays.slice(0, 4), [499, 999, 1999, 3999]);
  assert.ok(delays.slice(7).every((d) => d === 29_999), `capped: ${delays.join(',')}`);
  b.reset();
  assert.equal(b.next(), 499);
});

test('a receiver that answered but could not serve (1011, 1001) is retried within the short cap', () => {
  const b = new Backoff({ baseMs: 500, capMs: 30_000, soonCapMs: 5_000 }, worst);
  for (let i = 0; i < 8; i++) b.next(); // a long outage: the ordinary ceiling is at the 30 s cap
  assert.equal(b.next(false, isSoon(1011)), 4_999, 'buffer unavailable: at most the short cap');
  assert.equal(b.next(false, isSoon(1001)), 4_999, 'receiver going away: at most the short cap');
  assert.equal(b.next(false, isSoon(1006)), 29_999, 'an abnormal close (receiver unreachable) keeps the long cap');
  assert.equal(isSoon(4001), false);
  assert.equal(isSoon(1013), false);
});

test('early on, the short class is no slower than the ordinary one', () => {
  const b = new Backoff({ baseMs: 500, capMs: 30_000, soonCapMs: 5_000 }, worst);
  assert.equal(b.next(false, true), 499);
  assert.equal(b.next(false, true), 999);
});

test('auth failures wait at least the slow floor, at most twice the cap', () => {
  const b = new Backoff({ baseMs: 500, capMs: 30_000, slowFloorMs: 5_000 }, () => 0);
  assert.equal(isSlow(4001), true);
  assert.equal(b.next(true), 5_000);
  const hi = new Backoff({ baseMs: 500, capMs: 30_000, slowFloorMs: 5_000 }, worst);
  for (let i = 0; i < 10; i++) hi.next();
  assert.equal(hi.next(true), 34_999);
});
