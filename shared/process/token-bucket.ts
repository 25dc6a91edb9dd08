// The one token bucket: the connector's `rateLimitPerSecond` and the operator work queue's overall limit
// on retries. `reserve()` always takes a token and answers how long the caller must wait before using it
// (0 = now); tokens may go negative, so concurrent callers queue up fairly at exactly the configured rate
// instead of polling, and the caller owns the timer (a fake clock tests it without one).

/** Anything with a millisecond `now()`: the connector's Clock, the work queue's Timers. */
export interface NowSource { now(): number }

export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: NowSource;

  /** `burst` defaults to one second's worth (at least 1). */
  constructor(ratePerSecond: number, clock: NowSource, burst = Math.max(1, ratePerSecond)) {
    if (!(ratePerSecond > 0)) throw new Error('rate must be positive');
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  reserve(): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#rate) * 1000);
  }

  /** Give back a reserved token that was not used (e.g. the delivery was cancelled). */
  refund(): void { this.#tokens = Math.min(this.#burst, this.#tokens + 1); }
}
