// startReceiver: createApp on a real HTTP server (WebSocket upgrades on the same port). `hookbridge receiver`
// and `hookbridge dev` both call this. The caller owns the buffer: it is connected here if it is not yet,
// and left open by close() so the caller decides when it goes.
import type { ConfigSourceStatus } from './health.ts';
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { ReceiverConfig } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { createApp } from './app.ts';
import type { MessageBuffer } from './buffer/types.ts';
import { ConfigStore } from './config/store.ts';
import type { FailureLimiterOptions } from './ratelimit.ts';
import { listen } from '../shared/process/listen.ts';

export interface ReceiverOptions {
  buffer: MessageBuffer;
  port: number;
  host?: string;
  adminToken?: string;
  logger: Logger;
  registry: Registry;
  heartbeatMs?: number;
  /** CIDRs of trusted proxies (see client-address.ts). */
  trustedProxies?: readonly string[];
  clock?: () => number;
  limiter?: FailureLimiterOptions;
  readinessChecks?: () => string[];
  /** The configuration source's state (/health, hookbridge_config_source_up); absent: always followed. */
  configSource?: ConfigSourceStatus;
  /** Messages each stream reads from the buffer ahead of its window (default: 2 x window, at most 64). */
  streamReadAhead?: number;
  /** Wait for the buffer's first connection before listening (default true). With false the receiver
   * serves at once (probes answer, ingest is 503 buffer_error) while the buffer keeps connecting. */
  awaitBuffer?: boolean;
  /** How long close() waits for in-flight requests before cutting connections (default 10 s). */
  shutdownGraceMs?: number;
}

export interface RunningReceiver {
  url: string;
  port: number;
  applyConfig(cfg: ReceiverConfig): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(opts: ReceiverOptions): Promise<RunningReceiver> {
  if (!opts.buffer.isConnected()) {
    const connecting = opts.buffer.connect();
    if (opts.awaitBuffer ?? true) await connecting;
    else connecting.catch((err: Error) => opts.logger.warn({ err: err.message }, 'buffer not connected yet; still trying'));
  }
  const config = new ConfigStore({ buffer: opts.buffer, logger: opts.logger });
  const r = createApp({ ...opts, config });
  const server = http.createServer({ headersTimeout: 30_000, requestTimeout: 120_000 }, r.handle);
  server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts
  server.on('upgrade', r.handleUpgrade);
  server.on('clientError', (_err, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); else socket.destroy(); });
  const port = await listen(server, opts.port, opts.host);
  const url = `http://${urlHost(opts.host)}:${port}`;
  opts.logger.info({ url, buffer: opts.buffer.kind }, 'receiver listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= (async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    r.closeStreams();
    config.close();
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), opts.shutdownGraceMs ?? 10_000);
    await closed;
    clearTimeout(timer);
    opts.logger.info('receiver stopped');
  })());

  return { url, port, applyConfig: (cfg) => config.apply(cfg), close };
}

function urlHost(host: string | undefined): string {
  if (!host || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
