// Failed-authentication limiting (SPEC §3). Failures are counted per purpose — an ingest signature per
// channel, a stream token, the admin token — and per client address (client-address.ts). The limiter
// only ever judges a request whose credential already FAILED: `judge` is called after the check, so a
// valid token or signature is never refused, whatever other requests from the same address did. A
// client past `maxFailures` failures of one purpose inside `windowMs` gets 429 instead of 401 for its
// further failures (and its connection is closed) until the window ends. Memory is bounded.

export const FAILURE_PURPOSES = ['ingest_signature', 'stream_token', 'admin_token'] as const;
export type FailurePurpose = (typeof FAILURE_PURPOSES)[number];

export interface FailureLimiterOptions { maxFailures?: number; windowMs?: number; maxTracked?: number; clock?: () => number }

/** What to answer a failed credential: `rejected` (401 and counted) or `limited` (429). */
export type FailureVerdict = 'rejected' | 'limited';

interface Entry { count: number; windowStart: number }

export class FailureLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();
  /** Failures answered 429 since start, per purpose (for metrics and the abuse suite's figures). */
  readonly limited: Record<FailurePurpose, number> = { ingest_signature: 0, stream_token: 0, admin_token: 0 };
  /** Told about every verdict (metrics). */
  onVerdict: (purpose: FailurePurpose, verdict: FailureVerdict) => void = () => {};

  constructor(opts: FailureLimiterOptions = {}) {
    this.#max = opts.maxFailures ?? 20;
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#maxTracked = opts.maxTracked ?? 100_000;
    this.#clock = opts.clock ?? Date.now;
  }

  /**
   * A credential of `purpose` failed for `address` (`scope`: the channel for ingest signatures). Counts the
   * failure and says whether to answer it as an ordinary 401 or, past the limit, 429.
   */
  judge(purpose: FailurePurpose, scope: string, address: string): FailureVerdict {
    const key = `${purpose}\u0000${scope}\u0000${address}`;
    const now = this.#clock();
    let e = this.#entries.get(key);
    if (e && now - e.windowStart >= this.#windowMs) { this.#entries.delete(key); e = undefined; }
    if (!e) {
      if (this.#entries.size >= this.#maxTracked) this.#evict(now);
      e = { count: 0, windowStart: now };
      this.#entries.set(key, e);
    }
    e.count++;
    const verdict: FailureVerdict = e.count > this.#max ? 'limited' : 'rejected';
    if (verdict === 'limited') this.limited[purpose]++;
    this.onVerdict(purpose, verdict);
    return verdict;
  }

  get tracked(): number { return this.#entries.size; }

  /** Drops expired windows; if none expired, the oldest tenth (Map order = oldest window first). */
  #evict(now: number): void {
    for (const [k, e] of this.#entries) if (now - e.windowStart >= this.#windowMs) this.#entries.delete(k);
    if (this.#entries.size < this.#maxTracked) return;
    let n = Math.ceil(this.#maxTracked / 10);
    for (const k of this.#entries.keys()) { if (n-- <= 0) break; this.#entries.delete(k); }
  }
}
