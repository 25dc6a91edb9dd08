import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeTimers } from '../../test/harness/fake-timers.ts';
import { CircuitBreaker, type CircuitState } from './circuit.ts';

function breaker() {
  const clock = new FakeTimers(1_700_000_000_000);
  const changes: CircuitState[] = [];
  const cb = new CircuitBreaker({ failureRatio: 0.5, minRequests: 4, openMs: 30_000 }, clock, (s) => changes.push(s));
  return { clock, cb, changes };
}
const run = (cb: CircuitBreaker, ok: boolean) => {
  const a = cb.admit();
  assert.ok(a.allowed);
  cb.record(ok, a.probe);
};

test('stays closed below minRequests, opens once the failure ratio is reached', () => {
  const { cb, changes } = breaker();
  run(cb, false); run(cb, false); run(cb, false);
  assert.equal(cb.current(), 'closed', 'three failures are fewer than minRequests');
  run(cb, true);
  assert.equal(cb.current(), 'open', '3 of 4 failed ≥ 0.5');
  assert.deepEqual(changes, ['open']);
});

test('open: nothing admitted, answers the remaining open time', () => {
  const { cb, clock } = breaker();
  for (let i = 0; i < 4; i++) run(cb, false);
  clock.advance(10_000);
  assert.deepEqual(cb.admit(), { allowed: false, waitMs: 20_000 });
});

test('half-open after openMs: a single probe; success closes', () => {
  const { cb, clock, changes } = breaker();
  for (let i = 0; i < 4; i++) run(cb, false);
  clock.advance(30_000);
  const probe = cb.admit();
  assert.deepEqual(probe, { allowed: true, probe: true });
  assert.equal(cb.admit().allowed, false, 'only one probe at a time');
  cb.record(true, true);
  assert.equal(cb.current(), 'closed');
  assert.deepEqual(changes, ['open', 'half-open', 'closed']);
  run(cb, false);
  assert.equal(cb.current(), 'closed', 'the window was reset when it closed');
});

test('half-open probe failure opens again for a full openMs', () => {
  const { cb, clock } = breaker();
  for (let i = 0; i < 4; i++) run(cb, false);
  clock.advance(30_000);
  const probe = cb.admit();
  assert.ok(probe.allowed);
  cb.record(false, probe.probe);
  assert.equal(cb.current(), 'open');
  clock.advance(29_999);
  assert.equal(cb.current(), 'open');
  clock.advance(1);
  assert.equal(cb.current(), 'half-open');
});

test('a released probe frees the slot for the next one', () => {
  const { cb, clock } = breaker();
  for (let i = 0; i < 4; i++) run(cb, false);
  clock.advance(30_000);
  const p = cb.admit();
  assert.ok(p.allowed && p.probe);
  cb.release(true);
  assert.equal(cb.admit().allowed, true);
});

test('counts roll over: old failures outside the window are forgotten', () => {
  const { cb, clock } = breaker();
  run(cb, false); run(cb, false); run(cb, false);
  clock.advance(31_000);
  run(cb, true); run(cb, true); run(cb, true); run(cb, false);
  assert.equal(cb.current(), 'closed');
});
