// Applies topology.ts to a broker. Declarations are idempotent; a queue that already exists with other
// arguments (maxQueueSize/ttlSeconds/deliveryLimit changed on the channel) is kept as it is, with a
// warning: quorum queue arguments cannot change in place, and recreating the queue would lose messages.
import type { Channel, ChannelModel } from 'amqplib';
import type { ChannelConfig } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import { queueName } from '../../../shared/config.ts';
import { DEFAULT_HISTORY_RETENTION_MS } from '../history.ts';
import { channelTopology, DEAD_LETTER_EVENTS, deadLetterEventsArgs, deadLetterQueueName, delayQueueName, dlxName, EVENTS_STREAM, eventsStreamArgs, exchangeName, subscriptionTiers } from './topology.ts';

const PRECONDITION_FAILED = 406;

async function open(model: ChannelModel): Promise<Channel> {
  const ch = await model.createChannel();
  ch.on('error', () => {}); // surfaced as the rejected operation
  return ch;
}

/** The history stream and the dead-letter events queue that feeds it. */
export async function declareEventsStream(model: ChannelModel, retentionMs: number | undefined, maxBytes: number | undefined, logger: Logger): Promise<void> {
  const args = eventsStreamArgs(retentionMs ?? DEFAULT_HISTORY_RETENTION_MS, maxBytes ?? 1_000_000_000);
  await assertOrKeep(model, EVENTS_STREAM, args, logger);
  await assertOrKeep(model, DEAD_LETTER_EVENTS, deadLetterEventsArgs, logger);
}

/** Declares a queue; if it exists with other arguments, keeps it (checked passively) with a warning. */
async function assertOrKeep(model: ChannelModel, name: string, args: Record<string, unknown>, logger: Logger): Promise<void> {
  const ch = await open(model);
  try {
    await ch.assertQueue(name, { durable: true, arguments: args });
    return;
  } catch (err) {
    if ((err as { code?: number }).code !== PRECONDITION_FAILED) throw err;
  } finally {
    await ch.close().catch(() => {});
  }
  logger.warn({ queue: name, wanted: args }, 'queue exists with other arguments; keeping the existing queue (delete it to apply the new settings)');
  const check = await open(model);
  try { await check.checkQueue(name); } finally { await check.close().catch(() => {}); }
}

export async function declareChannelTopology(model: ChannelModel, cfg: ChannelConfig, logger: Logger): Promise<void> {
  const t = channelTopology(cfg);
  const ch = await open(model);
  try {
    for (const x of t.exchanges) await ch.assertExchange(x.name, x.type, { durable: true });
  } finally {
    await ch.close().catch(() => {});
  }
  for (const q of t.queues) await assertOrKeep(model, q.name, q.args, logger);
  const bind = await open(model);
  try {
    for (const b of t.bindings) await bind.bindQueue(b.queue, b.exchange, b.key);
  } finally {
    await bind.close().catch(() => {});
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
