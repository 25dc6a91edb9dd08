// Per-subscription circuit breaker. Closed: count outcomes in a rolling window; once at least
// `minRequests` were seen and the failure ratio reaches `failureRatio`, open for `openMs`. Open: nothing
// is sent (the caller holds the message or hands it back without burning an HTTP attempt). After openMs
// it is half-open: one probe at a time; a success closes it, a failure opens it again.
import type { Clock } from '../clock.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';
export const CIRCUIT_GAUGE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface CircuitOptions { failureRatio: number; minRequests: number; openMs: number; windowMs?: number }

/** Answer to "may I send now?": yes (release() or record() when done), or wait this long first. */
export type Admission = { allowed: true; probe: boolean } | { allowed: false; waitMs: number };

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #openedAt = 0;
  #probing = false;
  #windowStart: number;
  #requests = 0;
  #failures = 0;
  readonly #opts: Required<CircuitOptions>;
  readonly #clock: Clock;
  readonly #onChange: (s: CircuitState) => void;

  constructor(opts: CircuitOptions, clock: Clock, onChange: (s: CircuitState) => void = () => {}) {
    this.#opts = { windowMs: Math.max(opts.openMs, 10_000), ...opts };
    this.#clock = clock;
    this.#onChange = onChange;
    this.#windowStart = clock.now();
  }

  current(): CircuitState {
    if (this.#state === 'open' && this.#clock.now() - this.#openedAt >= this.#opts.openMs) this.#set('half-open');
    return this.#state;
  }

  admit(): Admission {
    const s = this.current();
    if (s === 'closed') return { allowed: true, probe: false };
    if (s === 'half-open' && !this.#probing) { this.#probing = true; return { allowed: true, probe: true }; }
    const left = s === 'open' ? this.#opts.openMs - (this.#clock.now() - this.#openedAt) : Math.min(1000, this.#opts.openMs);
    return { allowed: false, waitMs: Math.max(1, left) };
  }

  /** The outcome of an admitted request: true = the destination worked (2xx or a permanent 4xx). */
  record(ok: boolean, probe: boolean): void {
    if (probe) this.#probing = false;
    if (this.#state === 'half-open' && probe) {
      if (ok) { this.#resetWindow(); this.#set('closed'); } else this.#open();
      return;
    }
    if (this.#state !== 'closed') return;
    const now = this.#clock.now();
    if (now - this.#windowStart >= this.#opts.windowMs) this.#resetWindow();
    this.#requests++;
    if (!ok) this.#failures++;
    if (this.#requests >= this.#opts.minRequests && this.#failures / this.#requests >= this.#opts.failureRatio) this.#open();
  }

  /** An admitted request that did not reach the destination (e.g. shutdown): frees the probe slot. */
  release(probe: boolean): void { if (probe) this.#probing = false; }

  #open(): void { this.#openedAt = this.#clock.now(); this.#resetWindow(); this.#set('open'); }
  #resetWindow(): void { this.#windowStart = this.#clock.now(); this.#requests = 0; this.#failures = 0; }
  #set(s: CircuitState): void { if (this.#state !== s) { this.#state = s; this.#onChange(s); } }
}
