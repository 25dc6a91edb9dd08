import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeTimers } from '../../test/harness/fake-timers.ts';
import { WorkQueue } from './workqueue.ts';

test('a key queued twice is processed once', async () => {
  const q = new WorkQueue();
  q.add('a'); q.add('b'); q.add('a');
  assert.equal(q.length, 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.length, 0);
});

test('a key re-added while processing waits until done, then is queued once', async () => {
  const q = new WorkQueue();
  q.add('a');
  const k = await q.get();
  q.add('a'); q.add('a');
  assert.equal(q.length, 0, 'not handed out while a worker holds it');
  q.done(k as string);
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'a');
});

test('a waiting worker receives the next key', async () => {
  const q = new WorkQueue();
  const pending = q.get();
  q.add('x');
  assert.equal(await pending, 'x');
});

test('per-key backoff doubles and resets on forget; addAfter keeps the earliest', () => {
  const timers = new FakeTimers();
  const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000, timers });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => q.addRateLimited('k')), [100, 200, 400, 800, 1000]);
  q.forget('k');
  assert.equal(q.addRateLimited('k'), 100);
  timers.advance(99);
  assert.equal(q.length, 0);
  timers.advance(1);
  assert.equal(q.length, 1);

  const q2 = new WorkQueue({ timers });
  q2.addAfter('z', 5000);
  q2.addAfter('z', 1000);
  q2.addAfter('z', 3000);
  timers.advance(1000);
  assert.equal(q2.length, 1);
  timers.advance(10_000);
  assert.equal(q2.length, 1, 'the later add-afters were folded into the earliest');
});

test('the overall bucket limits a burst of failures', () => {
  const timers = new FakeTimers();
  const q = new WorkQueue({ baseDelayMs: 1, qps: 10, burst: 2, timers });
  const delays = ['a', 'b', 'c', 'd'].map((k) => q.addRateLimited(k));
  assert.deepEqual(delays, [1, 1, 100, 200]);
});

test('shutdown releases waiting workers', async () => {
  const q = new WorkQueue();
  const pending = q.get();
  q.shutdown();
  assert.equal(await pending, undefined);
  q.add('late');
  assert.equal(q.length, 0);
});
