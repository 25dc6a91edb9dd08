// One subscription's queue in memory, with RabbitMQ quorum-queue semantics: FIFO ready list (returned
// messages go to the front), per-consumer prefetch, TTL expiry of ready messages at the head of the queue
// (as RabbitMQ does), delivery limit on release, delay tiers for retries (a delay longer than every tier is
// honoured by re-parking until its not-before time, as the RabbitMQ backend does) and a dead-letter list.
// Counts are kept as they change, so the full-queue check on publish costs the same whatever the backlog.
import type { AttemptResult } from '../../../shared/protocol.ts';
import { pickTier } from '../filter.ts';
import { notAttemptedReason, type DeadLetter, type Delivery, type MessageEvent, type QueueRef, type StoredMessage } from '../types.ts';

export interface Entry {
  message: StoredMessage; attempt: number; deliveryCount: number; enqueuedAt: number;
  /** Epoch ms before which a parked retry is not handed out (a delay longer than every tier). */
  notBefore?: number;
}

export interface QueueLimits { maxQueueSize: number; ttlMs: number; deliveryLimit: number; tiers: number[] }

interface ConsumerState { prefetch: number; inflight: Set<Entry>; onDelivery: (d: Delivery) => void; cancelled: boolean }

/** `schedule(q)`: dispatch this queue after the current call stack. */
export interface QueueHost { clock(): number; record(e: MessageEvent): void; schedule(q: MemoryQueue): void }

export class MemoryQueue {
  readonly ref: QueueRef;
  readonly subKey: string;
  limits: QueueLimits;
  ready: Entry[] = [];
  delayed: { entry: Entry; dueAt: number }[] = [];
  dead: DeadLetter[] = [];
  readonly consumers = new Set<ConsumerState>();
  readonly #host: QueueHost;
  #inflight = 0; // sum of the consumers' inflight sets
  #nextDue = Infinity; // earliest dueAt in `delayed`

  constructor(ref: QueueRef, limits: QueueLimits, host: QueueHost) {
    this.ref = ref;
    this.subKey = `${ref.subscription.namespace}/${ref.subscription.name}`;
    this.limits = limits;
    this.#host = host;
  }

  get inflightCount(): number { return this.#inflight; }

  /** Like a quorum queue, unacknowledged messages count towards the limit. */
  isFull(): boolean { return this.ready.length + this.inflightCount >= this.limits.maxQueueSize; }

  enqueue(message: StoredMessage, attempt = 1): void {
    this.ready.push({ message, attempt, deliveryCount: 0, enqueuedAt: this.#host.clock() });
  }

  /**
   * Expires ready messages past their TTL from the head, as RabbitMQ does: the ready list is in enqueue
   * order (returned messages go back to the front, where they came from), so this touches only what expires.
   */
  expire(now: number): void {
    while (this.ready.length > 0 && now >= this.ready[0].enqueuedAt + this.limits.ttlMs) {
      const e = this.ready.shift() as Entry;
      this.#deadLetter(e, 'expired', undefined, e.attempt - 1, 'expired');
    }
  }

  /** Expires ready messages past their TTL and moves due retries back. */
  sweep(now: number): void {
    this.expire(now);
    if (now < this.#nextDue) return;
    const due = this.delayed.filter((d) => d.dueAt <= now);
    this.delayed = this.delayed.filter((d) => d.dueAt > now);
    this.#nextDue = this.delayed.reduce((min, d) => Math.min(min, d.dueAt), Infinity);
    for (const d of due) {
      // Back from its tier too early: park it again for the rest (same attempt, nothing recorded).
      if (d.entry.notBefore !== undefined && d.entry.notBefore > now) this.#park(d.entry, d.entry.notBefore - now, now);
      else this.ready.push({ ...d.entry, enqueuedAt: now });
    }
  }

  addConsumer(prefetch: number, onDelivery: (d: Delivery) => void): ConsumerState {
    const c: ConsumerState = { prefetch: Math.max(1, prefetch), inflight: new Set(), onDelivery, cancelled: false };
    this.consumers.add(c);
    return c;
  }

  /** Stops deliveries to the consumer and returns what it still holds (as a disconnect would). */
  cancelConsumer(c: ConsumerState): void {
    if (c.cancelled) return;
    c.cancelled = true;
    this.consumers.delete(c);
    for (const e of [...c.inflight].reverse()) this.#release(c, e);
    this.#host.schedule(this);
  }

  /** Hands ready messages to consumers with room in their prefetch window, round robin. */
  dispatch(): void {
    let progressed = true;
    while (progressed && this.ready.length > 0) {
      progressed = false;
      for (const c of this.consumers) {
        if (c.inflight.size >= c.prefetch || this.ready.length === 0) continue;
        const entry = this.ready.shift() as Entry;
        c.inflight.add(entry);
        this.#inflight++;
        progressed = true;
        c.onDelivery(this.#delivery(c, entry));
      }
    }
  }

  #delivery(c: ConsumerState, entry: Entry): Delivery {
    const settle = (fn: () => void): Promise<void> => {
      if (c.inflight.delete(entry)) { this.#inflight--; fn(); this.#host.schedule(this); }
      return Promise.resolve();
    };
    const attemptEvent = (state: MessageEvent['state'], result?: AttemptResult, reason?: string): void =>
      this.#host.record({ id: entry.message.id, at: this.#host.clock(), kind: 'attempt', subscription: this.subKey,
        attempt: entry.attempt, state, ...(result && { result }), ...(reason !== undefined && { reason }) });
    return {
      message: entry.message,
      queue: this.ref,
      attempt: entry.attempt,
      deliveryCount: entry.deliveryCount,
      ack: (result) => settle(() => attemptEvent('delivered', result)),
      retry: (delayMs, result, opts) => settle(() => {
        const tried = opts?.attempted !== false;
        const now = this.#host.clock();
        this.#park({ ...entry, attempt: tried ? entry.attempt + 1 : entry.attempt, deliveryCount: 0, notBefore: now + delayMs }, delayMs, now);
        if (tried) attemptEvent('retrying', result);
        else this.#host.record({ id: entry.message.id, at: this.#host.clock(), kind: 'state', subscription: this.subKey, attempt: entry.attempt, state: 'retrying', reason: notAttemptedReason(opts) });
      }),
      dead: (reason, result) => settle(() => {
        this.#deadLetter(entry, reason, result, entry.attempt);
        attemptEvent('dead_lettered', result, reason);
      }),
      release: () => {
        this.#release(c, entry);
        this.#host.schedule(this);
        return Promise.resolve();
      },
    };
  }

  /** Into the smallest delay tier >= delayMs (else the largest); notBefore is kept only while a tier falls short. */
  #park(entry: Entry, delayMs: number, now: number): void {
    const tier = pickTier(this.limits.tiers, delayMs);
    const { notBefore, ...rest } = entry;
    this.delayed.push({ entry: notBefore !== undefined && notBefore > now + tier ? entry : rest, dueAt: now + tier });
    this.#nextDue = Math.min(this.#nextDue, now + tier);
  }

  /** Back to the front of the queue (deliveryCount + 1), unless it was settled already. */
  #release(c: ConsumerState, entry: Entry): void {
    if (!c.inflight.delete(entry)) return;
    this.#inflight--;
    const returned = { ...entry, deliveryCount: entry.deliveryCount + 1 };
    if (returned.deliveryCount > this.limits.deliveryLimit) {
      this.#deadLetter(returned, 'delivery_limit', undefined, entry.attempt, 'dead_lettered');
    } else {
      this.ready.unshift(returned);
    }
  }

  #deadLetter(e: Entry, reason: string, lastResult: AttemptResult | undefined, attempts: number, state?: 'expired' | 'dead_lettered'): void {
    const at = this.#host.clock();
    this.dead.push({ id: e.message.id, queue: this.ref, reason, deadLetteredAt: at, attempts, ...(lastResult && { lastResult }), message: e.message });
    if (state) this.#host.record({ id: e.message.id, at, kind: 'state', subscription: this.subKey, state, reason });
  }

  oldestReceivedAt(): number | undefined {
    let oldest: number | undefined;
    const see = (e: Entry): void => { if (oldest === undefined || e.message.receivedAt < oldest) oldest = e.message.receivedAt; };
    this.ready.forEach(see);
    this.delayed.forEach((d) => see(d.entry));
    for (const c of this.consumers) c.inflight.forEach(see);
    return oldest;
  }
}
