// One connector stream for one subscription, whatever the transport (WebSocket or SSE): a buffer consumer
// with prefetch = window, the deliveries it holds until ack/nack, one timer for every ack deadline, and the
// heartbeat that drops a silent peer. Settling goes straight to the Delivery; the buffer records attempts.
// The consumer reads ahead of the window (ConsumeOptions.readAhead), so the next message is handed over the
// moment an ack frees a slot; the ack deadline starts when a message is pushed here, not when it was read.
import { randomUUID } from 'node:crypto';
import { CloseCode, MISSED_HEARTBEATS, type ClientFrame, type HelloFrame } from '../../shared/protocol.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Consumer, Delivery, MessageBuffer } from '../buffer/types.ts';
import { tokenStillValid, type ChannelSnapshot, type RuntimeChannel, type RuntimeSubscription } from '../channels.ts';
import { deadReasonLabel, type ReceiverMetrics } from '../metrics.ts';
import { Backpressure, hardLimitBytes } from './backpressure.ts';
import { cleanReason, cleanResult, isGone, messageFrameJson } from './frames.ts';

export interface StreamTransport {
  readonly kind: 'websocket' | 'sse';
  /** Sends one server frame; `type` is the frame's type (SSE event name), `json` its serialisation. */
  send(type: string, json: string): void;
  /** Ends the stream from our side with a close code (4001… or 1001). */
  close(code: number, reason: string): void;
  /** Transport-level liveness probe (WebSocket ping); optional. */
  probe?(): void;
  /** Bytes sent but not yet taken by the peer (queued in this process). */
  buffered(): number;
  /** Drops the connection at once: a peer that does not read would never see a close frame. */
  destroy(): void;
}

export interface SessionDeps {
  buffer: MessageBuffer;
  snapshot(): ChannelSnapshot;
  clock(): number;
  logger: Logger;
  metrics: ReceiverMetrics;
  heartbeatMs: number;
  /** Told about every ack (the admin API shows the last delivery per subscription). */
  onDelivered?(subscriptionKey: string, at: number): void;
  /** Told about every dead nack for a 410 Gone (the admin API shows it per subscription). */
  onDestinationGone?(subscriptionKey: string, at: number): void;
  /** Messages the buffer reads ahead beyond the window (default readAheadFor(window); 0 = off). */
  readAhead?: number;
}

/**
 * Read-ahead covers the broker's credit round trip (ack -> Raft commit -> next delivery), which grows with
 * broker load: twice the window, at most 64. Kept small on purpose: when a stream ends, what it read
 * ahead goes back to the queue with a delivery count one higher (RabbitMQ 3.x counts every return).
 */
export const MAX_READ_AHEAD = 64;
export function readAheadFor(window: number, configured?: number): number {
  if (configured !== undefined && Number.isFinite(configured) && configured >= 0) return Math.floor(configured);
  return Math.min(2 * window, MAX_READ_AHEAD);
}

interface Held { d: Delivery; deadline: number }

export class StreamSession {
  readonly id = randomUUID();
  readonly tokenHash: string;
  readonly window: number;
  readonly transport: StreamTransport;
  channel: RuntimeChannel;
  subscription: RuntimeSubscription;
  /** Called once when the session ends (the registry forgets it). */
  onEnd: (s: StreamSession) => void = () => {};
  readonly #deps: SessionDeps;
  readonly #held = new Map<string, Held>();
  #consumer: Consumer | undefined;
  #lastSeen = performance.now();
  #heartbeat: NodeJS.Timeout | undefined;
  #ackTimer: NodeJS.Timeout | undefined;
  #ackTimerAt = Infinity;
  #closed = false;
  readonly #out: Backpressure;
  readonly #labels: { namespace: string; channel: string; subscription: string };
  readonly #e2e: { observe(v: number): void };

  constructor(init: { channel: RuntimeChannel; subscription: RuntimeSubscription; tokenHash: string; window: number; transport: StreamTransport }, deps: SessionDeps) {
    this.channel = init.channel;
    this.subscription = init.subscription;
    this.tokenHash = init.tokenHash;
    this.window = init.window;
    this.transport = init.transport;
    this.#deps = deps;
    this.#out = new Backpressure(init.transport, MISSED_HEARTBEATS);
    this.#labels = { namespace: init.channel.ref.namespace, channel: init.channel.ref.name, subscription: init.subscription.label };
    this.#e2e = deps.metrics.endToEndDuration.labels(this.#labels);
  }

  get closed(): boolean { return this.#closed; }
  get heldCount(): number { return this.#held.size; }
  holds(id: string): boolean { return this.#held.has(id); }

  async start(): Promise<void> {
    const hello: HelloFrame = {
      type: 'hello', session: this.id, channel: this.channel.key, subscription: this.subscription.key,
      window: this.window, heartbeatMs: this.#deps.heartbeatMs, ackTimeoutMs: this.#ackTimeoutMs(),
    };
    this.#push('hello', JSON.stringify(hello), false);
    this.#heartbeat = setInterval(() => this.#beat(), this.#deps.heartbeatMs);
    this.#heartbeat.unref();
    try {
      const readAhead = readAheadFor(this.window, this.#deps.readAhead);
      const consumer = await this.#deps.buffer.consume(this.subscription.queue, this.window, (d) => this.#deliver(d), { readAhead });
      if (this.#closed) await consumer.cancel();
      else this.#consumer = consumer;
    } catch (err) {
      this.#deps.logger.warn({ subscription: this.subscription.key, err: (err as Error).message }, 'stream could not consume');
      this.close(1011, 'buffer unavailable');
    }
  }

  /** Any sign of life from the peer. */
  touch(): void { this.#lastSeen = performance.now(); }

  /** Handles one client frame; false when it names a delivery this session does not hold. */
  handle(frame: ClientFrame): boolean {
    this.touch();
    switch (frame.type) {
      case 'ping': this.#push('pong', `{"type":"pong","t":${JSON.stringify(frame.t)}}`, true); return true;
      case 'pong': return true;
      case 'ack': {
        const h = this.#take(frame.id);
        if (!h) return false;
        this.#settled(h.d.ack(cleanResult(frame.result)));
        const now = this.#deps.clock();
        this.#e2e.observe(Math.max(0, now - h.d.message.receivedAt) / 1000);
        this.#deps.onDelivered?.(this.subscription.key, now);
        return true;
      }
      case 'nack': {
        const h = this.#take(frame.id);
        if (!h) return false;
        if (frame.action === 'retry') {
          const delay = Number.isFinite(frame.delayMs) && (frame.delayMs as number) > 0 ? (frame.delayMs as number) : 0;
          // attempted: false — parked without counting against maxAttempts (circuit open, connector shutdown).
          const why = cleanReason(frame.reason);
          const opts = frame.attempted === false ? { attempted: false, ...(why !== undefined && { reason: why }) } : undefined;
          this.#settled(h.d.retry(delay, cleanResult(frame.result), opts));
        } else {
          const reason = cleanReason(frame.reason) ?? 'rejected by connector';
          const result = cleanResult(frame.result);
          this.#settled(h.d.dead(reason, result));
          this.#deps.metrics.deadLetteredTotal.inc({ ...this.#labels, reason: deadReasonLabel(reason) });
          if (isGone(reason, result)) this.#deps.onDestinationGone?.(this.subscription.key, this.#deps.clock());
        }
        return true;
      }
    }
  }

  /** Re-check after a config change or on each heartbeat: closes when the channel, binding or token went away. */
  revalidate(snapshot: ChannelSnapshot, now: number): void {
    if (this.#closed) return;
    const ch = snapshot.channels.get(this.channel.key);
    if (!ch) { this.close(CloseCode.ChannelNotFound, 'channel removed'); return; }
    const sub = ch.byKey.get(this.subscription.key);
    if (!sub) { this.close(CloseCode.NotBound, 'subscription unbound'); return; }
    if (!tokenStillValid(sub.route.tokens, this.tokenHash, now)) { this.close(CloseCode.InvalidToken, 'token revoked'); return; }
    this.channel = ch;
    this.subscription = sub;
  }

  /**
   * Ends the stream. The consumer is cancelled first (the buffer returns what it had handed out, so the
   * broker cannot hand a released message straight back to this dying consumer), then every held delivery
   * is released, which only records the redelivery: releasing a delivery the buffer already returned is a no-op.
   */
  close(code: number, reason: string, opts: { transportClosed?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#ackTimer);
    const held = [...this.#held.values()];
    this.#held.clear();
    const consumer = this.#consumer;
    this.#consumer = undefined;
    void (async () => {
      await consumer?.cancel().catch((err: Error) => this.#deps.logger.debug({ err: err.message }, 'consumer cancel failed'));
      for (const h of held) this.#release(h.d, 'disconnect');
    })();
    if (!opts.transportClosed) this.transport.close(code, reason);
    this.#deps.metrics.streamDisconnects.inc(this.#labels);
    this.#deps.logger.info({ session: this.id, channel: this.channel.key, subscription: this.subscription.key, code, reason }, 'stream closed');
    this.onEnd(this);
  }

  #deliver(d: Delivery): void {
    if (this.#closed) return; // the consumer is being cancelled; the buffer returns this delivery
    const m = d.message;
    const deadline = performance.now() + this.#ackTimeoutMs();
    this.#held.set(m.id, { d, deadline });
    if (deadline < this.#ackTimerAt) this.#armAckTimer(deadline);
    this.#push('message', messageFrameJson(d, this.subscription.key), false);
    this.#deps.buffer.recordEvent({ id: m.id, at: this.#deps.clock(), kind: 'state', subscription: this.subscription.key, attempt: d.attempt, state: 'in_flight' });
  }

  /**
   * Sends one frame. Control frames (pong, ping) are skipped while the peer has a backlog; a backlog past
   * what the window allows an honest peer means it does not read, and it is dropped.
   */
  #push(type: string, json: string, control: boolean): void {
    if (this.#closed || (control && !this.#out.controlAllowed())) return;
    this.transport.send(type, json);
    this.#out.sent(json.length);
    if (this.#out.overHardLimit(hardLimitBytes(this.window, this.channel.config.maxPayloadBytes))) this.#dropSlowReader('backlog over the limit');
  }

  #dropSlowReader(why: string): void {
    this.#deps.logger.warn({ session: this.id, subscription: this.subscription.key, why, skippedControlFrames: this.#out.skipped }, 'stream peer is not reading; dropped');
    this.close(1008, `slow reader: ${why}`, { transportClosed: true });
    this.transport.destroy();
  }

  #take(id: string): Held | undefined {
    const h = this.#held.get(id);
    if (h) this.#held.delete(id);
    return h;
  }

  #settled(p: Promise<void>): void {
    p.catch((err: Error) => this.#deps.logger.warn({ subscription: this.subscription.key, err: err.message }, 'settling a delivery failed'));
  }

  /** Back to the queue (deliveryCount+1); past the channel's deliveryLimit the buffer dead-letters it. */
  #release(d: Delivery, reason: 'ack_timeout' | 'disconnect'): void {
    this.#settled(d.release());
    this.#deps.metrics.redeliveries.inc({ ...this.#labels, reason });
    if (d.deliveryCount + 1 > this.channel.config.deliveryLimit) {
      this.#deps.metrics.deadLetteredTotal.inc({ ...this.#labels, reason: 'delivery_limit' });
    } else {
      this.#deps.buffer.recordEvent({ id: d.message.id, at: this.#deps.clock(), kind: 'state', subscription: this.subscription.key, attempt: d.attempt, state: 'pending', reason });
    }
  }

  #ackTimeoutMs(): number { return this.channel.config.ackTimeoutSeconds * 1000; }

  #armAckTimer(at: number): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimerAt = at;
    this.#ackTimer = setTimeout(() => this.#expire(), Math.max(0, at - performance.now()));
    this.#ackTimer.unref();
  }

  #expire(): void {
    this.#ackTimerAt = Infinity;
    if (this.#closed) return;
    const now = performance.now();
    let next = Infinity;
    for (const [id, h] of this.#held) {
      if (h.deadline <= now) { this.#held.delete(id); this.#release(h.d, 'ack_timeout'); }
      else if (h.deadline < next) next = h.deadline;
    }
    if (next !== Infinity) this.#armAckTimer(next);
  }

  #beat(): void {
    if (this.#out.beat()) { this.#dropSlowReader(`nothing read for ${MISSED_HEARTBEATS} heartbeats`); return; }
    if (performance.now() - this.#lastSeen > MISSED_HEARTBEATS * this.#deps.heartbeatMs) {
      this.close(CloseCode.HeartbeatTimeout, 'heartbeat timeout');
      return;
    }
    this.revalidate(this.#deps.snapshot(), this.#deps.clock());
    if (this.#closed) return;
    this.#push('ping', `{"type":"ping","t":${this.#deps.clock()}}`, true);
    this.transport.probe?.();
  }
}
