// The failure limiter counts per purpose, scope and client, answers 429 only past the limit, forgets
// after the window and stays bounded in memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureLimiter } from './ratelimit.ts';

test('past maxFailures in the window a client\'s failures of that purpose are limited; other purposes, scopes and clients are not', () => {
  let now = 0;
  const l = new FailureLimiter({ maxFailures: 2, windowMs: 1000, clock: () => now });
  assert.equal(l.judge('stream_token', '', 'a'), 'rejected');
  assert.equal(l.judge('stream_token', '', 'a'), 'rejected');
  assert.equal(l.judge('stream_token', '', 'a'), 'limited');
  assert.equal(l.judge('admin_token', '', 'a'), 'rejected');
  assert.equal(l.judge('stream_token', '', 'b'), 'rejected');
  for (let i = 0; i < 3; i++) l.judge('ingest_signature', 'shop/a', 'a');
  assert.equal(l.judge('ingest_signature', 'shop/b', 'a'), 'rejected', 'signatures are counted per channel');
  assert.deepEqual(l.limited, { ingest_signature: 1, stream_token: 1, admin_token: 0 });
  now = 1000;
  assert.equal(l.judge('stream_token', '', 'a'), 'rejected', 'a new window');
});

test('memory is bounded by maxTracked', () => {
  const l = new FailureLimiter({ maxTracked: 100 });
  for (let i = 0; i < 10_000; i++) l.judge('stream_token', '', `addr-${i}`);
  assert.ok(l.tracked <= 100, `tracked ${l.tracked}`);
});
