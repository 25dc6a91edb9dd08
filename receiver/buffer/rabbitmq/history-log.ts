// Durable message history: events are appended, in compressed batches, to the stream `hb.events`
// (x-max-age = retention) and tailed back into a bounded in-memory index. recordEvent never waits: the
// batch goes out every flushMs (or at batchSize) with a confirm, and is kept for the next try if the
// broker is away. The channels' dead-letter exchanges also feed the stream, so broker-side outcomes
// (TTL expiry, delivery limit) reach the history without anyone watching the DLQs.
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../../../shared/logger.ts';
import { HistoryIndex, type HistoryOptions } from '../history.ts';
import type { MessageEvent } from '../types.ts';
import { latestDeath } from './codec.ts';
import type { Publisher } from './publisher.ts';
import { EVENTS_STREAM } from './topology.ts';

const deflate = promisify(zlib.deflateRaw);
const WRITER = 'hb-writer';
const MAX_PENDING = 100_000;

export interface HistoryLogOptions extends HistoryOptions { logger: Logger; publisher: Publisher; clock: () => number; flushMs?: number; batchSize?: number }

export class HistoryLog {
  readonly index: HistoryIndex;
  readonly #o: HistoryLogOptions;
  readonly #writer = randomUUID();
  #pending: MessageEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #ch: Channel | undefined;
  #offset: number | undefined;
  readonly #retentionMs: number;

  constructor(o: HistoryLogOptions) {
    this.#o = o;
    this.#retentionMs = o.retentionMs ?? 7 * 24 * 3600_000;
    this.index = new HistoryIndex(o);
  }

  record(e: MessageEvent): void {
    this.index.add(e);
    this.#pending.push(e);
    if (this.#pending.length > MAX_PENDING) {
      const dropped = this.#pending.splice(0, this.#pending.length - MAX_PENDING).length;
      this.#o.logger.warn({ dropped }, 'message history backlog full; oldest unsent events dropped');
    }
    if (this.#pending.length >= (this.#o.batchSize ?? 500)) void this.flush();
    else this.#timer ??= setTimeout(() => { this.#timer = undefined; void this.flush(); }, this.#o.flushMs ?? 100);
  }

  /** Sends what is pending (one batch in flight at a time); on failure keeps it for the next flush. */
  flush(): Promise<void> {
    this.#flushing ??= (async () => {
      try {
        while (this.#pending.length > 0 && this.#o.publisher.ready) {
          const batch = this.#pending.splice(0, this.#o.batchSize ?? 500);
          try {
            const body = await deflate(Buffer.from(JSON.stringify(batch)));
            await this.#o.publisher.publish('', EVENTS_STREAM, body, { persistent: true, contentType: 'application/json', contentEncoding: 'deflate', headers: { [WRITER]: this.#writer }, mandatory: true });
          } catch (err) {
            this.#pending.unshift(...batch);
            this.#o.logger.warn({ err: (err as Error).message, events: batch.length }, 'message history write failed; will retry');
            break;
          }
        }
      } finally { this.#flushing = undefined; }
    })();
    return this.#flushing;
  }

  /** Tails the stream from where it left off (first time: the start of the retention window). */
  async attach(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.#o.logger.warn({ err: err.message }, 'rabbitmq history channel error'));
    await ch.prefetch(1000);
    const from = this.#offset === undefined
      ? { '!': 'timestamp', value: Math.floor((this.#o.clock() - this.#retentionMs) / 1000) }
      : this.#offset + 1;
    this.#ch = ch;
    await ch.consume(EVENTS_STREAM, (msg) => { if (msg && this.#ch === ch) void this.#apply(ch, msg); }, { noAck: false, arguments: { 'x-stream-offset': from } });
    if (this.#pending.length > 0) void this.flush();
  }

  detach(): void { this.#ch = undefined; }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #apply(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const h = msg.properties.headers ?? {};
    this.#offset = Number(h['x-stream-offset']);
    ch.ack(msg);
    try {
      if (h[WRITER] !== undefined) {
        if (String(h[WRITER]) === this.#writer) return; // applied when recorded
        const events = JSON.parse((await promisify(zlib.inflateRaw)(msg.content)).toString()) as MessageEvent[];
        for (const e of events) this.index.add(e);
      } else {
        const death = latestDeath(msg.properties);
        if (!death || msg.properties.messageId === undefined) return;
        this.index.add({
          id: String(msg.properties.messageId), at: death.at, kind: 'state', subscription: msg.fields.routingKey,
          state: death.reason === 'expired' ? 'expired' : 'dead_lettered', reason: death.reason,
        });
      }
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'unreadable message history entry skipped');
    }
  }
}
