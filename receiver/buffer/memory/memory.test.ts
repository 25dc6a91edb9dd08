// The conformance suite on the memory buffer, plus what only a fake clock can show deterministically.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Inbox, channelConfig, message, runConformance } from '../conformance.ts';
import { MemoryBuffer } from './index.ts';
import { eventually } from '../../../test/harness/eventually.ts';

let buffer: MemoryBuffer;
before(async () => { buffer = new MemoryBuffer({ sweepIntervalMs: 5 }); await buffer.connect(); });
after(() => buffer.close());
runConformance('memory', () => buffer);

function fakeClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('fake clock: TTL and retry tiers follow the buffer clock, not the wall clock', async () => {
  const clock = fakeClock();
  const b = new MemoryBuffer({ clock: clock.now, sweepIntervalMs: 5 });
  await b.connect();
  const ch = channelConfig({ ttlSeconds: 60, tiers: [1_000, 30_000] });
  await b.declareChannel(ch);
  const s1 = { namespace: 'ns-a', name: 's1' };
  const q1 = { channel: ch, subscription: s1 };
  const stale = message(ch, { receivedAt: clock.now() });
  await b.publish(stale, [s1]);
  clock.advance(59_999);
  assert.equal((await b.stats(q1)).messagesQueued, 1);
  assert.equal((await b.stats(q1)).oldestMessageAgeSeconds, 59.999);
  clock.advance(1);
  assert.deepEqual((await b.listDeadLetters(q1, { limit: 5 })).map((d) => [d.id, d.reason, d.deadLetteredAt, d.attempts]), [[stale.id, 'expired', clock.now(), 0]]);

  await b.publish(message(ch), [s1]);
  const inbox = await Inbox.open(b, q1, 1);
  await (await inbox.next()).retry(5_000);
  clock.advance(29_999);
  assert.equal((await b.stats(q1)).messagesQueued, 1);
  await assert.rejects(inbox.next(50));
  clock.advance(1);
  assert.equal((await inbox.next()).attempt, 2);
  await inbox.close();
  await b.close();
});

test('closed buffer: publish rejects with buffer_error and isConnected is false', async () => {
  const b = new MemoryBuffer();
  await b.connect();
  const ch = channelConfig();
  await b.declareChannel(ch);
  await b.close();
  assert.equal(b.isConnected(), false);
  await assert.rejects(b.publish(message(ch), [{ namespace: 'ns-a', name: 's1' }]), { name: 'BufferError', code: 'buffer_error' });
});

test('history: attempts fold per subscription, received carries the routes, retention drops old ids', async () => {
  const clock = fakeClock();
  const b = new MemoryBuffer({ clock: clock.now, history: { retentionMs: 10_000 } });
  b.recordEvent({ id: 'm1', at: clock.now(), kind: 'received', channel: 'ns-a/c', subscriptions: ['ns-a/s1', 'ns-a/s2'] });
  b.recordEvent({ id: 'm1', at: clock.now() + 1, kind: 'attempt', subscription: 'ns-a/s1', attempt: 1, state: 'retrying', result: { statusCode: 503, latencyMs: 1 } });
  b.recordEvent({ id: 'm1', at: clock.now() + 2, kind: 'attempt', subscription: 'ns-a/s1', attempt: 1, result: { statusCode: 503, latencyMs: 1 } });
  b.recordEvent({ id: 'm1', at: clock.now() + 3, kind: 'state', subscription: 'ns-a/s2', state: 'in_flight' });
  await eventually(async () => { assert.deepEqual(await b.messageHistory('m1'), {
    id: 'm1', channel: 'ns-a/c', receivedAt: clock.now(),
    subscriptions: {
      'ns-a/s1': { state: 'retrying', attempts: [{ at: clock.now() + 2, attempt: 1, result: { statusCode: 503, latencyMs: 1 } }], redrives: [] },
      'ns-a/s2': { state: 'in_flight', attempts: [], redrives: [] },
    },
  }); return true; });
  clock.advance(10_001);
  assert.equal(await b.messageHistory('m1'), undefined);
});

test('publish touches only the queues it routes to (no scan of other backlogs); expiry at the head frees room', async () => {
  const clock = fakeClock();
  const b = new MemoryBuffer({ clock: clock.now, sweepIntervalMs: 3_600_000 }); // no periodic sweep during the test
  await b.connect();
  const s1 = { namespace: 'ns-a', name: 's1' };
  const other = channelConfig({ ttlSeconds: 60 });
  const mine = channelConfig({ ttlSeconds: 60, maxQueueSize: 1 });
  await b.declareChannel(other);
  await b.declareChannel(mine);
  const stale = message(other);
  await b.publish(stale, [s1]);
  await b.publish(message(mine), [s1]);
  clock.advance(60_000);
  await b.publish(message(mine), [s1]); // the full queue's own expired head made room
  assert.equal((await b.listDeadLetters({ channel: mine, subscription: s1 }, { limit: 5 })).length, 1);
  assert.equal(await b.messageHistory(stale.id), undefined, 'the other channel was not swept by a publish elsewhere');
  assert.deepEqual((await b.listDeadLetters({ channel: other, subscription: s1 }, { limit: 5 })).map((d) => [d.id, d.reason]), [[stale.id, 'expired']]);
  await b.close();
});
