// The broker topology is pure data: names, arguments and bindings for one channel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelConfig } from '../../../shared/config.ts';
import { channelTopology, DEAD_LETTER_EVENTS, eventsStreamArgs, maxLengthArg } from './topology.ts';

const ch: ChannelConfig = {
  namespace: 'team', name: 'github', maxQueueSize: 500, ttlSeconds: 3600, ackTimeoutSeconds: 30, maxConnections: 10,
  maxPayloadBytes: 1 << 20, deliveryLimit: 5, deletionPolicy: 'Delete',
  subscriptions: [
    { namespace: 'team', name: 'ci', eventTypes: [], tokens: [], retryScheduleMs: [5000, 25000, 25000] },
    { namespace: 'ops', name: 'audit', eventTypes: [], tokens: [], retryScheduleMs: [] },
  ],
};

test('one direct exchange, one topic dead-letter exchange, per subscription a main, a DLQ and a delay queue per tier', () => {
  const t = channelTopology(ch);
  assert.deepEqual(t.exchanges, [{ name: 'hb.team.github', type: 'direct' }, { name: 'hb.team.github.dlx', type: 'topic' }]);
  assert.deepEqual(t.queues.map((q) => q.name), [
    'hb.team.github.team.ci', 'hb.team.github.team.ci.dlq', 'hb.team.github.team.ci.retry.5000ms', 'hb.team.github.team.ci.retry.25000ms',
    'hb.team.github.ops.audit', 'hb.team.github.ops.audit.dlq', 'hb.team.github.ops.audit.retry.5000ms',
  ]);
  assert.deepEqual(t.bindings, [
    { queue: DEAD_LETTER_EVENTS, exchange: 'hb.team.github.dlx', key: '#' },
    { queue: 'hb.team.github.team.ci', exchange: 'hb.team.github', key: 'team/ci' },
    { queue: 'hb.team.github.team.ci.dlq', exchange: 'hb.team.github.dlx', key: 'team/ci' },
    { queue: 'hb.team.github.ops.audit', exchange: 'hb.team.github', key: 'ops/audit' },
    { queue: 'hb.team.github.ops.audit.dlq', exchange: 'hb.team.github.dlx', key: 'ops/audit' },
  ]);
});

test('queue arguments: quorum, capacity exactly maxQueueSize, TTL, delivery limit, at-least-once dead-lettering', () => {
  const [main, dlq, tier] = channelTopology(ch).queues;
  assert.deepEqual(main.args, {
    'x-queue-type': 'quorum', 'x-max-length': 499, 'x-overflow': 'reject-publish', 'x-message-ttl': 3_600_000,
    'x-delivery-limit': 5, 'x-dead-letter-exchange': 'hb.team.github.dlx', 'x-dead-letter-routing-key': 'team/ci',
    'x-dead-letter-strategy': 'at-least-once',
  });
  assert.deepEqual(dlq.args, { 'x-queue-type': 'quorum' });
  assert.deepEqual(tier.args, {
    'x-queue-type': 'quorum', 'x-message-ttl': 5000, 'x-overflow': 'reject-publish', 'x-dead-letter-exchange': 'hb.team.github',
    'x-dead-letter-routing-key': 'team/ci', 'x-dead-letter-strategy': 'at-least-once',
  });
  assert.equal(maxLengthArg(1), 0);
});

test('history stream keeps the retention window and a byte cap', () => {
  assert.deepEqual(eventsStreamArgs(7 * 24 * 3600_000, 1e9), { 'x-queue-type': 'stream', 'x-max-age': '604800s', 'x-max-length-bytes': 1e9 });
});
