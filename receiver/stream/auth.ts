// Who may open a stream (SPEC §3, §5): the bearer token names exactly one subscription; it must be bound
// to the channel in the URL and under its maxConnections. Repeated failures from one client are limited.
import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelSnapshot, RuntimeChannel, RuntimeSubscription } from '../channels.ts';
import type { ReceiverMetrics, StreamOutcome } from '../metrics.ts';
import type { FailureLimiter } from '../ratelimit.ts';
import type { SessionRegistry } from './registry.ts';

export const DEFAULT_WINDOW = 10;
export const MAX_WINDOW = 1000;

export type StreamAuth =
  | { ok: true; channel: RuntimeChannel; subscription: RuntimeSubscription; tokenHash: string }
  | { ok: false; error: 'rate_limited' | Exclude<StreamOutcome, 'accepted'> };

export interface StreamAuthDeps {
  snapshot(): ChannelSnapshot;
  clock(): number;
  limiter: FailureLimiter;
  registry: SessionRegistry;
  metrics: ReceiverMetrics;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const v = headers.authorization;
  if (!v) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(v);
  return m ? m[1] : undefined;
}

/**
 * The token's subscription on this channel, without the connection limit (the SSE ack endpoint uses this).
 * A valid token is never refused for other requests' failures: only a failed one is judged by the limiter.
 */
export function identifyRequest(deps: StreamAuthDeps, headers: IncomingHttpHeaders, ns: string, name: string, address: () => string): StreamAuth {
  const token = bearerToken(headers);
  const r = token === undefined ? ({ ok: false, error: 'invalid_token' } as const) : deps.snapshot().identify({ namespace: ns, name }, token, deps.clock());
  if (!r.ok && r.error === 'invalid_token' && deps.limiter.judge('stream_token', '', address()) === 'limited') return { ok: false, error: 'rate_limited' };
  return r;
}

/** identifyRequest plus maxConnections; counts the attempt in hookbridge_stream_connections_total. */
export function authorizeStream(deps: StreamAuthDeps, headers: IncomingHttpHeaders, ns: string, name: string, address: () => string): StreamAuth {
  const id = identifyRequest(deps, headers, ns, name, address);
  const r: StreamAuth = id.ok && deps.registry.count(id.subscription.key) >= id.channel.config.maxConnections
    ? { ok: false, error: 'max_connections' }
    : id;
  if (r.ok || r.error !== 'rate_limited') {
    const ch = id.ok ? id.channel : deps.snapshot().get(ns, name);
    deps.metrics.streamConnections.inc({
      namespace: ch ? ch.ref.namespace : '_unknown',
      channel: ch ? ch.ref.name : '_unknown',
      subscription: id.ok ? id.subscription.label : '',
      outcome: r.ok ? 'accepted' : r.error,
    });
  }
  return r;
}

/** A request target as a URL, or undefined when it is not one (`//[/`, `http://%%/`): never throws. */
export function requestTarget(target: string | undefined): URL | undefined {
  return URL.parse(target ?? '/', 'http://receiver') ?? undefined;
}

export function windowFrom(url: URL | undefined): number {
  const raw = url?.searchParams.get('window') ?? null;
  const n = raw === null ? DEFAULT_WINDOW : Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < 1) return DEFAULT_WINDOW;
  return Math.min(n, MAX_WINDOW);
}
