// Exponential backoff, the one implementation every retry loop in the product uses: the stream client's
// reconnects, the informers' restarts, the work queue's per-key retries, the AMQP reconnect and the
// receiver's configuration retries. Full jitter by default (AWS architecture blog, "Exponential Backoff
// And Jitter"): a fleet of connectors that lost the same receiver must not come back in lockstep.
export interface BackoffOptions {
  /** First ceiling, in ms (default 500). */
  baseMs?: number;
  /** Largest ceiling, in ms (default 30 s). */
  capMs?: number;
  /** Growth per failure (default 2). */
  factor?: number;
  /** 'full': uniform in [0, ceiling); 'none': the ceiling itself (deterministic, for queues and tests). */
  jitter?: 'full' | 'none';
}

const MAX_EXPONENT = 40;

/** The delay after `failures` earlier failures: min(cap, base·factor^failures), jittered. Pure. */
export function backoffDelay(failures: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = o.baseMs ?? 500;
  const cap = o.capMs ?? 30_000;
  const ceiling = Math.min(cap, base * (o.factor ?? 2) ** Math.min(Math.max(0, failures), MAX_EXPONENT));
  return (o.jitter ?? 'full') === 'none' ? ceiling : Math.floor(random() * ceiling);
}

/** One retry loop's state: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  #failures = 0;
  readonly #o: BackoffOptions;
  readonly #random: () => number;

  constructor(o: BackoffOptions = {}, random: () => number = Math.random) {
    this.#o = o;
    this.#random = random;
  }

  /**
   * The delay before the next try, and counts this failure. `capMs` lowers the ceiling for this call only
   * (a class of failure that is worth retrying sooner); `floorMs` is added on top (one that is worth
   * retrying later, such as a credential that has to be rotated first).
   */
  next(o: { capMs?: number; floorMs?: number } = {}): number {
    const cap = Math.min(o.capMs ?? Infinity, this.#o.capMs ?? 30_000);
    const delay = backoffDelay(this.#failures, { ...this.#o, capMs: cap }, this.#random);
    this.#failures = Math.min(this.#failures + 1, MAX_EXPONENT);
    return (o.floorMs ?? 0) + delay;
  }

  reset(): void { this.#failures = 0; }
  get failures(): number { return this.#failures; }
}
