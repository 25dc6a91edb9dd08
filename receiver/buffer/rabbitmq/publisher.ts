// Publishing with confirms, pipelined: every publish goes out at once with its own confirm callback, so
// thousands can be in flight on one confirm channel. When the socket buffer is full (publish() returns
// false) later publishes wait for 'drain'. A publish resolves only on the broker's ack; a nack, a
// basic.return (mandatory, unroutable), a closed channel or a timeout reject it. A return is matched to its
// publish by message id, so a mandatory publish without one gets one: the broker acks what it returns
// (e.g. a stream right after a broker restart, before its writer is back), and that is not a write.
import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import type { Logger } from '../../../shared/logger.ts';

/** Well under the 10 s after which GitHub (and others) give up on a webhook delivery. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 5_000;

/** Where alarm probes go: the default exchange with no such queue, so the broker drops them. */
export const ALARM_PROBE_ROUTING_KEY = 'hookbridge.alarm-probe';
const EMPTY = Buffer.alloc(0);

export class PublishError extends Error {
  readonly kind: 'nack' | 'returned' | 'unavailable' | 'timeout';
  constructor(kind: PublishError['kind'], message: string) {
    super(message);
    this.kind = kind;
    this.name = 'PublishError';
  }
}

export class Publisher {
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #highWaterMark: number | undefined;
  #ch: ConfirmChannel | undefined;
  #drained: Promise<void> | undefined;
  #releaseDrain: (() => void) | undefined;
  /** message ids returned as unroutable; the ack for the same publish follows the return. */
  readonly #returned = new Set<string>();

  readonly #blocked: () => string | undefined;

  /**
   * highWaterMark: frames amqplib buffers per channel before publish() reports backpressure (its default 1024).
   * blocked: the broker's reason while it blocks the connection; publishes then fail at once instead of
   * waiting out the confirm timeout and perhaps being stored after they were reported failed.
   */
  constructor(opts: { logger: Logger; confirmTimeoutMs?: number; highWaterMark?: number; blocked?: () => string | undefined }) {
    this.#logger = opts.logger;
    this.#blocked = opts.blocked ?? (() => undefined);
    this.#timeoutMs = opts.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
    this.#highWaterMark = opts.highWaterMark;
  }

  get ready(): boolean { return this.#ch !== undefined; }

  /**
   * A fresh confirm channel on `model` takes over from the current one, which then closes (its unconfirmed
   * publishes fail as 'unavailable': not stored as far as anyone can tell). For a channel whose view of a
   * queue went stale: after a quorum queue's leader moved, RabbitMQ 3.10 was seen to nack every publish on a
   * channel that had published before, for minutes, while the same queue took publishes on a new channel.
   */
  async renew(model: ChannelModel): Promise<void> {
    const old = this.#ch;
    if (!old) return;
    await this.attach(model);
    await old.close().catch(() => {});
  }

  async attach(model: ChannelModel): Promise<void> {
    const ch = await model.createConfirmChannel(this.#highWaterMark ? { highWaterMark: this.#highWaterMark } : undefined);
    ch.on('error', (err: Error) => this.#logger.warn({ err: err.message }, 'rabbitmq publish channel error'));
    ch.on('close', () => { if (this.#ch === ch) this.detach(); });
    ch.on('drain', () => { if (this.#ch === ch) this.#drain(); });
    ch.on('return', (msg: Message) => { if (msg.properties.messageId) this.#returned.add(String(msg.properties.messageId)); });
    this.#ch = ch;
    this.#drain(); // publishes waiting for an earlier channel's buffer to drain go out on this empty one
  }

  /** The connection is gone: new publishes fail fast; amqplib fails the pending callbacks. */
  detach(): void {
    this.#ch = undefined;
    this.#drain();
  }

  async publish(exchange: string, routingKey: string, body: Buffer, options: Options.Publish): Promise<void> {
    while (this.#drained) await this.#drained;
    const ch = this.#ch;
    if (!ch) throw new PublishError('unavailable', 'not connected to RabbitMQ');
    const blocked = this.#blocked();
    if (blocked) throw new PublishError('unavailable', `RabbitMQ blocks publishing: ${blocked}`);
    const opts = options.mandatory && options.messageId === undefined ? { ...options, messageId: randomUUID() } : options;
    const id = opts.messageId;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PublishError('timeout', `no confirm from RabbitMQ within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      const done = (err: unknown): void => {
        clearTimeout(timer);
        const returned = id !== undefined && this.#returned.delete(id);
        if (err) reject(new PublishError(this.#ch === ch ? 'nack' : 'unavailable', this.#ch === ch ? 'RabbitMQ rejected the message' : 'connection to RabbitMQ lost before the confirm'));
        else if (returned) reject(new PublishError('returned', `unroutable: no queue bound for ${exchange} ${routingKey}`));
        else resolve();
      };
      let ok: boolean;
      try {
        ok = ch.publish(exchange, routingKey, body, opts, done);
      } catch (err) {
        clearTimeout(timer);
        reject(new PublishError('unavailable', (err as Error).message));
        return;
      }
      if (!ok && !this.#drained) this.#drained = new Promise((r) => { this.#releaseDrain = r; });
    });
  }

  /**
   * Publishes nothing anywhere (an unroutable, empty, transient message the broker drops). RabbitMQ only
   * tells a connection it is blocked when that connection publishes during an alarm, so this makes the
   * alarm known before a webhook is published into it and held there.
   */
  probe(): void {
    const ch = this.#ch;
    if (!ch || this.#drained) return;
    try { ch.publish('', ALARM_PROBE_ROUTING_KEY, EMPTY, { persistent: false }, () => {}); } catch { /* the channel is going; attach() starts over */ }
  }

  #drain(): void {
    const release = this.#releaseDrain;
    this.#drained = undefined;
    this.#releaseDrain = undefined;
    release?.();
  }
}
