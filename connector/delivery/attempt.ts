// One HTTP attempt to a destination. One undici Pool per destination origin, kept alive between
// attempts; a hard deadline per attempt (headers and body); redirects are never followed (undici only
// follows them with the redirect interceptor, which we do not install) — a 3xx comes back as a status.
// With a `lookup` (DestinationGuard.connectLookup) every new connection resolves and checks its address
// at connect time.
//
// Hot path: one AbortController per attempt; deadlines are checked by one sweep timer while attempts are
// in flight, and a shutdown signal is hooked once, instead of AbortSignal.timeout + AbortSignal.any per
// attempt (a timer and a composite signal each, ~13 us); parsed URLs are memoised (target.ts).
import type { LookupFunction } from 'node:net';
import { Pool } from 'undici';
import { targetOf } from './target.ts';

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

interface Flight { ctl: AbortController; deadline: number; timedOut: boolean; shutdown?: AbortSignal }

/** How often deadlines are checked while attempts are in flight (an attempt ends at most this late). */
const SWEEP_MS = 25;

export class HttpSender {
  readonly #pools = new Map<string, Pool>();
  readonly #connections: number;
  readonly #lookup: LookupFunction | undefined;
  readonly #flights = new Set<Flight>();
  readonly #hooked = new WeakSet<AbortSignal>();
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: { connections: number; lookup?: LookupFunction }) {
    this.#connections = Math.max(1, opts.connections);
    this.#lookup = opts.lookup;
  }

  #pool(origin: string, timeoutMs: number): Pool {
    let p = this.#pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connections: this.#connections,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 120_000,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        connect: { timeout: timeoutMs, ...(this.#lookup && { lookup: this.#lookup }) },
      });
      this.#pools.set(origin, p);
    }
    return p;
  }

  async send(req: AttemptRequest): Promise<AttemptResponse> {
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 1000) / 1000;
    if (this.#closed) return { error: 'connector shutting down', latencyMs: 0 };
    const u = targetOf(req.url);
    if (!u) return { error: 'invalid destination URL', latencyMs: 0 };
    const flight: Flight = { ctl: new AbortController(), deadline: started + req.timeoutMs, timedOut: false, shutdown: req.signal };
    this.#track(flight);
    try {
      const res = await this.#pool(u.origin, req.timeoutMs).request({
        method: 'POST',
        path: u.path,
        headers: req.headers,
        body: req.body,
        signal: flight.ctl.signal,
      });
      const ra = res.headers['retry-after'];
      // Drain (and discard) the body so the connection goes back to the pool.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
      return { status: res.statusCode, ...(ra !== undefined ? { retryAfter: Array.isArray(ra) ? ra[0] : ra } : {}), latencyMs: latency() };
    } catch (err) {
      const e = err as Error & { code?: string };
      let error: string;
      if (flight.timedOut || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
        error = `timeout after ${req.timeoutMs}ms`;
      } else if (req.signal?.aborted) {
        error = 'aborted: connector shutting down';
      } else {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        error = `network error: ${e.code ?? cause?.code ?? e.name}${cause?.message || e.message ? ` (${cause?.message ?? e.message})` : ''}`;
      }
      return { error, latencyMs: latency() };
    } finally {
      this.#untrack(flight);
    }
  }

  #track(f: Flight): void {
    this.#flights.add(f);
    const s = f.shutdown;
    if (s) {
      if (s.aborted) f.ctl.abort();
      else if (!this.#hooked.has(s)) {
        this.#hooked.add(s);
        s.addEventListener('abort', () => { for (const x of this.#flights) if (x.shutdown === s) x.ctl.abort(); }, { once: true });
      }
    }
    this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_MS).unref();
  }

  #untrack(f: Flight): void {
    this.#flights.delete(f);
    if (this.#flights.size === 0 && this.#sweeper) { clearInterval(this.#sweeper); this.#sweeper = undefined; }
  }

  #sweep(): void {
    const now = performance.now();
    for (const f of this.#flights) if (!f.timedOut && now >= f.deadline) { f.timedOut = true; f.ctl.abort(); }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}
