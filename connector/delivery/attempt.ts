// One HTTP attempt to a destination. One undici Pool per destination origin, kept alive between
// attempts; a hard deadline per attempt (headers and body); redirects are never followed (undici only
// follows them with the redirect interceptor, which we do not install) — a 3xx comes back as a status.
// With a `lookup` (DestinationGuard.connectLookup) every new connection resolves and checks its address
// at connect time.
import type { LookupFunction } from 'node:net';
import { Pool } from 'undici';

export interface AttemptRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
  /** Aborts the attempt (graceful shutdown past its deadline). */
  signal?: AbortSignal;
}

export interface AttemptResponse {
  status?: number;
  retryAfter?: string;
  /** Network error, timeout or abort, when there is no status. */
  error?: string;
  latencyMs: number;
}

export class HttpSender {
  private readonly pools = new Map<string, Pool>();
  private readonly connections: number;
  private readonly lookup: LookupFunction | undefined;
  private closed = false;

  constructor(opts: { connections: number; lookup?: LookupFunction }) {
    this.connections = Math.max(1, opts.connections);
    this.lookup = opts.lookup;
  }

  private pool(origin: string, timeoutMs: number): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connections: this.connections,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 120_000,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        connect: { timeout: timeoutMs, ...(this.lookup && { lookup: this.lookup }) },
      });
      this.pools.set(origin, p);
    }
    return p;
  }

  async send(req: AttemptRequest): Promise<AttemptResponse> {
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 1000) / 1000;
    if (this.closed) return { error: 'connector shutting down', latencyMs: 0 };
    const u = new URL(req.url);
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    try {
      const res = await this.pool(u.origin, req.timeoutMs).request({
        method: 'POST',
        path: `${u.pathname}${u.search}`,
        headers: req.headers,
        body: req.body,
        signal,
      });
      const ra = res.headers['retry-after'];
      // Drain (and discard) the body so the connection goes back to the pool.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
      return { status: res.statusCode, ...(ra !== undefined ? { retryAfter: Array.isArray(ra) ? ra[0] : ra } : {}), latencyMs: latency() };
    } catch (err) {
      const e = err as Error & { code?: string };
      let error: string;
      if (timeout.aborted || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
        error = `timeout after ${req.timeoutMs}ms`;
      } else if (req.signal?.aborted) {
        error = 'aborted: connector shutting down';
      } else {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        error = `network error: ${e.code ?? cause?.code ?? e.name}${cause?.message || e.message ? ` (${cause?.message ?? e.message})` : ''}`;
      }
      return { error, latencyMs: latency() };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}
