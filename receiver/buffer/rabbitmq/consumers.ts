// Consumers: one AMQP channel per consumer (its own prefetch window; closing it returns the unsettled
// messages, which is what cancel() and a lost connection mean), on one of several connections
// (consumer-connections.ts: one connection carries at most channel_max channels). Registrations outlive
// their connection and are re-established when it reconnects.
//
// Read-ahead: the broker's prefetch is prefetch + readAhead; what arrives while `prefetch` deliveries are
// unsettled waits here and is handed out the moment one settles. On a quorum queue an ack is a Raft
// command (committed with an fsync) and the broker sends the next message only once it is applied; with
// prefetch alone every slot waited for that round trip, and it, not the consumer, set the pace.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { ConsumerHost } from './consumer-connections.ts';
import { queueName } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { AttemptResult } from '../../../shared/protocol.ts';
import { pickTier } from '../filter.ts';
import { BufferError, notAttemptedReason, type Consumer, type Delivery, type MessageEvent, type QueueRef } from '../types.ts';
import { AckBatch } from './ack-batch.ts';
import { attemptOf, decodeMessage, deliveryCountOf, notBeforeOf, receivedAtOf, reencodeOptions } from './codec.ts';
import type { Publisher } from './publisher.ts';
import { deadLetterQueueName, delayQueueName, routingKey } from './topology.ts';

export interface ConsumerDeps {
  logger: Logger;
  publisher: Publisher;
  clock: () => number;
  record(e: MessageEvent): void;
  tiers(queue: QueueRef): number[];
  /** Where consumer channels go: a connection with a free channel, given back on cancel. */
  hosts: { acquire(): Promise<ConsumerHost>; release(host: ConsumerHost): void };
}

interface Registration {
  queue: QueueRef;
  prefetch: number;
  onDelivery: (d: Delivery) => void;
  /** The connection this consumer's channel lives on, for its whole life. */
  host: ConsumerHost;
  ch?: Channel;
  /** The acks of the live channel, sent once per turn. */
  acks?: AckBatch;
  cancelled: boolean;
  readAhead: number;
  inflight: Map<number, number>; // deliveryTag -> receivedAt
  waiting: ConsumeMessage[]; // read ahead, not handed out yet (arrival order)
  parking: Set<number>; // delivery tags back from a delay tier too early, being parked again (still queued, not in flight)
}

export class Consumers {
  readonly #deps: ConsumerDeps;
  readonly #regs = new Set<Registration>();

  constructor(deps: ConsumerDeps) { this.#deps = deps; }

  async add(queue: QueueRef, prefetch: number, onDelivery: (d: Delivery) => void, readAhead = 0): Promise<Consumer> {
    let host: ConsumerHost;
    try {
      host = await this.#deps.hosts.acquire();
    } catch (err) {
      throw new BufferError('buffer_error', `not connected to RabbitMQ: ${(err as Error).message}`);
    }
    const reg: Registration = {
      queue, prefetch: Math.max(1, prefetch), readAhead: Math.max(0, Math.floor(readAhead)), onDelivery, host, cancelled: false,
      inflight: new Map(), waiting: [], parking: new Set(),
    };
    try {
      const model = host.model;
      if (!model) throw new BufferError('buffer_error', 'not connected to RabbitMQ');
      await this.#open(reg, model);
    } catch (err) {
      // Never registered: no retry may bring this consumer back, and its channel (if any) goes.
      reg.cancelled = true;
      const ch = reg.ch;
      reg.ch = undefined;
      if (ch) await ch.close().catch(() => {});
      this.#deps.hosts.release(host);
      throw err;
    }
    this.#regs.add(reg);
    return { cancel: () => this.#cancel(reg) };
  }

  /** After `host` (re)connected: each of its live registrations consumes again on a fresh channel. */
  async reattach(host: ConsumerHost, model: ChannelModel): Promise<void> {
    for (const reg of this.#regs) {
      if (reg.host !== host) continue;
      try {
        await this.#open(reg, model);
      } catch (err) {
        // The broker closed this one channel (e.g. its queue is not there yet): its close handler tries
        // again shortly. Anything else is the connection's: its setup starts over.
        if (!channelLevel(err)) throw err;
      }
    }
  }

  /** `host`'s connection is gone; the broker has returned every unsettled message of its consumers. */
  detach(host: ConsumerHost): void {
    for (const reg of this.#regs) if (reg.host === host) { reg.ch = undefined; forget(reg); }
  }

  async cancelWhere(pred: (q: QueueRef) => boolean): Promise<void> {
    for (const reg of [...this.#regs]) if (pred(reg.queue)) await this.#cancel(reg);
  }

  /**
   * Handed out and not settled (count), read ahead and not handed out yet, the oldest receivedAt of either,
   * and retries held while being parked again.
   */
  inflight(queue: QueueRef): { count: number; readAhead: number; oldestReceivedAt?: number; parking: number } {
    let count = 0;
    let readAhead = 0;
    let parking = 0;
    let oldest: number | undefined;
    const name = queueName(queue.channel, queue.subscription);
    for (const reg of this.#regs) {
      if (queueName(reg.queue.channel, reg.queue.subscription) !== name) continue;
      count += reg.inflight.size;
      readAhead += reg.waiting.length;
      parking += reg.parking.size;
      for (const at of reg.inflight.values()) if (oldest === undefined || at < oldest) oldest = at;
      const head = reg.waiting[0]; // arrival order: the first waiting one is the oldest of them
      if (head) { const at = receivedAtOf(head.properties); if (oldest === undefined || at < oldest) oldest = at; }
    }
    const out = { count, readAhead, parking };
    return oldest === undefined ? out : { ...out, oldestReceivedAt: oldest };
  }

  async #cancel(reg: Registration): Promise<void> {
    if (reg.cancelled) return;
    reg.cancelled = true;
    this.#regs.delete(reg);
    const ch = reg.ch;
    // This turn's acks go before the channel closes (and while what is still unsettled is known), or
    // the broker would hand those messages out again.
    reg.acks?.flush();
    reg.ch = undefined;
    forget(reg);
    if (ch) await ch.close().catch(() => {});
    this.#deps.hosts.release(reg.host);
  }

  async #open(reg: Registration, model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.#deps.logger.warn({ err: err.message, queue: queueName(reg.queue.channel, reg.queue.subscription) }, 'rabbitmq consumer channel error'));
    ch.on('close', () => {
      if (reg.ch !== ch) return;
      reg.ch = undefined;
      forget(reg);
      // Closed by the broker while the connection stays up (e.g. queue deleted): try again shortly.
      if (!reg.cancelled) setTimeout(() => { const m = reg.host.model; if (m && !reg.cancelled && !reg.ch) this.#open(reg, m).catch(() => {}); }, 1_000).unref();
    });
    await ch.prefetch(reg.prefetch + reg.readAhead, false);
    // Whatever an earlier channel handed out is the broker's again. Usually detachAll() or the close handler
    // has already forgotten it, but not when the connection died during its setup (before it was up): its
    // deliveries, kept as in flight, would have filled the window of the new channel for good.
    forget(reg);
    reg.ch = ch;
    reg.acks = new AckBatch(ch, () => lowestOutstanding(reg));
    await ch.consume(queueName(reg.queue.channel, reg.queue.subscription), (msg) => {
      if (msg === null) { this.#deps.logger.warn({ queue: queueName(reg.queue.channel, reg.queue.subscription) }, 'rabbitmq cancelled the consumer'); return; }
      if (reg.ch !== ch || reg.cancelled) return;
      const notBefore = notBeforeOf(msg.properties);
      if (notBefore !== undefined && notBefore > this.#deps.clock()) { this.#repark(reg, ch, msg, notBefore); return; }
      if (reg.inflight.size < reg.prefetch && reg.waiting.length === 0) this.#handOut(reg, ch, msg);
      else reg.waiting.push(msg);
    }, { noAck: false });
  }

  #handOut(reg: Registration, ch: Channel, msg: ConsumeMessage): void {
    const d = this.#delivery(reg, ch, msg);
    reg.inflight.set(msg.fields.deliveryTag, d.message.receivedAt);
    reg.onDelivery(d);
  }

  /** A slot freed: hand out what was read ahead, in arrival order, while there is room. */
  #pump(reg: Registration, ch: Channel): void {
    while (reg.ch === ch && !reg.cancelled && reg.inflight.size < reg.prefetch && reg.waiting.length > 0) {
      this.#handOut(reg, ch, reg.waiting.shift() as ConsumeMessage);
    }
  }

  /**
   * Publishes the message into the smallest delay tier >= the time left until notBefore (else the largest).
   * While that tier falls short, hb-not-before rides along so the consumer parks it again when it is back.
   */
  async #park(reg: Registration, msg: ConsumeMessage, attempt: number, notBefore: number): Promise<void> {
    const now = this.#deps.clock();
    const tier = pickTier(this.#deps.tiers(reg.queue), notBefore - now);
    const q = delayQueueName(reg.queue.channel, reg.queue.subscription, tier);
    const extra = { attempt, ...(notBefore > now + tier && { notBefore }) };
    await this.#deps.publisher.publish('', q, msg.content, { ...reencodeOptions(msg.properties, extra), mandatory: true });
  }

  /** Back from a delay tier before its not-before time: parked again for the rest, never handed out, nothing recorded. */
  #repark(reg: Registration, ch: Channel, msg: ConsumeMessage, notBefore: number): void {
    const tag = msg.fields.deliveryTag;
    reg.parking.add(tag);
    const done = (): boolean => { if (reg.ch !== ch) return false; reg.parking.delete(tag); return true; };
    this.#park(reg, msg, attemptOf(msg.properties), notBefore).then(
      () => { if (done()) ch.ack(msg); },
      (err: Error) => {
        this.#deps.logger.warn({ err: err.message, queue: queueName(reg.queue.channel, reg.queue.subscription) }, 'parking a retry again failed; it goes back to its queue');
        // Not at once: a broker that refuses the delay queue would otherwise bounce it in a tight loop.
        setTimeout(() => { if (done()) ch.nack(msg, false, true); }, 1_000).unref();
      });
  }

  #delivery(reg: Registration, ch: Channel, msg: ConsumeMessage): Delivery {
    const { publisher, clock, record } = this.#deps;
    const message = decodeMessage(msg.content, msg.properties, reg.queue.channel);
    const attempt = attemptOf(msg.properties);
    const sub = routingKey(reg.queue.subscription);
    const tag = msg.fields.deliveryTag;
    const acks = reg.acks as AckBatch; // set with reg.ch, before the first delivery
    let settled = false;

    /** Runs `fn` once, while this delivery's channel is still the live one. */
    const settle = async (fn: () => Promise<void>): Promise<void> => {
      if (settled) return;
      if (reg.ch !== ch) {
        settled = true;
        if (reg.cancelled) return; // returned to the queue by cancel()
        throw new BufferError('buffer_error', 'the RabbitMQ connection was lost; the broker will redeliver this message');
      }
      settled = true;
      try { await fn(); } catch (err) {
        settled = false;
        throw err instanceof BufferError ? err : new BufferError('buffer_error', (err as Error).message);
      }
      reg.inflight.delete(tag);
      this.#pump(reg, ch);
    };
    const attemptEvent = (state: MessageEvent['state'], result?: AttemptResult, reason?: string): void =>
      record({ id: message.id, at: clock(), kind: 'attempt', subscription: sub, attempt, state, ...(result && { result }), ...(reason !== undefined && { reason }) });

    return {
      message,
      queue: reg.queue,
      attempt,
      deliveryCount: deliveryCountOf(msg.properties),
      ack: (result) => settle(async () => { acks.add(msg); attemptEvent('delivered', result); }),
      retry: (delayMs, result, opts) => settle(async () => {
        const tried = opts?.attempted !== false;
        await this.#park(reg, msg, tried ? attempt + 1 : attempt, clock() + delayMs);
        acks.add(msg);
        if (tried) attemptEvent('retrying', result);
        else record({ id: message.id, at: clock(), kind: 'state', subscription: sub, attempt, state: 'retrying', reason: notAttemptedReason(opts) });
      }),
      dead: (reason, result) => settle(async () => {
        const q = deadLetterQueueName(reg.queue.channel, reg.queue.subscription);
        await publisher.publish('', q, msg.content, { ...reencodeOptions(msg.properties, { attempt, deadReason: reason, deadAt: clock(), ...(result && { lastResult: result }) }), mandatory: true });
        acks.add(msg);
        attemptEvent('dead_lettered', result, reason);
      }),
      release: async () => {
        if (settled) return;
        settled = true;
        if (reg.ch === ch) { ch.nack(msg, false, true); reg.inflight.delete(tag); this.#pump(reg, ch); }
      },
    };
  }
}

/** AMQP channel exceptions (access-refused, not-found, resource-locked, precondition-failed) close one channel, not the connection. */
function channelLevel(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 403 || code === 404 || code === 405 || code === 406;
}

/** The channel is gone (closed, cancelled, connection lost): the broker has taken back everything it held. */
function forget(reg: Registration): void {
  reg.inflight.clear();
  reg.waiting = [];
  reg.parking.clear();
}

/** The smallest delivery tag the channel has given this consumer and it has not settled (Infinity: none). */
function lowestOutstanding(reg: Registration): number {
  let low = reg.waiting[0]?.fields.deliveryTag ?? Infinity; // arrival order: the first waiting one is the lowest of them
  for (const tag of reg.inflight.keys()) if (tag < low) low = tag;
  for (const tag of reg.parking) if (tag < low) low = tag;
  return low;
}
