// Token bucket for `rateLimitPerSecond`. `reserve()` always takes a token and answers how long the caller
// must wait before using it (0 = now); tokens may go negative, so concurrent callers queue up fairly
// at exactly the configured rate instead of polling.
import type { Clock } from '../clock.ts';

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly clock: Clock;

  /** `burst` defaults to one second's worth (at least 1). */
  constructor(ratePerSecond: number, clock: Clock, burst = Math.max(1, ratePerSecond)) {
    if (!(ratePerSecond > 0)) throw new Error('rate must be positive');
    this.rate = ratePerSecond;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now();
  }

  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }

  /** Give back a reserved token that was not used (e.g. the delivery was cancelled). */
  refund(): void { this.tokens = Math.min(this.burst, this.tokens + 1); }
}
