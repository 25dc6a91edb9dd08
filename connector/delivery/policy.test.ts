import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, destinationHealthy, parseRetryAfter, scheduledDelay } from './policy.ts';

const policy = { maxAttempts: 5, retryScheduleMs: [5000, 25000, 125000, 625000], jitter: 0 };
const NOW = Date.parse('2025-01-01T00:00:00Z');
const noJitter = () => 0.5;

test('outcome classes per SPEC §6', () => {
  const table: [string, { status?: number; error?: string }, string, boolean?][] = [
    ['200', { status: 200 }, 'success'],
    ['204', { status: 204 }, 'success'],
    ['299', { status: 299 }, 'success'],
    ['410 is dead and reported as gone', { status: 410 }, 'dead', true],
    ['400', { status: 400 }, 'dead', false],
    ['401', { status: 401 }, 'dead', false],
    ['404', { status: 404 }, 'dead', false],
    ['422', { status: 422 }, 'dead', false],
    ['408', { status: 408 }, 'retry'],
    ['429', { status: 429 }, 'retry'],
    ['500', { status: 500 }, 'retry'],
    ['502', { status: 502 }, 'retry'],
    ['503', { status: 503 }, 'retry'],
    ['301 redirect is a retryable failure', { status: 301 }, 'retry'],
    ['302', { status: 302 }, 'retry'],
    ['308', { status: 308 }, 'retry'],
    ['timeout', { error: 'timeout after 10000ms' }, 'retry'],
    ['network error', { error: 'network error: ECONNREFUSED' }, 'retry'],
  ];
  for (const [name, obs, kind, gone] of table) {
    const o = classify(obs, 1, policy, NOW, noJitter);
    assert.equal(o.kind, kind, name);
    if (gone !== undefined && o.kind === 'dead') assert.equal(o.gone, gone, name);
  }
});

test('retry delay follows the schedule: attempt n uses schedule[min(n-1, len-1)]', () => {
  const delays = [1, 2, 3, 4].map((n) => classify({ status: 503 }, n, { ...policy, maxAttempts: 10 }, NOW, noJitter));
  assert.deepEqual(delays.map((o) => (o.kind === 'retry' ? o.delayMs : -1)), [5000, 25000, 125000, 625000]);
  const later = classify({ status: 503 }, 9, { ...policy, maxAttempts: 10 }, NOW, noJitter);
  assert.equal(later.kind === 'retry' && later.delayMs, 625000);
});

test('jitter stays within ±jitter of the scheduled delay', () => {
  const p = { ...policy, jitter: 0.2 };
  assert.equal(scheduledDelay(1, p, () => 0), 4000);
  assert.equal(scheduledDelay(1, p, () => 1), 6000);
  for (let i = 0; i < 200; i++) {
    const d = scheduledDelay(2, p);
    assert.ok(d >= 20000 && d <= 30000, String(d));
  }
});

test('after maxAttempts a retryable failure is dead with the last status and attempt count', () => {
  const o = classify({ status: 503 }, 5, policy, NOW, noJitter);
  assert.equal(o.kind, 'dead');
  assert.match(o.kind === 'dead' ? o.reason : '', /max attempts reached \(5\/5\): HTTP 503/);
  const t = classify({ error: 'timeout after 10ms' }, 7, policy, NOW, noJitter);
  assert.match(t.kind === 'dead' ? t.reason : '', /timeout after 10ms/);
  // a permanent failure on the last attempt keeps its own reason
  assert.match((classify({ status: 404 }, 5, policy, NOW) as { reason: string }).reason, /HTTP 404/);
});

test('Retry-After in seconds and as an HTTP date wins over the schedule', () => {
  const secs = classify({ status: 429, retryAfter: '120' }, 1, policy, NOW, noJitter);
  assert.equal(secs.kind === 'retry' && secs.delayMs, 120_000);
  const date = classify({ status: 503, retryAfter: new Date(NOW + 90_000).toUTCString() }, 1, policy, NOW, noJitter);
  assert.equal(date.kind === 'retry' && date.delayMs, 90_000);
});

test('parseRetryAfter', () => {
  assert.equal(parseRetryAfter(undefined, NOW), undefined);
  assert.equal(parseRetryAfter('0', NOW), 0);
  assert.equal(parseRetryAfter(' 7 ', NOW), 7000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', NOW), 30_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', NOW), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', NOW), undefined);
  assert.equal(parseRetryAfter('-5', NOW), undefined);
  assert.equal(parseRetryAfter('1.5', NOW), undefined);
  assert.equal(parseRetryAfter('99999999', NOW), 24 * 3600_000, 'capped');
});

test('destinationHealthy (circuit breaker input)', () => {
  assert.deepEqual([200, 404, 410, 408, 429, 500, 302, undefined].map(destinationHealthy), [true, true, true, false, false, false, false, false]);
});
