// The production buffer: RabbitMQ quorum queues (topology.ts), confirms pipelined on one channel,
// consumers on channels of their own, all re-established after a reconnect — to the next node of a
// cluster when the URL lists several. Consumer channels live on connections of their own, as many as
// they need (consumer-connections.ts: one connection carries at most channel_max channels, 2047 by
// default, and a receiver can hold more streams than that); each reconnects and re-attaches on its own. Publishing has a connection of its own: during a memory or disk
// alarm RabbitMQ stops reading a publishing connection's socket, and the consumers' acks (which drain the
// queues and so end the alarm) must not wait behind it. A publish resolves only on the broker's confirm,
// which a quorum queue sends once a majority of its replicas has the message; one in flight when the
// connection goes fails (and ingest answers 503), it is never taken for stored.
import type { Channel, ChannelModel } from 'amqplib';
import { keyOf, queueName, type ChannelConfig, type ObjectKey } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import {
  BufferError, type ConsumeOptions, type Consumer, type DeadLetter, type DeadLetterFilter, type Delivery, type MessageBuffer,
  type MessageEvent, type MessageHistory, type QueueRef, type QueueStats, type StoredMessage,
} from '../types.ts';
import { AgeJournal } from './age.ts';
import { encodeOptions } from './codec.ts';
import { AmqpConnection } from './connection.ts';
import { parseBrokerUrls } from './urls.ts';
import { Consumers } from './consumers.ts';
import { ConsumerConnections } from './consumer-connections.ts';
import { DeadLetters } from './dead-letters.ts';
import type { MessagePage, MessageQuery } from '../history-query.ts';
import { HistoryLog } from './history-log.ts';
import { PublishError, Publisher } from './publisher.ts';
import { declareChannelTopology, declareEventsStream, deleteChannelTopology } from './declare.ts';
import { deadLetterQueueName, delayQueueName, exchangeName, routingKey, subscriptionTiers } from './topology.ts';

/** The public answer while the broker blocks publishes: nothing was stored, so a retry is no duplicate. */
const BLOCKED_MESSAGE = 'The message buffer refuses writes for now (RabbitMQ resource alarm); nothing was stored, retry later.';

export interface RabbitBufferOptions {
  /** amqp(s):// URL of the broker, or of each node of a cluster, comma-separated (tried in turn). */
  url: string;
  logger: Logger;
  clock?: () => number;
  /** How long connect() waits for the first connection (the reconnect loop keeps going after). */
  connectTimeoutMs?: number;
  confirmTimeoutMs?: number;
  /** Frames buffered on the publish channel before publishes wait for 'drain' (amqplib default 1024). */
  publishHighWaterMark?: number;
  heartbeatSeconds?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * Message history: retention (also the stream's x-max-age), the in-memory index's budget (`maxBytes`,
   * `maxMessages`: history.ts) and the stream's own size cap on disk (`streamMaxBytes`).
   */
  history?: { retentionMs?: number; maxBytes?: number; maxMessages?: number; streamMaxBytes?: number; flushMs?: number };
  /** Most dead letters one list/redrive/purge looks at. */
  deadLetterScanLimit?: number;
  /** How often a queue that rejected a publish as full is re-checked. */
  fullRecheckMs?: number;
  /** How often an empty, unroutable publish checks for a resource alarm (default 1000; 0 = off). */
  alarmProbeMs?: number;
  /**
   * Most consumer channels (one per stream) on one AMQP connection; more streams open more connections.
   * Default DEFAULT_CHANNELS_PER_CONNECTION; the broker's negotiated channel_max caps it too.
   */
  channelsPerConnection?: number;
}

/**
 * A nack counts as "queue full" only when a routed queue holds at least this share of its limit (ready,
 * as the broker counts it, plus this receiver's unsettled deliveries); below it the nack has another cause.
 */
const NACK_FULL_RATIO = 0.99;

export class RabbitBuffer implements MessageBuffer {
  readonly kind = 'rabbitmq' as const;
  readonly #o: RabbitBufferOptions;
  readonly #clock: () => number;
  readonly #conn: AmqpConnection;
  readonly #pubConn: AmqpConnection;
  readonly #publisher: Publisher;
  readonly #consumers: Consumers;
  readonly #consumerConns: ConsumerConnections;
  readonly #deadLetters: DeadLetters;
  readonly #history: HistoryLog;
  readonly #journal = new AgeJournal();
  readonly #channels = new Map<string, ChannelConfig>();
  /** Queues known to be full: publishes routed to them fail fast, without a partial store elsewhere. */
  readonly #full = new Map<string, { queue: string; max: number; ref: QueueRef }>();
  #fullTimer: NodeJS.Timeout | undefined;
  #renewedAt = 0;
  #probeTimer: NodeJS.Timeout | undefined;

  constructor(opts: RabbitBufferOptions) {
    this.#o = opts;
    const { logger } = opts;
    this.#clock = opts.clock ?? Date.now;
    const model = (): ChannelModel | undefined => this.#conn.model;
    const record = (e: MessageEvent): void => this.recordEvent(e);
    const connOpts = { urls: parseBrokerUrls(opts.url), logger, heartbeatSeconds: opts.heartbeatSeconds, reconnectMinMs: opts.reconnectMinMs, reconnectMaxMs: opts.reconnectMaxMs };
    this.#conn = new AmqpConnection(connOpts);
    this.#pubConn = new AmqpConnection({ ...connOpts, name: 'hookbridge-publish' });
    this.#publisher = new Publisher({ logger, confirmTimeoutMs: opts.confirmTimeoutMs, highWaterMark: opts.publishHighWaterMark, blocked: () => this.blocked() });
    this.#consumerConns = new ConsumerConnections({
      perConnection: opts.channelsPerConnection, logger, connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
      connect: (id) => new AmqpConnection({ ...connOpts, name: `hookbridge-consume-${id}` }),
      // Settling a delivery can publish (retry, dead letter): the publishing connection comes up first.
      onSetup: async (host, m) => { await this.#pubConn.start(this.#o.connectTimeoutMs ?? 30_000); await this.#consumers.reattach(host, m); },
      onDown: (host) => this.#consumers.detach(host),
    });
    this.#consumers = new Consumers({ logger, publisher: this.#publisher, clock: this.#clock, record, tiers: (q) => this.#tiers(q), hosts: this.#consumerConns });
    this.#deadLetters = new DeadLetters({ logger, publisher: this.#publisher, clock: this.#clock, record, model, scanLimit: opts.deadLetterScanLimit ?? 10_000 });
    const h = opts.history ?? {};
    this.#history = new HistoryLog({ logger, publisher: this.#publisher, clock: this.#clock, retentionMs: h.retentionMs, maxBytes: h.maxBytes, maxMessages: h.maxMessages, flushMs: h.flushMs });

    this.#pubConn.onSetup((m) => this.#publisher.attach(m));
    this.#pubConn.onDown(() => this.#publisher.detach());
    // The history catch-up and consumer settles publish: the publishing connection comes up first.
    this.#conn.onSetup(() => this.#pubConn.start(this.#o.connectTimeoutMs ?? 30_000));
    this.#conn.onSetup(async (m) => {
      await declareEventsStream(m, h.retentionMs, h.streamMaxBytes, logger);
      for (const ch of this.#channels.values()) await declareChannelTopology(m, ch, logger);
    });
    this.#conn.onSetup((m) => this.#history.attach(m));
    this.#conn.onDown(() => this.#history.detach());
  }

  async connect(): Promise<void> {
    const probeMs = this.#o.alarmProbeMs ?? 1000;
    if (probeMs > 0 && !this.#probeTimer) {
      this.#probeTimer = setInterval(() => { if (this.#canPublish() && !this.blocked()) this.#publisher.probe(); }, probeMs);
      this.#probeTimer.unref();
    }
    try {
      await this.#conn.start(this.#o.connectTimeoutMs ?? 30_000);
    } catch (err) {
      throw new BufferError('buffer_error', (err as Error).message);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#fullTimer);
    this.#fullTimer = undefined;
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
    await this.#history.close().catch(() => {});
    await this.#consumers.cancelWhere(() => true);
    await this.#consumerConns.close();
    await this.#conn.close();
    await this.#pubConn.close();
  }

  /** Every connection is up: the main one, the publishing one and each consumer connection that has been up. */
  isConnected(): boolean { return this.#canPublish() && this.#consumerConns.allUp(); }

  /** A consumer connection reconnecting holds up its own streams' deliveries, never ingest. */
  #canPublish(): boolean { return this.#conn.isUp() && this.#pubConn.isUp() && this.#publisher.ready; }

  blocked(): string | undefined { return this.#pubConn.isUp() ? this.#pubConn.blocked : undefined; }

  async declareChannel(channel: ChannelConfig): Promise<void> {
    this.#channels.set(keyOf(channel), structuredClone(channel));
    const model = this.#conn.model;
    if (!model) return; // declared on (re)connect
    try {
      await declareChannelTopology(model, channel, this.#o.logger);
    } catch (err) {
      throw new BufferError('buffer_error', `declaring ${keyOf(channel)}: ${(err as Error).message}`);
    }
  }

  async removeChannel(channel: ObjectKey, opts: { deleteQueues: boolean }): Promise<void> {
    const cfg = this.#channels.get(keyOf(channel));
    this.#channels.delete(keyOf(channel));
    await this.#consumers.cancelWhere((q) => keyOf(q.channel) === keyOf(channel));
    if (!opts.deleteQueues || !cfg) return;
    const model = this.#conn.model;
    if (!model) throw new BufferError('buffer_error', 'not connected to RabbitMQ; queues not deleted');
    for (const sub of cfg.subscriptions) this.#journal.forget(queueName(cfg, sub));
    await deleteChannelTopology(model, cfg);
  }

  async publish(message: StoredMessage, routes: ObjectKey[]): Promise<void> {
    if (!this.#canPublish()) throw new BufferError('buffer_error', 'not connected to RabbitMQ');
    this.#unblocked();
    const cfg = this.#channels.get(keyOf(message.channel));
    if (!cfg) throw new BufferError('buffer_error', `channel ${keyOf(message.channel)} is not declared`);
    for (const r of routes) {
      if (!cfg.subscriptions.some((s) => keyOf(s) === keyOf(r))) throw new BufferError('buffer_error', `subscription ${keyOf(r)} is not bound to ${keyOf(cfg)}`);
      if (this.#full.has(queueName(cfg, r))) throw new BufferError('queue_full', `queue for subscription ${keyOf(r)} is full (${cfg.maxQueueSize})`);
    }
    if (routes.length === 0) return;
    const [first, ...rest] = routes.map(routingKey);
    const options = { ...encodeOptions(message, { attempt: 1 }), mandatory: true, ...(rest.length > 0 && { CC: rest }) };
    try {
      await this.#publisher.publish(exchangeName(cfg), first, message.body, options);
    } catch (err) {
      if (err instanceof PublishError && err.kind === 'nack') throw await this.#explainNack(cfg, routes);
      throw new BufferError('buffer_error', (err as Error).message);
    }
    for (const r of routes) this.#journal.add(queueName(cfg, r), message.receivedAt);
  }

  async consume(queue: QueueRef, prefetch: number, onDelivery: (d: Delivery) => void, opts?: ConsumeOptions): Promise<Consumer> {
    if (!this.#conn.isUp()) throw new BufferError('buffer_error', 'not connected to RabbitMQ');
    return this.#consumers.add(queue, prefetch, onDelivery, opts?.readAhead ?? 0);
  }

  async stats(queue: QueueRef): Promise<QueueStats> {
    const cfg = this.#channels.get(keyOf(queue.channel));
    const sub = cfg?.subscriptions.find((s) => keyOf(s) === keyOf(queue.subscription));
    if (!cfg || !sub) throw new BufferError('buffer_error', `no queue for ${keyOf(queue.channel)} subscription ${keyOf(queue.subscription)}`);
    const main = queueName(queue.channel, queue.subscription);
    const counts = await this.#withChannel(async (ch) => {
      const ready = (await ch.checkQueue(main)).messageCount;
      let delayed = 0;
      for (const tier of subscriptionTiers(sub)) delayed += (await ch.checkQueue(delayQueueName(queue.channel, queue.subscription, tier))).messageCount;
      const dead = (await ch.checkQueue(deadLetterQueueName(queue.channel, queue.subscription))).messageCount;
      return { ready, delayed, dead };
    });
    const inflight = this.#consumers.inflight(queue);
    const candidates = [inflight.oldestReceivedAt, this.#journal.oldest(main, counts.ready)].filter((t): t is number => t !== undefined);
    const oldest = candidates.length > 0 ? Math.min(...candidates) : undefined;
    return {
      messagesQueued: counts.ready + inflight.count + inflight.readAhead + inflight.parking + counts.delayed,
      messagesInFlight: inflight.count,
      messagesHeld: inflight.count + inflight.readAhead + inflight.parking,
      deadLettered: counts.dead,
      oldestMessageAgeSeconds: oldest === undefined || counts.ready + inflight.count + inflight.readAhead === 0 ? 0 : Math.max(0, (this.#clock() - oldest) / 1000),
    };
  }

  listDeadLetters(queue: QueueRef, opts: { limit: number; filter?: DeadLetterFilter }): Promise<DeadLetter[]> {
    return this.#deadLetters.list(queue, opts.limit, opts.filter);
  }

  async redriveDeadLetters(queue: QueueRef, filter: DeadLetterFilter): Promise<number> { this.#unblocked(); return this.#deadLetters.redrive(queue, filter); }

  purgeDeadLetters(queue: QueueRef, filter: DeadLetterFilter): Promise<number> { return this.#deadLetters.purge(queue, filter); }

  recordEvent(event: MessageEvent): void { this.#history.record(event); }

  async messageHistory(id: string): Promise<MessageHistory | undefined> { return this.#history.index.get(id); }

  async listMessages(query: MessageQuery): Promise<MessagePage> { return this.#history.index.list(query); }

  #tiers(queue: QueueRef): number[] {
    const sub = this.#channels.get(keyOf(queue.channel))?.subscriptions.find((s) => keyOf(s) === keyOf(queue.subscription));
    return sub ? subscriptionTiers(sub) : subscriptionTiers({ namespace: '', name: '', eventTypes: [], tokens: [], retryScheduleMs: [] });
  }

  /**
   * A nack from a quorum queue with x-overflow reject-publish means a routed queue is at its limit; the
   * other cause (no quorum leader) also fails queue.declare. The fullest routed queue is marked full,
   * so later publishes to it fail before they reach the broker (and cannot land in the other routes).
   */
  async #explainNack(cfg: ChannelConfig, routes: ObjectKey[]): Promise<BufferError> {
    try {
      const fill = await this.#withChannel(async (ch) => {
        const out: { route: ObjectKey; queue: string; ratio: number }[] = [];
        for (const route of routes) {
          const queue = queueName(cfg, route);
          const ready = (await ch.checkQueue(queue)).messageCount;
          const held = this.#consumers.inflight({ channel: cfg, subscription: route });
          const inflight = held.count + held.readAhead;
          out.push({ route, queue, ratio: (ready + inflight) / cfg.maxQueueSize });
        }
        return out.sort((a, b) => b.ratio - a.ratio);
      });
      const fullest = fill[0];
      if (fullest.ratio < NACK_FULL_RATIO) {
        // No routed queue is at its limit: the broker rejected it for another reason (a queue without a
        // leader for a moment, or this channel's stale view of one). A new channel for the next publishes.
        this.#renewPublisher();
        return new BufferError('buffer_error', 'RabbitMQ rejected the message though no queue it goes to is full; try again');
      }
      this.#markFull(fullest.queue, cfg.maxQueueSize, { channel: { namespace: cfg.namespace, name: cfg.name }, subscription: fullest.route });
      return new BufferError('queue_full', `queue for subscription ${keyOf(fullest.route)} is full (${cfg.maxQueueSize})`);
    } catch (err) {
      return new BufferError('buffer_error', `RabbitMQ rejected the message: ${(err as Error).message}`);
    }
  }

  /** Not more often than once a second (a burst of nacks renews once). */
  #renewPublisher(): void {
    const model = this.#pubConn.model;
    const now = Date.now();
    if (!model || now - this.#renewedAt < 1_000) return;
    this.#renewedAt = now;
    this.#o.logger.warn('rabbitmq nacked a publish to queues below their limit: publishing on a new channel');
    this.#publisher.renew(model).catch((err: Error) => this.#o.logger.warn({ err: err.message }, 'renewing the publishing channel failed'));
  }

  #markFull(queue: string, max: number, ref: QueueRef): void {
    this.#full.set(queue, { queue, max, ref });
    this.#fullTimer ??= setInterval(() => void this.#recheckFull(), this.#o.fullRecheckMs ?? 500);
  }

  /** Clears the mark once ready + our own unsettled messages are below the limit; the broker has the last word. */
  async #recheckFull(): Promise<void> {
    if (!this.#conn.model) return;
    try {
      await this.#withChannel(async (ch) => {
        for (const f of [...this.#full.values()]) {
          const ready = (await ch.checkQueue(f.queue)).messageCount;
          const held = this.#consumers.inflight(f.ref);
          if (ready + held.count + held.readAhead < f.max) this.#full.delete(f.queue);
        }
      });
    } catch { /* try again next tick */ }
    if (this.#full.size === 0) { clearInterval(this.#fullTimer); this.#fullTimer = undefined; }
  }

  /** Publishing now would wait for the alarm to clear (RabbitMQ does not read a blocked connection): fail at once. */
  #unblocked(): void {
    const blocked = this.blocked();
    if (blocked) throw new BufferError('buffer_error', `RabbitMQ blocks this connection: ${blocked}`, BLOCKED_MESSAGE);
  }

  /** A short-lived channel for passive checks (a 404 closes the channel, never the shared ones). */
  async #withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const model = this.#conn.model;
    if (!model) throw new BufferError('buffer_error', 'not connected to RabbitMQ');
    const ch = await model.createChannel();
    ch.on('error', () => {});
    try { return await fn(ch); } catch (err) {
      throw err instanceof BufferError ? err : new BufferError('buffer_error', (err as Error).message);
    } finally { await ch.close().catch(() => {}); }
  }
}
