// The embedded buffer for `hookbridge dev`, tests and demos: same semantics as the RabbitMQ backend
// (the conformance suite runs against both), nothing survives the process. Publish, settle and stats touch
// only the queues concerned; a periodic tick sweeps every queue (expiry, due retries) and dispatches.
import { keyOf, type ChannelConfig, type ObjectKey } from '../../../shared/config.ts';
import { matchesFilter, retryTiers } from '../filter.ts';
import type { MessagePage, MessageQuery } from '../history-query.ts';
import { HistoryIndex, type HistoryOptions } from '../history.ts';
import {
  BufferError, type Consumer, type DeadLetter, type DeadLetterFilter, type Delivery, type MessageBuffer,
  type MessageEvent, type MessageHistory, type QueueRef, type QueueStats, type StoredMessage,
} from '../types.ts';
import { MemoryQueue, type QueueLimits } from './queue.ts';

export interface MemoryBufferOptions {
  /** Epoch-ms clock for timestamps, TTLs and retry delays (a fake clock in unit tests). */
  clock?: () => number;
  /** How often expiry and due retries are checked, in real ms (default 20). */
  sweepIntervalMs?: number;
  history?: Omit<HistoryOptions, 'clock'>;
}

const refKey = (q: QueueRef): string => `${keyOf(q.channel)}|${keyOf(q.subscription)}`;

export class MemoryBuffer implements MessageBuffer {
  readonly kind = 'memory' as const;
  readonly #clock: () => number;
  readonly #sweepMs: number;
  readonly #channels = new Map<string, ChannelConfig>();
  readonly #queues = new Map<string, MemoryQueue>(); // outlive removeChannel unless deleteQueues
  readonly #history: HistoryIndex;
  #connected = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #dirty = new Set<MemoryQueue>(); // to dispatch after the current call stack

  constructor(opts: MemoryBufferOptions = {}) {
    this.#clock = opts.clock ?? Date.now;
    this.#sweepMs = opts.sweepIntervalMs ?? 20;
    this.#history = new HistoryIndex({ ...opts.history, clock: this.#clock });
  }

  async connect(): Promise<void> {
    if (this.#connected) return;
    this.#connected = true;
    this.#timer = setInterval(() => this.#tick(), this.#sweepMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#connected = false;
    clearInterval(this.#timer);
    for (const q of this.#queues.values()) for (const c of [...q.consumers]) q.cancelConsumer(c);
  }

  isConnected(): boolean { return this.#connected; }

  blocked(): string | undefined { return undefined; }

  async declareChannel(channel: ChannelConfig): Promise<void> {
    this.#channels.set(keyOf(channel), structuredClone(channel));
    for (const sub of channel.subscriptions) {
      const ref: QueueRef = { channel: { namespace: channel.namespace, name: channel.name }, subscription: { namespace: sub.namespace, name: sub.name } };
      const limits: QueueLimits = { maxQueueSize: channel.maxQueueSize, ttlMs: channel.ttlSeconds * 1000, deliveryLimit: channel.deliveryLimit, tiers: retryTiers(sub.retryScheduleMs) };
      const q = this.#queues.get(refKey(ref));
      if (q) q.limits = limits;
      else this.#queues.set(refKey(ref), new MemoryQueue(ref, limits, { clock: this.#clock, record: (e) => this.recordEvent(e), schedule: (queue) => this.#schedule(queue) }));
    }
  }

  async removeChannel(channel: ObjectKey, opts: { deleteQueues: boolean }): Promise<void> {
    this.#channels.delete(keyOf(channel));
    for (const [key, q] of this.#queues) {
      if (keyOf(q.ref.channel) !== keyOf(channel)) continue;
      for (const c of [...q.consumers]) q.cancelConsumer(c);
      if (opts.deleteQueues) this.#queues.delete(key);
    }
  }

  async publish(message: StoredMessage, routes: ObjectKey[]): Promise<void> {
    if (!this.#connected) throw new BufferError('buffer_error', 'buffer is closed');
    if (!this.#channels.has(keyOf(message.channel))) throw new BufferError('buffer_error', `channel ${keyOf(message.channel)} is not declared`);
    const queues = routes.map((sub) => this.#queues.get(refKey({ channel: message.channel, subscription: sub })));
    const now = this.#clock();
    for (const [i, q] of queues.entries()) {
      if (!q) throw new BufferError('buffer_error', `no queue for subscription ${keyOf(routes[i])}`);
      q.expire(now); // what expired frees room, as on a broker
      if (q.isFull()) throw new BufferError('queue_full', `queue for subscription ${keyOf(routes[i])} is full (${q.limits.maxQueueSize})`);
    }
    for (const q of queues as MemoryQueue[]) { q.enqueue(message); this.#schedule(q); }
  }

  async consume(queue: QueueRef, prefetch: number, onDelivery: (d: Delivery) => void): Promise<Consumer> {
    if (!this.#connected) throw new BufferError('buffer_error', 'buffer is closed');
    const q = this.#queue(queue);
    const c = q.addConsumer(prefetch, onDelivery);
    this.#schedule(q);
    return { cancel: async () => { q.cancelConsumer(c); } };
  }

  async stats(queue: QueueRef): Promise<QueueStats> {
    const q = this.#queue(queue);
    q.sweep(this.#clock());
    const inflight = q.inflightCount;
    const oldest = q.oldestReceivedAt();
    return {
      messagesQueued: q.ready.length + inflight + q.delayed.length,
      messagesInFlight: inflight,
      // The whole queue lives in this process.
      messagesHeld: q.ready.length + inflight + q.delayed.length,
      deadLettered: q.dead.length,
      oldestMessageAgeSeconds: oldest === undefined ? 0 : Math.max(0, (this.#clock() - oldest) / 1000),
    };
  }

  async listDeadLetters(queue: QueueRef, opts: { limit: number; filter?: DeadLetterFilter }): Promise<DeadLetter[]> {
    const q = this.#queue(queue);
    q.sweep(this.#clock());
    return q.dead.filter((d) => matchesFilter(d, opts.filter)).slice(0, opts.limit);
  }

  async redriveDeadLetters(queue: QueueRef, filter: DeadLetterFilter): Promise<number> {
    const q = this.#queue(queue);
    const moved = this.#take(q, filter);
    for (const d of moved) {
      q.enqueue(d.message, 1);
      this.recordEvent({ id: d.id, at: this.#clock(), kind: 'redrive', subscription: q.subKey, state: 'pending', reason: 'redriven' });
    }
    this.#schedule(q);
    return moved.length;
  }

  async purgeDeadLetters(queue: QueueRef, filter: DeadLetterFilter): Promise<number> {
    return this.#take(this.#queue(queue), filter).length;
  }

  recordEvent(event: MessageEvent): void { this.#history.add(event); }

  async messageHistory(id: string): Promise<MessageHistory | undefined> { return this.#history.get(id); }

  async listMessages(query: MessageQuery): Promise<MessagePage> { return this.#history.list(query); }

  #take(q: MemoryQueue, filter: DeadLetterFilter): DeadLetter[] {
    q.sweep(this.#clock());
    const taken = q.dead.filter((d) => matchesFilter(d, filter));
    q.dead = q.dead.filter((d) => !taken.includes(d));
    return taken;
  }

  #queue(ref: QueueRef): MemoryQueue {
    const q = this.#queues.get(refKey(ref));
    if (!q) throw new BufferError('buffer_error', `no queue for ${keyOf(ref.channel)} subscription ${keyOf(ref.subscription)}`);
    return q;
  }

  /** Every sweepIntervalMs: expiry and due retries in every queue, then dispatch. */
  #tick(): void {
    const now = this.#clock();
    for (const q of this.#queues.values()) { q.sweep(now); q.dispatch(); }
  }

  /** Dispatch the queue after the current call stack, so a consumer never runs inside publish() or a settle. */
  #schedule(q: MemoryQueue): void {
    if (this.#dirty.size === 0) queueMicrotask(() => this.#dispatchDirty());
    this.#dirty.add(q);
  }

  #dispatchDirty(): void {
    const queues = [...this.#dirty];
    this.#dirty.clear();
    if (!this.#connected) return;
    const now = this.#clock();
    for (const q of queues) { q.expire(now); q.dispatch(); }
  }
}
