import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../shared/process/backoff.ts';
import { isSlow, isSoon } from './close-codes.ts';
import { reconnectDelay, type ReconnectBackoffOptions } from './reconnect-delay.ts';

const worst = (): number => 0.999_999; // the top of every jitter range
const ordinary = { slow: false, soon: false };

function stream(o: ReconnectBackoffOptions, random: () => number) {
  const b = new Backoff(o, random);
  return { backoff: b, next: (c = ordinary) => reconnectDelay(b, o, c) };
}

test('full jitter grows to the cap and stays there', () => {
  const s = stream({ baseMs: 500, capMs: 30_000 }, worst);
  const delays = Array.from({ length: 10 }, () => s.next());
  assert.deepEqual(delays.slice(0, 4), [499, 999, 1999, 3999]);
  assert.ok(delays.slice(7).every((d) => d === 29_999), `capped: ${delays.join(',')}`);
  s.backoff.reset();
  assert.equal(s.next(), 499);
});

test('a receiver that answered but could not serve (1011, 1001) is retried within the short cap', () => {
  const s = stream({ baseMs: 500, capMs: 30_000, soonCapMs: 5_000 }, worst);
  for (let i = 0; i < 8; i++) s.next(); // a long outage: the ordinary ceiling is at the 30 s cap
  assert.equal(s.next({ slow: false, soon: isSoon(1011) }), 4_999, 'buffer unavailable: at most the short cap');
  assert.equal(s.next({ slow: false, soon: isSoon(1001) }), 4_999, 'receiver going away: at most the short cap');
  assert.equal(s.next({ slow: false, soon: isSoon(1006) }), 29_999, 'an abnormal close (receiver unreachable) keeps the long cap');
  assert.equal(isSoon(4001), false);
  assert.equal(isSoon(1013), false);
});

test('early on, the short class is no slower than the ordinary one', () => {
  const s = stream({ baseMs: 500, capMs: 30_000, soonCapMs: 5_000 }, worst);
  assert.equal(s.next({ slow: false, soon: true }), 499);
  assert.equal(s.next({ slow: false, soon: true }), 999);
});

test('auth failures wait at least the slow floor, at most twice the cap', () => {
  const lo = stream({ baseMs: 500, capMs: 30_000, slowFloorMs: 5_000 }, () => 0);
  assert.equal(isSlow(4001), true);
  assert.equal(lo.next({ slow: true, soon: false }), 5_000);
  const hi = stream({ baseMs: 500, capMs: 30_000, slowFloorMs: 5_000 }, worst);
  for (let i = 0; i < 10; i++) hi.next();
  assert.equal(hi.next({ slow: true, soon: false }), 34_999);
  const small = stream({ baseMs: 20, capMs: 100, slowFloorMs: 10_000 }, worst);
  assert.equal(small.next({ slow: true, soon: false }), 200, 'a floor above twice the cap is clipped to it');
});
