// A de-duplicating, rate-limited work queue in the manner of client-go's: a key waits at most once
// (adding it again while queued is a no-op), is never handed to two workers at once (re-added while
// processing → queued again after done()), and failures back off per key exponentially, with an
// overall token bucket on top so a storm of failures cannot hammer the apiserver. The per-key delay is
// deterministic (no jitter): keys fail for their own reasons, not in lockstep, and tests can name it.
import { backoffDelay, type BackoffOptions } from '../../shared/process/backoff.ts';
import { TokenBucket } from '../../shared/process/token-bucket.ts';

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); t.unref(); return t; },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall limit on rate-limited re-adds (tokens per second, bucket size). */
  qps?: number;
  burst?: number;
  timers?: Timers;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, { at: number; handle: unknown }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #backoff: BackoffOptions;
  readonly #bucket: TokenBucket;
  readonly #timers: Timers;
  #closed = false;

  constructor(opts: QueueOptions = {}) {
    this.#backoff = { baseMs: opts.baseDelayMs ?? 50, capMs: opts.maxDelayMs ?? 300_000, jitter: 'none' };
    this.#timers = opts.timers ?? realTimers;
    this.#bucket = new TokenBucket(opts.qps ?? 10, this.#timers, opts.burst ?? 100);
  }

  /** Keys waiting to be processed. */
  get length(): number { return this.#queue.length; }
  get shuttingDown(): boolean { return this.#closed; }

  add(key: string): void {
    if (this.#closed || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) { this.#dirty.delete(key); this.#processing.add(key); waiter(key); return; }
    this.#queue.push(key);
  }

  /** Adds the key after `ms`; an earlier pending add-after for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#closed) return;
    if (ms <= 0) { this.add(key); return; }
    const at = this.#timers.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.#timers.clearTimeout(existing.handle);
    const handle = this.#timers.setTimeout(() => { this.#delayed.delete(key); this.add(key); }, ms);
    this.#delayed.set(key, { at, handle });
  }

  /** Re-adds after this key's backoff (base·2^failures, capped) or the overall bucket's wait, whichever is longer. */
  addRateLimited(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const delay = Math.max(backoffDelay(n, this.#backoff), this.#bucket.reserve());
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the key's failure count (it succeeded). */
  forget(key: string): void { this.#failures.delete(key); }
  failuresOf(key: string): number { return this.#failures.get(key) ?? 0; }

  /** Next key to process, or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks processing finished; a key re-added meanwhile is queued again now. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) { this.#dirty.delete(key); this.add(key); }
  }

  shutdown(): void {
    this.#closed = true;
    for (const { handle } of this.#delayed.values()) this.#timers.clearTimeout(handle);
    this.#delayed.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}
