// One subscription inside a connector: its stream (token file watched), its delivery pipeline, and the
// bookkeeping for graceful shutdown — stop taking messages, let in-flight deliveries finish up to a
// deadline, cut the rest short (they nack retry), then close the stream so anything not started goes
// straight back to the queue.
import type { ConnectorSubscription, Transport } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { MessageFrame } from '../shared/protocol.ts';
import type { Clock } from './clock.ts';
import { secretPath } from './config.ts';
import { HttpSender } from './delivery/attempt.ts';
import { Deliverer, type DeliveryReport } from './delivery/deliver.ts';
import { DestinationGuard } from './delivery/guard.ts';
import type { ConnectorMetrics } from './metrics.ts';
import { KeyedSerializer, orderingKey } from './ordering.ts';
import type { StreamPhase } from './readiness.ts';
import type { ReconnectBackoffOptions } from './stream/reconnect-delay.ts';
import { StreamClient, type Session } from './stream/client.ts';
import { dialSse } from './stream/sse.ts';
import { ackUrl, sseUrl, websocketUrl } from './stream/url.ts';
import { dialWebSocket } from './stream/websocket.ts';
import { WatchedFile } from './watched-file.ts';

/** Knobs tests turn down (production uses the defaults). */
export interface StreamTuning { backoff?: ReconnectBackoffOptions; stableMs?: number; connectTimeoutMs?: number; filePollMs?: number }

export interface RunnerOptions {
  sub: ConnectorSubscription;
  receiverUrl: string;
  transport: Transport;
  allowedDestinations?: string[];
  secretsDir: string;
  logger: Logger;
  metrics: ConnectorMetrics;
  clock: Clock;
  allowLoopback?: boolean;
  onReport?: (r: DeliveryReport) => void;
  tuning?: StreamTuning;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class SubscriptionRunner {
  readonly key: string;
  readonly #o: RunnerOptions;
  readonly #log: Logger;
  readonly #token: WatchedFile;
  readonly #secrets: WatchedFile[];
  readonly #sender: HttpSender;
  readonly #deliverer: Deliverer;
  readonly #client: StreamClient;
  readonly #serializer = new KeyedSerializer();
  readonly #inflight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #draining = false;
  #phase: StreamPhase = 'connecting';
  readonly #streamLabels: { namespace: string; channel: string; subscription: string };

  constructor(o: RunnerOptions) {
    this.#o = o;
    const { sub } = o;
    this.key = `${sub.namespace}/${sub.name}`;
    this.#log = o.logger.child({ subscription: this.key, channel: `${sub.channel.namespace}/${sub.channel.name}` });
    const pollMs = o.tuning?.filePollMs;
    this.#token = new WatchedFile(secretPath(o.secretsDir, sub.tokenFile), { pollMs, root: o.secretsDir });
    this.#secrets = sub.signing.secretFiles.map((f) => new WatchedFile(secretPath(o.secretsDir, f), { pollMs, root: o.secretsDir }));
    const guard = new DestinationGuard({ namespace: sub.namespace, allowed: o.allowedDestinations, allowLoopback: o.allowLoopback ?? true });
    // The guard checks before each attempt (cached) and again at every socket connect (no DNS rebinding).
    this.#sender = new HttpSender({ connections: sub.delivery.concurrency, lookup: guard.connectLookup() });
    this.#deliverer = new Deliverer({
      sub, sender: this.#sender, clock: o.clock, metrics: o.metrics, logger: this.#log,
      guard,
      signingSecrets: () => {
        const values = this.#secrets.map((s) => s.current()).filter((v): v is string => !!v);
        return this.#secrets.length > 0 && values.length === 0 ? undefined : values;
      },
    });
    this.#streamLabels = { namespace: sub.namespace, channel: sub.channel.name, subscription: sub.name };
    const window = sub.delivery.concurrency;
    this.#client = new StreamClient({
      url: o.transport === 'sse' ? sseUrl(o.receiverUrl, sub.channel, window) : websocketUrl(o.receiverUrl, sub.channel, window),
      ackUrl: ackUrl(o.receiverUrl, sub.channel),
      dial: o.transport === 'sse' ? dialSse : dialWebSocket,
      token: this.#token,
      logger: this.#log,
      backoff: o.tuning?.backoff,
      stableMs: o.tuning?.stableMs,
      connectTimeoutMs: o.tuning?.connectTimeoutMs,
      onReconnectAttempt: () => o.metrics.reconnects.inc(this.#streamLabels),
      events: {
        onMessage: (f, s) => this.#onMessage(f, s),
        onConnected: (s) => {
          this.#phase = 'connected';
          o.metrics.connected.set(this.#streamLabels, 1);
          if (s.hello.ackTimeoutMs > 0 && sub.delivery.timeoutMs >= s.hello.ackTimeoutMs) {
            this.#log.warn({ timeoutMs: sub.delivery.timeoutMs, ackTimeoutMs: s.hello.ackTimeoutMs }, 'delivery timeout is not shorter than the channel ack timeout: slow deliveries will be redelivered');
          }
        },
        onDisconnected: () => {
          this.#phase = 'reconnecting';
          o.metrics.connected.set(this.#streamLabels, 0);
        },
      },
    });
  }

  async start(): Promise<void> {
    for (const s of this.#secrets) {
      await s.read().catch((err: Error) => this.#log.error({ file: s.path, err: err.message }, 'signing secret unreadable: deliveries wait until it appears'));
      s.start();
    }
    this.#token.start();
    this.#o.metrics.connected.set(this.#streamLabels, 0);
    this.#client.start();
    this.#log.info({ destination: new URL(this.#o.sub.destination.url).origin, transport: this.#o.transport }, 'subscription started');
  }

  /** For the connector's readiness (readiness.ts). */
  get streamPhase(): StreamPhase { return this.#phase; }

  #onMessage(f: MessageFrame, session: Session): void {
    // Draining: leave it unsettled; the receiver puts it back in the queue when the stream closes.
    if (this.#draining) return;
    const key = this.#o.sub.delivery.ordering === 'perKey' ? orderingKey(f, this.#o.sub.delivery.keyFrom) : undefined;
    const p = this.#serializer
      .run(key, async () => {
        if (this.#draining && !this.#abort.signal.aborted && key !== undefined) return; // queued behind its key; not started
        const s = await this.#deliverer.deliver(f, { signal: this.#abort.signal, ackTimeoutMs: session.hello.ackTimeoutMs });
        if (s.frame && !session.send(s.frame)) this.#log.debug({ messageId: f.id }, 'stream gone before the settlement: the receiver requeued the message');
        this.#o.onReport?.(s.report);
      })
      .catch((err: Error) => this.#log.error({ messageId: f.id, err: err.message }, 'delivery crashed; the message will be redelivered'))
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** Graceful stop: in-flight deliveries get until `deadlineMs`, then are cut short and nacked (retry). */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.#draining = true;
    if (this.#inflight.size > 0) {
      this.#log.info({ inFlight: this.#inflight.size, deadlineMs }, 'finishing in-flight deliveries');
      await Promise.race([Promise.allSettled([...this.#inflight]), sleep(deadlineMs)]);
    }
    if (this.#inflight.size > 0) {
      this.#log.warn({ inFlight: this.#inflight.size }, 'shutdown deadline reached: handing the rest back (nack retry)');
      this.#abort.abort();
      await Promise.race([Promise.allSettled([...this.#inflight]), sleep(2000)]);
    }
    await this.#client.stop();
    this.#o.metrics.connected.set(this.#streamLabels, 0);
    this.#token.stop();
    for (const s of this.#secrets) s.stop();
    await this.#sender.close();
    this.#log.info('subscription stopped');
  }
}
