// The in-memory history index: bounded by a byte budget and optionally maxMessages (pruned in 1% steps,
// oldest first), and by retention.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { newMessageId } from '../ingest/message-id.ts';
import { eventBytes, foldHistory, HistoryIndex } from './history.ts';
import type { MessageEvent } from './types.ts';

test('beyond maxMessages the oldest messages go first; the index never holds more than 1% over the bound', () => {
  const idx = new HistoryIndex({ maxMessages: 200 });
  for (let i = 0; i < 1000; i++) {
    idx.add({ id: `m${i}`, at: Date.now(), kind: 'received', channel: 'ns/ch', subscriptions: ['ns/s'] });
    assert.ok(idx.size <= 202, `size ${idx.size} after ${i + 1} messages`);
  }
  assert.equal(idx.get('m0'), undefined);
  assert.equal(idx.get('m700'), undefined);
  assert.equal(idx.get('m999')?.channel, 'ns/ch');
  assert.equal(idx.get('m800')?.channel, 'ns/ch');
});

test('beyond maxBytes the oldest messages go first; the estimate never runs more than 1% over the budget', () => {
  const budget = 100_000;
  const idx = new HistoryIndex({ maxBytes: budget });
  for (let i = 0; i < 2000; i++) {
    const id = `m${i}`;
    idx.add({ id, at: Date.now(), kind: 'received', channel: 'ns/ch', subscriptions: ['ns/s'], eventType: 'order.created' });
    // Every tenth message has a long retry history: the budget counts its events, not one entry.
    for (let a = 1; a <= (i % 10 === 0 ? 20 : 1); a++) {
      idx.add({ id, at: Date.now(), kind: 'attempt', subscription: 'ns/s', attempt: a, result: { statusCode: 503, latencyMs: 1, error: 'upstream unavailable' } });
    }
    assert.ok(idx.bytes <= budget * 1.01, `${idx.bytes} B after ${i + 1} messages`);
  }
  assert.ok(idx.bytes > budget * 0.9, 'pruning stops once within the budget');
  assert.equal(idx.get('m0'), undefined);
  assert.equal(idx.get('m1999')?.channel, 'ns/ch');
  // The byte count is the sum of what is held: dropping everything brings it back to zero.
  const empty = new HistoryIndex({ maxBytes: 1 });
  empty.add({ id: 'x', at: Date.now(), kind: 'received', channel: 'ns/ch' });
  empty.prune();
  assert.equal(empty.size, 0);
  assert.equal(empty.bytes, 0);
});

test('eventBytes grows with what an event carries', () => {
  const bare = eventBytes({ id: 'm', at: 1, kind: 'state', subscription: 'ns/s', state: 'delivered' });
  const failed = eventBytes({ id: 'm', at: 1, kind: 'attempt', subscription: 'ns/s', result: { latencyMs: 1, error: 'x'.repeat(500) } });
  assert.ok(failed >= bare + 500, `${failed} vs ${bare}`);
});

test('messages first seen before the retention window are dropped', () => {
  let now = 1_000_000;
  const idx = new HistoryIndex({ retentionMs: 1000, maxMessages: 10, clock: () => now });
  idx.add({ id: 'old', at: now, kind: 'received' });
  now += 2000;
  assert.equal(idx.get('old'), undefined);
  for (let i = 0; i < 11; i++) idx.add({ id: `n${i}`, at: now, kind: 'received' });
  idx.prune();
  assert.equal(idx.size, 10);
});

test('a redrive keeps the attempts before it and is listed; the same attempt number after it is a new attempt', () => {
  const ev = (at: number, kind: 'attempt' | 'redrive' | 'state', extra: Record<string, unknown> = {}) => ({ id: 'm', at, kind, subscription: 'ns/s', ...extra });
  const h = foldHistory('m', [
    { id: 'm', at: 1, kind: 'received', channel: 'ns/ch', subscriptions: ['ns/s'] },
    ev(2, 'attempt', { attempt: 1, state: 'dead_lettered', result: { statusCode: 500, latencyMs: 1 } }),
    ev(6, 'attempt', { attempt: 1, state: 'delivered', result: { statusCode: 200, latencyMs: 1 } }),
    ev(3, 'redrive', { state: 'pending', reason: 'redriven' }),
    ev(4, 'attempt', { attempt: 1, state: 'dead_lettered', result: { statusCode: 502, latencyMs: 1 } }),
    ev(5, 'state', { state: 'pending', reason: 'redriven' }), // how streams written before kind 'redrive' recorded one
  ]);
  const s = h.subscriptions['ns/s'];
  assert.deepEqual(s.attempts.map((a) => [a.redrive ?? 0, a.attempt, a.result?.statusCode]), [[0, 1, 500], [1, 1, 502], [2, 1, 200]]);
  assert.deepEqual(s.redrives, [{ at: 3 }, { at: 5 }]);
  assert.equal(s.state, 'delivered');
});

test('an in_flight state is superseded by its subscription\'s next outcome: one event less, the same history', () => {
  const events: MessageEvent[] = [
    { id: 'm', at: 1, kind: 'received', channel: 'ns/ch', subscriptions: ['ns/a', 'ns/b'] },
    { id: 'm', at: 2, kind: 'state', subscription: 'ns/a', attempt: 1, state: 'in_flight' },
    { id: 'm', at: 2, kind: 'state', subscription: 'ns/b', attempt: 1, state: 'in_flight' },
    { id: 'm', at: 3, kind: 'attempt', subscription: 'ns/a', attempt: 1, state: 'retrying', result: { statusCode: 503, latencyMs: 1 } },
    { id: 'm', at: 4, kind: 'state', subscription: 'ns/a', attempt: 2, state: 'in_flight' },
  ];
  const idx = new HistoryIndex({ clock: () => 10 });
  const replaced = events.map((e) => idx.add({ ...e }));
  assert.deepEqual(replaced.map((r) => r?.state), [undefined, undefined, undefined, 'in_flight', undefined]);
  assert.equal(replaced[3]?.subscription, 'ns/a', 'a\'s in_flight, not b\'s');
  assert.deepEqual(idx.get('m'), foldHistory('m', events), 'folds to what every event folds to');
  assert.equal(idx.get('m')?.subscriptions['ns/b'].state, 'in_flight');
  assert.equal(idx.get('m')?.subscriptions['ns/a'].state, 'in_flight', 'the second attempt is under way');

  // An outcome that sets no state, or one older than the in_flight (arrived out of order), keeps it.
  const keep = new HistoryIndex({ clock: () => 10 });
  keep.add({ id: 'k', at: 5, kind: 'state', subscription: 'ns/a', attempt: 1, state: 'in_flight' });
  assert.equal(keep.add({ id: 'k', at: 4, kind: 'state', subscription: 'ns/a', state: 'pending' }), undefined);
  assert.equal(keep.add({ id: 'k', at: 6, kind: 'attempt', subscription: 'ns/a', attempt: 1 }), undefined);
  assert.equal(keep.get('k')?.subscriptions['ns/a'].state, 'in_flight');
});

test('a delivered message costs the index about 400 B of heap, and the byte estimate is within a quarter of it', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const idx = new HistoryIndex({ maxBytes: 1e12 });
  const n = 20_000;
  // Strings as the receiver gets them: fresh from JSON.parse or the HTTP parser, ids from newMessageId.
  const fresh = (s: string): string => JSON.parse(JSON.stringify(s)) as string;
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    const id = newMessageId();
    idx.add({ id, at: 1_700_000_000_000 + i, kind: 'received', channel: fresh('bench/e2e'), subscriptions: [fresh('bench/e2e-sub')], eventType: fresh('order.created') });
    idx.add({ id: fresh(id), at: 1_700_000_000_001 + i, kind: 'state', subscription: fresh('bench/e2e-sub'), attempt: 1, state: 'in_flight' });
    idx.add({ id: fresh(id), at: 1_700_000_000_002 + i, kind: 'attempt', subscription: fresh('bench/e2e-sub'), attempt: 1, state: 'delivered', result: { statusCode: 200, latencyMs: 1.5 + i } });
  }
  gc();
  const perMessage = (process.memoryUsage().heapUsed - before) / n;
  // Measured 389-412 B on Node 24; before ids were flat, strings shared and in_flight superseded: 1,230.
  assert.ok(perMessage < 600, `${Math.round(perMessage)} B of heap a message`);
  const estimate = idx.bytes / n;
  assert.ok(Math.abs(estimate - perMessage) / perMessage < 0.25, `estimate ${Math.round(estimate)} B vs heap ${Math.round(perMessage)} B a message`);
  assert.equal(idx.size, n);
});
