// startConnector: one stream and delivery pipeline per subscription in a ConnectorConfig. `update()`
// applies a new config (from a re-read ConfigMap): unchanged subscriptions keep running, changed ones
// restart gracefully, removed ones drain and stop.
import type { Registry } from 'prom-client';
import type { ConnectorConfig, ConnectorSubscription } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { systemClock, type Clock } from './clock.ts';
import type { DeliveryReport } from './delivery/deliver.ts';
import { connectorMetrics } from './metrics.ts';
import { connectorReadiness } from './readiness.ts';
import { SubscriptionRunner, type StreamTuning } from './subscription.ts';

export interface ConnectorOptions {
  config: ConnectorConfig;
  /** Base directory for the relative token and signing-secret paths in the config. */
  secretsDir: string;
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** Allow loopback destinations (default true: dev, tests, sidecars). */
  allowLoopback?: boolean;
  /** Called after every settled delivery (hookbridge listen prints these). */
  onDelivery?: (r: DeliveryReport) => void;
  tuning?: StreamTuning;
}

export interface RunningConnector {
  update(config: ConnectorConfig): Promise<void>;
  close(deadlineMs?: number): Promise<void>;
  /** Why it is not ready (none = ready): readiness.ts. */
  readiness(): string[];
}

const fingerprint = (c: ConnectorConfig, s: ConnectorSubscription): string =>
  JSON.stringify([c.receiverUrl, c.transport, c.allowedDestinations ?? null, s]);

export async function startConnector(opts: ConnectorOptions): Promise<RunningConnector> {
  const metrics = connectorMetrics(opts.registry);
  const clock = opts.clock ?? systemClock;
  const running = new Map<string, { fp: string; runner: SubscriptionRunner }>();
  let closed = false;

  const launch = async (c: ConnectorConfig, s: ConnectorSubscription) => {
    const runner = new SubscriptionRunner({
      sub: s, receiverUrl: c.receiverUrl, transport: c.transport, allowedDestinations: c.allowedDestinations,
      secretsDir: opts.secretsDir, logger: opts.logger, metrics, clock, allowLoopback: opts.allowLoopback,
      onReport: opts.onDelivery, tuning: opts.tuning,
    });
    running.set(runner.key, { fp: fingerprint(c, s), runner });
    await runner.start();
  };

  const apply = async (c: ConnectorConfig) => {
    const wanted = new Map(c.subscriptions.map((s) => [`${s.namespace}/${s.name}`, s]));
    const stops: Promise<void>[] = [];
    for (const [key, r] of running) {
      const next = wanted.get(key);
      if (!next || fingerprint(c, next) !== r.fp) {
        running.delete(key);
        opts.logger.info({ subscription: key }, next ? 'subscription changed: restarting it' : 'subscription removed: stopping it');
        stops.push(r.runner.stop());
      }
    }
    await Promise.all(stops);
    for (const [key, s] of wanted) if (!running.has(key)) await launch(c, s);
  };

  await apply(opts.config);
  opts.logger.info({ receiver: opts.config.receiverUrl, subscriptions: running.size }, 'connector started');

  return {
    async update(config) {
      if (closed) return;
      await apply(config);
    },
    readiness: () => connectorReadiness([...running.values()].map((r) => r.runner.streamPhase), closed),
    async close(deadlineMs = 10_000) {
      if (closed) return;
      closed = true;
      const all = [...running.values()].map((r) => r.runner.stop(deadlineMs));
      running.clear();
      await Promise.all(all);
      opts.logger.info('connector stopped');
    },
  };
}
