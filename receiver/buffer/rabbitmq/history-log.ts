// Durable message history: events are appended, in compressed batches, to the stream `hb.events`
// (x-max-age = retention) and tailed back into a bounded in-memory index. recordEvent never waits: the
// batch goes out every flushMs (or at batchSize) with a confirm, and is kept for the next try if the
// broker is away. Broker-side outcomes (TTL expiry, delivery limit) arrive as dead-letter copies in
// `hb.dead-letter-events`; they are turned into events and acked once those events are confirmed.
// Batches are pipelined (a few publishes in flight: the index folds events by time, so the stream order
// does not matter); past MAX_PENDING unsent events the oldest tenth is dropped at once, with one warning
// per WARN_EVERY_MS — per event, a splice of the whole backlog and a log line cost more than the event.
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../../../shared/logger.ts';
import { HistoryIndex, type HistoryOptions } from '../history.ts';
import type { MessageEvent } from '../types.ts';
import { latestDeath } from './codec.ts';
import type { Publisher } from './publisher.ts';
import { DEAD_LETTER_EVENTS, EVENTS_STREAM } from './topology.ts';

const deflate = promisify(zlib.deflateRaw);
const WRITER = 'hb-writer';
const MARKER = 'hb-marker';
const MAX_PENDING = 100_000;
const BATCHES_IN_FLIGHT = 4;
const WARN_EVERY_MS = 10_000;

export interface HistoryLogOptions extends HistoryOptions {
  logger: Logger;
  publisher: Publisher;
  clock: () => number;
  flushMs?: number;
  batchSize?: number;
  /** How long attach() waits for the tail to reach the end of the stream. */
  catchUpMs?: number;
}

export class HistoryLog {
  readonly index: HistoryIndex;
  readonly #o: HistoryLogOptions;
  readonly #writer = randomUUID();
  readonly #retentionMs: number;
  #pending: MessageEvent[] = [];
  /** Pending events the index has replaced (an `in_flight` state followed by its outcome): left out of the stream. */
  readonly #superseded = new WeakSet<MessageEvent>();
  #acks: { ch: Channel; msg: ConsumeMessage }[] = []; // dead-letter copies whose events are pending
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #tail: Channel | undefined;
  #offset: number | undefined;
  #markers = new Map<string, () => void>();
  #dropped = 0;
  #warnedAt = -Infinity;
  /** close() was called: a failed flush is not tried again (its retry timer would keep the process alive). */
  #closed = false;

  constructor(o: HistoryLogOptions) {
    this.#o = o;
    this.#retentionMs = o.retentionMs ?? 7 * 24 * 3600_000;
    this.index = new HistoryIndex(o);
  }

  record(e: MessageEvent): void {
    const replaced = this.index.add(e);
    if (replaced) this.#superseded.add(replaced); // not written to the stream if it is still pending
    this.#pending.push(e);
    if (this.#pending.length > MAX_PENDING) {
      this.#dropped += this.#pending.splice(0, this.#pending.length - MAX_PENDING + MAX_PENDING / 10).length;
      const now = performance.now();
      if (now - this.#warnedAt >= WARN_EVERY_MS) {
        this.#o.logger.warn({ dropped: this.#dropped }, 'message history backlog full; oldest unsent events dropped');
        this.#warnedAt = now;
        this.#dropped = 0;
      }
    }
    if (this.#pending.length >= (this.#o.batchSize ?? 500)) void this.flush();
    else if (!this.#closed) this.#timer ??= setTimeout(() => { this.#timer = undefined; void this.flush(); }, this.#o.flushMs ?? 100);
  }

  /**
   * Sends what is pending (one flush at a time); on failure keeps it and tries again shortly. The slot is
   * freed in a `.finally` (always a later microtask), never inside the body: a body that ends without an
   * await (nothing pending, broker away) would free it before `??=` stores the settled promise, and every
   * later flush would return that promise and send nothing, for the life of the buffer.
   */
  flush(): Promise<void> {
    this.#flushing ??= this.#send().finally(() => { this.#flushing = undefined; });
    return this.#flushing;
  }

  async #send(): Promise<void> {
    const acks = this.#acks.splice(0);
    try {
      const inFlight = new Set<Promise<void>>();
      let failed: Error | undefined;
      while (failed === undefined && (this.#pending.length > 0 || inFlight.size > 0)) {
        while (failed === undefined && this.#pending.length > 0 && inFlight.size < BATCHES_IN_FLIGHT) {
          if (!this.#o.publisher.ready) { failed = new Error('not connected'); break; }
          const batch = this.#pending.splice(0, this.#o.batchSize ?? 500);
          const sent: Promise<void> = deflate(Buffer.from(JSON.stringify(batch.filter((e) => !this.#superseded.has(e)))))
            .then((body) => this.#publish(body, {}))
            .catch((err: Error) => { this.#pending.unshift(...batch); failed ??= err; })
            .finally(() => inFlight.delete(sent));
          inFlight.add(sent);
        }
        if (inFlight.size > 0) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failed) throw failed;
      for (const a of acks) { try { a.ch.ack(a.msg); } catch { /* channel gone: the copy comes back, its event is idempotent */ } }
    } catch (err) {
      this.#acks.unshift(...acks);
      if (this.#closed) {
        this.#o.logger.warn({ err: (err as Error).message, events: this.#pending.length }, 'message history not written before close; those events are only in this process');
        return;
      }
      this.#o.logger.warn({ err: (err as Error).message, events: this.#pending.length }, 'message history write failed; will retry');
      this.#timer ??= setTimeout(() => { this.#timer = undefined; void this.flush(); }, 1_000);
    }
  }

  /** Tails the stream from where it left off (first time: the start of the retention window), then catches up. */
  async attach(model: ChannelModel): Promise<void> {
    this.#closed = false;
    const tail = await model.createChannel();
    tail.on('error', (err: Error) => this.#o.logger.warn({ err: err.message }, 'rabbitmq history channel error'));
    // Small: every batch this receiver writes comes back here too (skipped unread), and a tail that fell
    // behind under load catches up with at most this many entries (up to 500 events each) in memory.
    await tail.prefetch(64);
    const from = this.#offset === undefined
      ? { '!': 'timestamp', value: Math.floor((this.#o.clock() - this.#retentionMs) / 1000) }
      : this.#offset + 1;
    this.#tail = tail;
    await tail.consume(EVENTS_STREAM, (msg) => { if (msg && this.#tail === tail) this.#apply(tail, msg); }, { noAck: false, arguments: { 'x-stream-offset': from } });

    const dead = await model.createChannel();
    dead.on('error', (err: Error) => this.#o.logger.warn({ err: err.message }, 'rabbitmq dead-letter events channel error'));
    await dead.prefetch(500);
    await dead.consume(DEAD_LETTER_EVENTS, (msg) => { if (msg) this.#deadLettered(dead, msg); }, { noAck: false });

    await this.#catchUp();
    if (this.#pending.length > 0) void this.flush();
  }

  detach(): void {
    this.#tail = undefined;
    this.#acks = []; // their channel is gone; the broker redelivers them
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Appends a marker and waits (bounded) until the tail reads it: the index then holds the whole stream. */
  async #catchUp(): Promise<void> {
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all([new Promise<void>((resolve) => this.#markers.set(id, resolve)), this.#publish(Buffer.alloc(0), { [MARKER]: id })]),
        new Promise((resolve) => { timer = setTimeout(resolve, this.#o.catchUpMs ?? 10_000); }),
      ]);
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'message history catch-up incomplete');
    } finally {
      clearTimeout(timer);
      this.#markers.delete(id);
    }
  }

  #publish(body: Buffer, headers: Record<string, unknown>): Promise<void> {
    return this.#o.publisher.publish('', EVENTS_STREAM, body, { persistent: true, contentType: 'application/json', contentEncoding: 'deflate', headers: { [WRITER]: this.#writer, ...headers }, mandatory: true });
  }

  /** Synchronous, so entries apply in stream order and the catch-up marker comes after all before it. */
  #apply(ch: Channel, msg: ConsumeMessage): void {
    const h = msg.properties.headers ?? {};
    this.#offset = Number(h['x-stream-offset']);
    ch.ack(msg);
    const marker = h[MARKER];
    if (marker !== undefined) { this.#markers.get(String(marker))?.(); return; }
    if (String(h[WRITER]) === this.#writer) return; // applied when recorded
    try {
      const events = JSON.parse(zlib.inflateRawSync(msg.content).toString()) as MessageEvent[];
      for (const e of events) this.index.add(e);
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'unreadable message history entry skipped');
    }
  }

  /** A broker dead-lettering: one state event for the subscription (the routing key is "ns/name"). */
  #deadLettered(ch: Channel, msg: ConsumeMessage): void {
    const death = latestDeath(msg.properties);
    if (!death || msg.properties.messageId === undefined) { ch.ack(msg); return; }
    this.record({
      // x-death time has 1 s precision: the end of that second keeps it after the events that led to it.
      id: String(msg.properties.messageId), at: death.at ? death.at + 999 : this.#o.clock(), kind: 'state', subscription: msg.fields.routingKey,
      state: death.reason === 'expired' ? 'expired' : 'dead_lettered', reason: death.reason,
    });
    this.#acks.push({ ch, msg });
  }
}
