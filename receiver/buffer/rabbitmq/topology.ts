// RabbitMQ topology for one channel, as pure data: names, arguments and bindings. Declared on
// declareChannel and re-declared on every reconnect.
//
//   exchange hb.<ns>.<ch> (direct) ──rk "subNs/sub"──▶ quorum queue <queueName>          (consumers)
//        ▲                                              │ TTL expiry / delivery limit
//        │ dead-letter after the tier's TTL             ▼ dead-letter (at-least-once)
//   quorum delay queues <queueName>.retry.<ms>ms     exchange hb.<ns>.<ch>.dlx (topic) ──▶ <queueName>.dlq
//   (retry() publishes here directly)                  └── '#' ──▶ quorum hb.dead-letter-events (consumed
//                                                          into the history stream hb.events)
import { queueName, type ChannelConfig, type ObjectKey, type SubscriptionRoute } from '../../../shared/config.ts';
import { retryTiers } from '../filter.ts';

export const EVENTS_STREAM = 'hb.events';
/**
 * Copies of broker dead-letterings (TTL expiry, delivery limit), turned into history events by whichever
 * buffer consumes them. A quorum queue rather than the stream itself: a stream drops the x-death header,
 * and after a retry x-first-death names the delay queue, so only x-death tells why the message died.
 * drop-head so it always accepts (at-least-once dead-lettering would otherwise stall on it).
 */
export const DEAD_LETTER_EVENTS = 'hb.dead-letter-events';
export const deadLetterEventsArgs = { 'x-queue-type': 'quorum', 'x-max-length': 100_000, 'x-overflow': 'drop-head' };

export const exchangeName = (ch: ObjectKey): string => `hb.${ch.namespace}.${ch.name}`;
export const dlxName = (ch: ObjectKey): string => `${exchangeName(ch)}.dlx`;
export const routingKey = (sub: ObjectKey): string => `${sub.namespace}/${sub.name}`;
export const delayQueueName = (ch: ObjectKey, sub: ObjectKey, tierMs: number): string => `${queueName(ch, sub)}.retry.${tierMs}ms`;
export const deadLetterQueueName = (ch: ObjectKey, sub: ObjectKey): string => `${queueName(ch, sub)}.dlq`;

export interface QueueSpec { name: string; args: Record<string, unknown> }
export interface Binding { queue: string; exchange: string; key: string }
export interface ChannelTopology {
  exchanges: { name: string; type: 'direct' | 'topic' }[];
  queues: QueueSpec[];
  bindings: Binding[];
}

/**
 * RabbitMQ 3.10 quorum queues admit one message past x-max-length (verified in the conformance suite),
 * and count unacknowledged messages too; x-max-length = maxQueueSize - 1 makes the capacity exactly
 * maxQueueSize, the same as the memory buffer.
 */
export const maxLengthArg = (maxQueueSize: number): number => Math.max(0, maxQueueSize - 1);

export function mainQueueArgs(ch: ChannelConfig, sub: ObjectKey): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-max-length': maxLengthArg(ch.maxQueueSize),
    'x-overflow': 'reject-publish',
    'x-message-ttl': Math.max(1, Math.round(ch.ttlSeconds * 1000)),
    'x-delivery-limit': ch.deliveryLimit,
    'x-dead-letter-exchange': dlxName(ch),
    'x-dead-letter-routing-key': routingKey(sub),
    'x-dead-letter-strategy': 'at-least-once',
  };
}

/**
 * Delay queues are quorum queues, not classic: when a tier expires into a full main queue
 * (reject-publish), at-least-once dead-lettering keeps the retry until there is room, where a
 * classic queue would drop it; and they are replicated like the main queue.
 */
export function delayQueueArgs(ch: ObjectKey, sub: ObjectKey, tierMs: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-message-ttl': tierMs,
    'x-overflow': 'reject-publish',
    'x-dead-letter-exchange': exchangeName(ch),
    'x-dead-letter-routing-key': routingKey(sub),
    'x-dead-letter-strategy': 'at-least-once',
  };
}

export function subscriptionTiers(sub: SubscriptionRoute): number[] { return retryTiers(sub.retryScheduleMs); }

export function channelTopology(ch: ChannelConfig): ChannelTopology {
  const t: ChannelTopology = {
    exchanges: [{ name: exchangeName(ch), type: 'direct' }, { name: dlxName(ch), type: 'topic' }],
    queues: [],
    bindings: [{ queue: DEAD_LETTER_EVENTS, exchange: dlxName(ch), key: '#' }],
  };
  for (const sub of ch.subscriptions) {
    const main = queueName(ch, sub);
    const dlq = deadLetterQueueName(ch, sub);
    t.queues.push({ name: main, args: mainQueueArgs(ch, sub) });
    t.queues.push({ name: dlq, args: { 'x-queue-type': 'quorum' } });
    for (const tier of subscriptionTiers(sub)) t.queues.push({ name: delayQueueName(ch, sub, tier), args: delayQueueArgs(ch, sub, tier) });
    t.bindings.push({ queue: main, exchange: exchangeName(ch), key: routingKey(sub) });
    t.bindings.push({ queue: dlq, exchange: dlxName(ch), key: routingKey(sub) });
  }
  return t;
}

export function eventsStreamArgs(retentionMs: number, maxBytes: number): Record<string, unknown> {
  return { 'x-queue-type': 'stream', 'x-max-age': `${Math.max(1, Math.ceil(retentionMs / 1000))}s`, 'x-max-length-bytes': maxBytes };
}
