// Dead-letter list/redrive/purge on a quorum DLQ. RabbitMQ has no "browse", so an operation takes
// messages with basic.get (unacknowledged) on a channel of its own, settles the chosen ones (purge: ack;
// redrive: republish to the main queue with a confirm, then ack) and closes the channel, which puts
// the rest back. DLQs have no delivery limit, so the returns cost nothing. One operation per DLQ at a
// time in this process; the scan is bounded (scanLimit messages) so a huge DLQ cannot exhaust memory.
import type { ChannelModel, GetMessage } from 'amqplib';
import { queueName } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import { matchesFilter } from '../filter.ts';
import { BufferError, type DeadLetter, type DeadLetterFilter, type MessageEvent, type QueueRef } from '../types.ts';
import { decodeDeadLetter, reencodeOptions } from './codec.ts';
import type { Publisher } from './publisher.ts';
import { deadLetterQueueName, routingKey } from './topology.ts';

export interface DeadLetterDeps {
  logger: Logger;
  publisher: Publisher;
  clock: () => number;
  record(e: MessageEvent): void;
  model(): ChannelModel | undefined;
  scanLimit: number;
}

type Op = { kind: 'list'; limit: number } | { kind: 'redrive' } | { kind: 'purge' };

export class DeadLetters {
  readonly #deps: DeadLetterDeps;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(deps: DeadLetterDeps) { this.#deps = deps; }

  list(queue: QueueRef, limit: number, filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    return this.#serial(queue, async () => (await this.#scan(queue, filter, { kind: 'list', limit })).letters);
  }

  redrive(queue: QueueRef, filter: DeadLetterFilter): Promise<number> {
    return this.#serial(queue, async () => (await this.#scan(queue, filter, { kind: 'redrive' })).settled);
  }

  purge(queue: QueueRef, filter: DeadLetterFilter): Promise<number> {
    return this.#serial(queue, async () => (await this.#scan(queue, filter, { kind: 'purge' })).settled);
  }

  #serial<T>(queue: QueueRef, fn: () => Promise<T>): Promise<T> {
    const key = deadLetterQueueName(queue.channel, queue.subscription);
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.#locks.set(key, next);
    void next.finally(() => { if (this.#locks.get(key) === next) this.#locks.delete(key); }).catch(() => {});
    return next;
  }

  async #scan(queue: QueueRef, filter: DeadLetterFilter | undefined, op: Op): Promise<{ letters: DeadLetter[]; settled: number }> {
    const model = this.#deps.model();
    if (!model) throw new BufferError('buffer_error', 'not connected to RabbitMQ');
    const dlq = deadLetterQueueName(queue.channel, queue.subscription);
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.#deps.logger.warn({ err: err.message, queue: dlq }, 'rabbitmq dead-letter channel error'));
    const letters: DeadLetter[] = [];
    const matched: GetMessage[] = [];
    let settled = 0;
    let taken = 0;
    let before = 0;
    try {
      before = (await ch.checkQueue(dlq)).messageCount;
      for (let i = 0; i < this.#deps.scanLimit; i++) {
        const msg = await ch.get(dlq, { noAck: false });
        if (msg === false) break;
        taken++;
        const dl = decodeDeadLetter(msg.content, msg.properties, queue);
        if (!matchesFilter(dl, filter)) continue;
        letters.push(dl);
        matched.push(msg);
        if (op.kind === 'list' && letters.length >= op.limit) break;
      }
      if (op.kind === 'purge') {
        for (const msg of matched) ch.ack(msg);
        settled = matched.length;
      } else if (op.kind === 'redrive') {
        settled = await this.#redrive(queue, ch, matched);
      }
    } catch (err) {
      throw err instanceof BufferError ? err : new BufferError('buffer_error', (err as Error).message);
    } finally {
      await ch.close().catch(() => {});
    }
    if (taken > settled) await this.#settle(model, dlq, Math.min(before, before - settled));
    return { letters, settled };
  }

  /**
   * The messages a closed channel hands back reach the quorum queue's counters a moment later; wait
   * (bounded) until the DLQ shows them again, so stats() right after a list or purge are exact.
   */
  async #settle(model: ChannelModel, dlq: string, expected: number): Promise<void> {
    const ch = await model.createChannel().catch(() => undefined);
    if (!ch) return;
    ch.on('error', () => {});
    try {
      const deadline = Date.now() + 2_000;
      while (Date.now() < deadline && (await ch.checkQueue(dlq)).messageCount < expected) await new Promise((r) => setTimeout(r, 10));
    } catch { /* best effort */ } finally {
      await ch.close().catch(() => {});
    }
  }

  /** Republishes concurrently (confirms pipelined), acks only what the main queue confirmed. */
  async #redrive(queue: QueueRef, ch: import('amqplib').Channel, matched: GetMessage[]): Promise<number> {
    const main = queueName(queue.channel, queue.subscription);
    const results = await Promise.allSettled(matched.map((msg) =>
      this.#deps.publisher.publish('', main, msg.content, { ...reencodeOptions(msg.properties, { attempt: 1 }), mandatory: true })));
    let n = 0;
    for (const [i, r] of results.entries()) {
      const msg = matched[i];
      if (r.status !== 'fulfilled') {
        this.#deps.logger.warn({ id: msg.properties.messageId, queue: main, err: (r.reason as Error).message }, 'redrive failed; left in the dead-letter queue');
        continue;
      }
      ch.ack(msg);
      n++;
      this.#deps.record({ id: String(msg.properties.messageId), at: this.#deps.clock(), kind: 'redrive', subscription: routingKey(queue.subscription), state: 'pending', reason: 'redriven' });
    }
    return n;
  }
}
