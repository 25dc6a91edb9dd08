// Helpers for the conformance suite: channel/message builders, an inbox that collects deliveries, and
// polling for outcomes that settle asynchronously (broker-side expiry, history tailing).
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChannelConfig } from '../../shared/config.ts';
import type { ConsumeOptions, Consumer, Delivery, MessageBuffer, QueueRef, StoredMessage } from './types.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A fresh channel `ns-a/<random>` with subscriptions ns-a/s1 and ns-a/s2. */
export function channelConfig(over: Partial<ChannelConfig> & { tiers?: number[] } = {}): ChannelConfig {
  const { tiers = [100, 400], ...rest } = over;
  const sub = (name: string): ChannelConfig['subscriptions'][number] => ({ namespace: 'ns-a', name, eventTypes: [], tokens: [], retryScheduleMs: tiers });
  return {
    namespace: 'ns-a', name: `ch-${randomBytes(4).toString('hex')}`, maxQueueSize: 100, ttlSeconds: 3600, ackTimeoutSeconds: 30,
    maxConnections: 10, maxPayloadBytes: 1 << 20, deliveryLimit: 10, deletionPolicy: 'Delete',
    subscriptions: [sub('s1'), sub('s2')], ...rest,
  };
}

export function message(ch: ChannelConfig, over: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: randomUUID(), channel: { namespace: ch.namespace, name: ch.name }, receivedAt: Date.now(),
    headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ n: randomBytes(4).toString('hex') })), ...over,
  };
}

/** Collects one consumer's deliveries in order; next() waits for the following one. */
export class Inbox {
  readonly #queue: Delivery[] = [];
  #waiter: (() => void) | undefined;
  #consumer: Consumer | undefined;
  received = 0;
  last: Delivery | undefined;

  static async open(b: MessageBuffer, q: QueueRef, prefetch: number, opts?: ConsumeOptions): Promise<Inbox> {
    const inbox = new Inbox();
    inbox.#consumer = await b.consume(q, prefetch, (d) => {
      inbox.received++;
      inbox.#queue.push(d);
      inbox.#waiter?.();
    }, opts);
    return inbox;
  }

  async next(timeoutMs = 5_000): Promise<Delivery> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no delivery within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiter = () => { clearTimeout(t); resolve(); };
      });
      this.#waiter = undefined;
    }
    this.last = this.#queue.shift() as Delivery;
    return this.last;
  }

  async close(): Promise<void> { await this.#consumer?.cancel(); }
}

/** A fresh channel declared on `b`, one message published to its subscription ns-a/s1, and an inbox on that queue. */
export async function oneQueued(b: MessageBuffer, over: Parameters<typeof channelConfig>[0] = {}, prefetch = 1): Promise<{ ch: ChannelConfig; s1: { namespace: string; name: string }; q1: QueueRef; m: StoredMessage; inbox: Inbox }> {
  const ch = channelConfig(over);
  await b.declareChannel(ch);
  const s1 = { namespace: 'ns-a', name: 's1' };
  const q1 = { channel: ch, subscription: s1 };
  const m = message(ch);
  await b.publish(m, [s1]);
  return { ch, s1, q1, m, inbox: await Inbox.open(b, q1, prefetch) };
}
