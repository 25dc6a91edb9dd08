// Per-address limiter for failed authentication (bad stream/admin tokens, bad webhook signatures): after
// `maxFailures` failures inside `windowMs`, the address is refused with 429 until its window ends. Only
// failures count, so a busy provider that signs correctly is never slowed down. Memory is bounded.
import type { IncomingMessage } from 'node:http';

export interface FailureLimiterOptions { maxFailures?: number; windowMs?: number; maxTracked?: number; clock?: () => number }

interface Entry { count: number; windowStart: number }

export class FailureLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: FailureLimiterOptions = {}) {
    this.#max = opts.maxFailures ?? 20;
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#maxTracked = opts.maxTracked ?? 100_000;
    this.#clock = opts.clock ?? Date.now;
  }

  /** True when the address has used up its failures for the current window. */
  blocked(address: string): boolean {
    const e = this.#entries.get(address);
    if (!e) return false;
    if (this.#clock() - e.windowStart >= this.#windowMs) { this.#entries.delete(address); return false; }
    return e.count >= this.#max;
  }

  fail(address: string): void {
    const now = this.#clock();
    const e = this.#entries.get(address);
    if (e && now - e.windowStart < this.#windowMs) { e.count++; return; }
    if (e) this.#entries.delete(address);
    if (this.#entries.size >= this.#maxTracked) this.#evict(now);
    this.#entries.set(address, { count: 1, windowStart: now });
  }

  /** Drops expired windows; if none expired, the oldest tenth (Map order = oldest window first). */
  #evict(now: number): void {
    for (const [k, e] of this.#entries) if (now - e.windowStart >= this.#windowMs) this.#entries.delete(k);
    if (this.#entries.size < this.#maxTracked) return;
    let n = Math.ceil(this.#maxTracked / 10);
    for (const k of this.#entries.keys()) { if (n-- <= 0) break; this.#entries.delete(k); }
  }
}

/** The caller's address: the socket peer, or the first X-Forwarded-For hop when behind a trusted proxy. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? '';
}
