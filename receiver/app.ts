// createApp(deps): the receiver as an express app plus a WebSocket upgrade handler, built from injected
// collaborators (buffer, config store, clock, logger, metrics registry). No listen here: server.ts does that.
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/logger.ts';
import { DEFAULT_HEARTBEAT_MS } from '../shared/protocol.ts';
import { ADMIN_PREFIX, adminRouter } from './admin/index.ts';
import type { MessageBuffer } from './buffer/types.ts';
import type { ConfigStore } from './config/store.ts';
import { sendError } from './errors.ts';
import { healthRoutes, type ConfigSourceStatus } from './health.ts';
import { ingestHandler, webhookPath } from './ingest/handler.ts';
import { createReceiverMetrics, type QueueSample } from './metrics.ts';
import { TrustedProxies } from './client-address.ts';
import { FailureLimiter, type FailureLimiterOptions } from './ratelimit.ts';
import { ackHandler } from './stream/ack.ts';
import { SessionRegistry } from './stream/registry.ts';
import { sseHandler } from './stream/sse.ts';
import { createUpgradeHandler, type WebSocketDeps } from './stream/websocket.ts';

export interface AppDeps {
  buffer: MessageBuffer;
  config: ConfigStore;
  logger: Logger;
  registry: Registry;
  /** Epoch-ms clock for timestamps, token expiry and signature tolerance (a fake one in tests). */
  clock?: () => number;
  /** Bearer token for /admin; without one the admin API answers 404. */
  adminToken?: string;
  heartbeatMs?: number;
  /** CIDRs of the proxies in front of the receiver: from these peers the client is the rightmost untrusted X-Forwarded-For hop. */
  trustedProxies?: readonly string[];
  limiter?: FailureLimiterOptions;
  /** Extra /readyz checks, e.g. the Kubernetes configuration never listed. */
  readinessChecks?: () => string[];
  /** The configuration source's state for /health and hookbridge_config_source_up (absent: always followed). */
  configSource?: ConfigSourceStatus;
  /** Messages each stream reads from the buffer ahead of its window (default: 2 x window, at most 64). */
  streamReadAhead?: number;
}

export interface ReceiverApp {
  /** The HTTP request listener: POST /webhook/{ns}/{channel} straight to ingest, everything else to `app`. */
  handle: RequestListener;
  /** The express app for every other route. */
  app: Express;
  /** Hand `upgrade` events of the HTTP server here. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  sessions: SessionRegistry;
  /** Close every stream (1001), releasing what they hold. */
  closeStreams(): void;
}

export function createApp(deps: AppDeps): ReceiverApp {
  const clock = deps.clock ?? Date.now;
  const trusted = new TrustedProxies(deps.trustedProxies ?? []);
  const snapshot = () => deps.config.snapshot;
  const sessions = new SessionRegistry();
  const limiter = new FailureLimiter({ ...deps.limiter, clock: deps.limiter?.clock ?? clock });
  const metrics = createReceiverMetrics(deps.registry, {
    bufferConnected: () => deps.buffer.isConnected(),
    configSourceUp: () => deps.configSource?.following() ?? true,
    bufferBlocked: () => deps.buffer.blocked() !== undefined,
    sampleQueues: () => sampleQueues(deps, sessions),
  });
  limiter.onVerdict = (purpose, verdict) => metrics.authFailures.inc({ purpose, outcome: verdict });
  deps.config.onChange((s) => sessions.revalidate(s, clock()));

  const streamDeps: WebSocketDeps = {
    buffer: deps.buffer, snapshot, clock, logger: deps.logger, metrics, limiter, registry: sessions, trusted,
    heartbeatMs: deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    ...(deps.streamReadAhead !== undefined && { readAhead: deps.streamReadAhead }),
    onDelivered: (sub, at) => sessions.delivered(sub, at),
    onDestinationGone: (sub, at) => sessions.destinationGone(sub, at),
  };
  const upgrade = createUpgradeHandler(streamDeps);

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', (addr: string) => trusted.has(addr));
  const ingest = ingestHandler({ snapshot, buffer: deps.buffer, clock, logger: deps.logger, metrics, limiter, trusted });
  app.post('/webhook/:ns/:channel', (req, res) => ingest(req, res, req.params.ns as string, req.params.channel as string));
  app.get('/connect/stream/:ns/:channel/sse', sseHandler(streamDeps));
  app.post('/connect/ack/:ns/:channel', ackHandler(streamDeps));
  for (const [path, handler] of Object.entries(healthRoutes({ buffer: deps.buffer, config: deps.config, registry: deps.registry, readinessChecks: deps.readinessChecks ?? (() => []), configSource: deps.configSource }))) {
    app.get(path, handler);
  }
  app.use(ADMIN_PREFIX, adminRouter({ snapshot, buffer: deps.buffer, sessions, adminToken: deps.adminToken, limiter, trusted }));
  app.use((_req: Request, res: Response) => { sendError(res, 'not_found'); });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status === 413) sendError(res, 'payload_too_large');
    else if (status !== undefined && status >= 400 && status < 500) sendError(res, 'bad_request');
    else {
      deps.logger.error({ err: (err as Error).message }, 'unhandled request error');
      sendError(res, 'internal_error');
    }
  });

  // The ingest hot path skips express (its router and request/response decoration cost about as much
  // CPU as the rest of ingest); unusual URLs (bad escapes, extra segments) still go through express.
  const handle: RequestListener = (req, res) => {
    const path = req.method === 'POST' ? webhookPath(req.url) : undefined;
    if (!path) { app(req, res); return; }
    ingest(req, res, path.ns, path.channel).catch((err: unknown) => {
      deps.logger.error({ err: (err as Error).message }, 'unhandled request error');
      sendError(res, 'internal_error');
    });
  };

  return {
    handle,
    app,
    handleUpgrade: (req, socket, head) => upgrade.handle(req, socket, head),
    sessions,
    closeStreams: () => { sessions.closeAll(1001, 'receiver shutting down'); upgrade.close(); },
  };
}

async function sampleQueues(deps: AppDeps, sessions: SessionRegistry): Promise<QueueSample[]> {
  const out: QueueSample[] = [];
  const jobs: Promise<void>[] = [];
  for (const ch of deps.config.snapshot.channels.values()) {
    for (const sub of ch.subscriptions) {
      const sample: QueueSample = { namespace: ch.ref.namespace, channel: ch.ref.name, subscription: sub.label, maxQueueSize: ch.config.maxQueueSize, connected: sessions.count(sub.key) };
      out.push(sample);
      if (deps.buffer.isConnected()) {
        jobs.push(deps.buffer.stats(sub.queue).then((s) => { sample.stats = s; }, () => {}));
      }
    }
  }
  await Promise.all(jobs);
  return out;
}
