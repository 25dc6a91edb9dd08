// Applies topology.ts to a broker. Declarations are idempotent; a queue that already exists with other
// arguments (maxQueueSize/ttlSeconds/deliveryLimit changed on the channel) is kept as it is, with a
// warning: quorum queue arguments cannot change in place, and recreating the queue would lose messages.
import type { Channel, ChannelModel } from 'amqplib';
import type { ChannelConfig } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import { queueName } from '../../../shared/config.ts';
import { DEFAULT_HISTORY_RETENTION_MS } from '../history.ts';
import { channelTopology, deadLetterQueueName, delayQueueName, dlxName, EVENTS_STREAM, eventsStreamArgs, exchangeName, subscriptionTiers } from './topology.ts';

const PRECONDITION_FAILED = 406;

async function open(model: ChannelModel): Promise<Channel> {
  const ch = await model.createChannel();
  ch.on('error', () => {}); // surfaced as the rejected operation
  return ch;
}

export async function declareEventsStream(model: ChannelModel, retentionMs: number | undefined, maxBytes: number | undefined, logger: Logger): Promise<void> {
  let ch = await open(model);
  try {
    await ch.assertQueue(EVENTS_STREAM, { durable: true, arguments: eventsStreamArgs(retentionMs ?? DEFAULT_HISTORY_RETENTION_MS, maxBytes ?? 1_000_000_000) });
  } catch (err) {
    if ((err as { code?: number }).code !== PRECONDITION_FAILED) throw err;
    logger.warn({ queue: EVENTS_STREAM }, 'history stream exists with other retention settings; keeping it');
    ch = await open(model);
    await ch.checkQueue(EVENTS_STREAM);
  } finally {
    await ch.close().catch(() => {});
  }
}

export async function declareChannelTopology(model: ChannelModel, cfg: ChannelConfig, logger: Logger): Promise<void> {
  const t = channelTopology(cfg);
  let ch = await open(model);
  try {
    for (const x of t.exchanges) await ch.assertExchange(x.name, x.type, { durable: true });
    for (const q of t.queues) {
      try {
        await ch.assertQueue(q.name, { durable: true, arguments: q.args });
      } catch (err) {
        if ((err as { code?: number }).code !== PRECONDITION_FAILED) throw err;
        logger.warn({ queue: q.name, wanted: q.args }, 'queue exists with other arguments; keeping the existing queue (delete it to apply the new limits)');
        ch = await open(model);
        await ch.checkQueue(q.name);
      }
    }
    for (const b of t.bindings) await ch.bindQueue(b.queue, b.exchange, b.key);
  } finally {
    await ch.close().catch(() => {});
  }
}

export async function deleteChannelTopology(model: ChannelModel, cfg: ChannelConfig): Promise<void> {
  const ch = await open(model);
  try {
    for (const sub of cfg.subscriptions) {
      await ch.deleteQueue(queueName(cfg, sub));
      await ch.deleteQueue(deadLetterQueueName(cfg, sub));
      for (const tier of subscriptionTiers(sub)) await ch.deleteQueue(delayQueueName(cfg, sub, tier));
    }
    await ch.deleteExchange(exchangeName(cfg));
    await ch.deleteExchange(dlxName(cfg));
  } finally {
    await ch.close().catch(() => {});
  }
}
