// GET /admin/webhook-connect/channels[/{ns}/{name}] (SPEC §4): configured channels with live stats per
// subscription and summed per channel — what the operator copies into WebhookChannel/Subscription status.
//
// Each subscription's `stats`:
//   messages_queued, messages_in_flight, connected_clients, dead_lettered  (summed into the channel's stats)
//   messages_held           of messages_queued, what this receiver holds (in flight, read ahead, parked);
//                           the rest is the broker's count, which every receiver reports alike
//   last_delivery_at        ISO time of the last ack; absent until there is one
//   destination_gone_at     ISO time of the last message a connector dead-lettered because the destination
//                           answered 410 Gone; null if none (the operator turns it into a Subscription condition)
//   destination_gone_total  how many such messages
// last_delivery_at and destination_gone_* are kept in this receiver's memory (they restart empty), like
// connected_clients; with several receivers (the operator asks each one), take the latest time and the
// sum of the totals; messages_queued is max(messages_queued - messages_held) + sum(messages_held), and
// dead_lettered (the broker's count) the max.
import type { Request, Response } from 'express';
import type { MessageBuffer } from '../buffer/types.ts';
import type { ChannelSnapshot, RuntimeChannel } from '../channels.ts';
import { sendError } from '../errors.ts';
import type { SessionRegistry } from '../stream/registry.ts';

export interface AdminDeps { snapshot(): ChannelSnapshot; buffer: MessageBuffer; sessions: SessionRegistry }

export interface Stats { messages_queued: number; messages_in_flight: number; connected_clients: number; dead_lettered: number; messages_held: number }
const STAT_KEYS = ['messages_queued', 'messages_in_flight', 'connected_clients', 'dead_lettered', 'messages_held'] as const;

const zero = (): Stats => ({ messages_queued: 0, messages_in_flight: 0, connected_clients: 0, dead_lettered: 0, messages_held: 0 });

export async function describeChannel(deps: AdminDeps, ch: RuntimeChannel, detail: boolean): Promise<Record<string, unknown>> {
  const total = zero();
  let lastDelivery: number | undefined;
  const subscriptions = await Promise.all(ch.subscriptions.map(async (sub) => {
    const q = await deps.buffer.stats(sub.queue);
    const stats: Stats = {
      messages_queued: q.messagesQueued,
      messages_in_flight: q.messagesInFlight,
      connected_clients: deps.sessions.count(sub.key),
      dead_lettered: q.deadLettered,
      messages_held: q.messagesHeld,
    };
    for (const k of STAT_KEYS) total[k] += stats[k];
    const last = deps.sessions.lastDeliveryAt(sub.key);
    if (last !== undefined && (lastDelivery === undefined || last > lastDelivery)) lastDelivery = last;
    const gone = deps.sessions.destinationGoneStats(sub.key);
    return {
      namespace: sub.ref.namespace, name: sub.ref.name, eventTypes: sub.route.eventTypes, oldest_message_age_seconds: q.oldestMessageAgeSeconds,
      stats: {
        ...stats, ...(last !== undefined && { last_delivery_at: new Date(last).toISOString() }),
        destination_gone_at: gone.at === undefined ? null : new Date(gone.at).toISOString(),
        destination_gone_total: gone.total,
      },
    };
  }));
  const c = ch.config;
  return {
    namespace: ch.ref.namespace,
    name: ch.ref.name,
    path: `/webhook/${encodeURIComponent(ch.ref.namespace)}/${encodeURIComponent(ch.ref.name)}`,
    stats: { ...total, ...(lastDelivery !== undefined && { last_delivery_at: new Date(lastDelivery).toISOString() }) },
    ...(detail && {
      config: {
        maxQueueSize: c.maxQueueSize, ttlSeconds: c.ttlSeconds, ackTimeoutSeconds: c.ackTimeoutSeconds,
        maxConnections: c.maxConnections, maxPayloadBytes: c.maxPayloadBytes, deliveryLimit: c.deliveryLimit,
        ...(c.eventType && { eventType: c.eventType }),
        ...(c.verify && { verify: { provider: c.verify.provider, toleranceSeconds: c.verify.toleranceSeconds } }),
        deletionPolicy: c.deletionPolicy,
      },
    }),
    subscriptions,
  };
}

export function listChannels(deps: AdminDeps): (req: Request, res: Response) => Promise<void> {
  return async (_req, res) => {
    try {
      const channels = await Promise.all([...deps.snapshot().channels.values()].map((ch) => describeChannel(deps, ch, false)));
      res.json({ channels });
    } catch (err) {
      sendError(res, 'buffer_error', `Reading queue stats failed: ${(err as Error).message}`);
    }
  };
}

export function getChannel(deps: AdminDeps): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const ch = deps.snapshot().get(req.params.ns as string, req.params.name as string);
    if (!ch) { sendError(res, 'channel_not_found'); return; }
    try {
      res.json(await describeChannel(deps, ch, true));
    } catch (err) {
      sendError(res, 'buffer_error', `Reading queue stats failed: ${(err as Error).message}`);
    }
  };
}
