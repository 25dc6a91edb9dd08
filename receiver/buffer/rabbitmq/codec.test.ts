// StoredMessage <-> AMQP properties: what goes out decodes to the same message, and dead letters carry
// their reason whether the buffer or the broker dead-lettered them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageProperties } from 'amqplib';
import type { StoredMessage } from '../types.ts';
import { decodeDeadLetter, decodeMessage, encodeOptions, notBeforeOf, reencodeOptions } from './codec.ts';

const msg: StoredMessage = {
  id: 'm-1', channel: { namespace: 'team', name: 'github' }, receivedAt: 1_700_000_000_123, eventType: 'push',
  contentType: 'application/json', headers: { 'x-github-event': 'push' }, traceparent: '00-abc-def-01', body: Buffer.from([0xff, 0x00]),
};
const props = (o: ReturnType<typeof encodeOptions>, extra: Record<string, unknown> = {}): MessageProperties =>
  ({ contentType: o.contentType, contentEncoding: undefined, headers: { ...o.headers, ...extra }, deliveryMode: 2, priority: undefined, correlationId: undefined, replyTo: undefined, expiration: undefined, messageId: o.messageId, timestamp: o.timestamp, type: o.type, userId: undefined, appId: undefined, clusterId: undefined });
const queue = { channel: msg.channel, subscription: { namespace: 'team', name: 'ci' } };

test('encode → decode is the identity, ms receivedAt included', () => {
  const o = encodeOptions(msg, { attempt: 1 });
  assert.equal(o.persistent, true);
  assert.deepEqual(decodeMessage(msg.body, props(o), msg.channel), msg);
});

test('the headers table carries only what the queue does not say: no channel, no attempt 1', () => {
  assert.deepEqual(Object.keys(encodeOptions(msg, { attempt: 1 }).headers as object).sort(), ['hb-headers', 'hb-received-at', 'traceparent']);
  assert.equal((encodeOptions(msg, { attempt: 2 }).headers as Record<string, unknown>)['hb-attempt'], 2);
});

test('a message queued by an older receiver (hb-channel, hb-attempt 1) decodes the same', () => {
  const o = encodeOptions(msg, { attempt: 1 });
  const old = props(o, { 'hb-channel': 'team/github', 'hb-attempt': 1 });
  assert.deepEqual(decodeMessage(msg.body, old, msg.channel), msg);
});

test('a dead letter written by dead() carries reason, time, attempts and last result', () => {
  const o = reencodeOptions(props(encodeOptions(msg, { attempt: 3 }), { 'x-delivery-count': 2, CC: ['a/b'] }),
    { attempt: 3, deadReason: 'max_attempts: 503', deadAt: 1_700_000_001_000, lastResult: { statusCode: 503, latencyMs: 9 } });
  assert.equal((o.headers as Record<string, unknown>)['x-delivery-count'], undefined, 'broker headers dropped');
  assert.equal((o.headers as Record<string, unknown>).CC, undefined);
  const dl = decodeDeadLetter(msg.body, props(o), queue);
  assert.deepEqual({ ...dl, message: undefined }, { id: 'm-1', queue, reason: 'max_attempts: 503', deadLetteredAt: 1_700_000_001_000, attempts: 3, lastResult: { statusCode: 503, latencyMs: 9 }, message: undefined });
});

test('a broker dead-lettering reads the latest x-death; an expired message was not attempted at its last attempt number', () => {
  const death = (reason: string): Record<string, unknown> => ({ 'x-death': [{ reason, queue: 'q', time: { '!': 'timestamp', value: 1_700_000_002 } }, { reason: 'expired', queue: 'q.retry.5000ms', time: { '!': 'timestamp', value: 1_700_000_000 } }] });
  const o = encodeOptions(msg, { attempt: 2 });
  const limit = decodeDeadLetter(msg.body, props(o, death('delivery_limit')), queue);
  assert.deepEqual([limit.reason, limit.deadLetteredAt, limit.attempts], ['delivery_limit', 1_700_000_002_000, 2]);
  const expired = decodeDeadLetter(msg.body, props(o, death('expired')), queue);
  assert.deepEqual([expired.reason, expired.attempts], ['expired', 1]);
});

test('hb-not-before rides along a re-park and is dropped by the next re-encode without one (retry, dead letter, redrive)', () => {
  const parked = reencodeOptions(props(encodeOptions(msg, { attempt: 1 })), { attempt: 2, notBefore: 1_700_000_060_000 });
  assert.equal(notBeforeOf(props(parked)), 1_700_000_060_000);
  assert.equal(notBeforeOf(props(encodeOptions(msg, { attempt: 1 }))), undefined);
  const again = reencodeOptions(props(parked), { attempt: 2 });
  assert.equal(notBeforeOf(props(again)), undefined);
  assert.deepEqual(decodeMessage(msg.body, props(parked), msg.channel), msg, 'the stored message is untouched');
});
