// Kept only for client.ts (being rewritten as an explicit state machine), its test, and the options type
// subscription.ts passes through; every other retry loop uses shared/process/backoff.ts, whose
// next({ floorMs, capMs }) is meant for the slow and soon classes below. This file goes when client.ts moves.
// Reconnect delays: exponential backoff with full jitter (AWS architecture blog), capped. Auth failures
// (4001 revoked/invalid token, 4004 not bound) wait longer — the fix is a rotated token or a binding,
// which takes a while — but are still retried forever; a token file change skips the wait altogether.
// A receiver that answered but could not serve (its broker is reconnecting) is retried within a short cap,
// so deliveries resume seconds after the broker is back rather than up to a full cap later.
// StreamClient keeps one Backoff for the stream and one for trying a new token while the old stream works.
export interface BackoffOptions { baseMs?: number; capMs?: number; slowFloorMs?: number; soonCapMs?: number }

export class Backoff {
  private n = 0;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly slowFloorMs: number;
  private readonly soonCapMs: number;
  private readonly random: () => number;

  constructor(o: BackoffOptions = {}, random: () => number = Math.random) {
    this.baseMs = o.baseMs ?? 500;
    this.capMs = o.capMs ?? 30_000;
    this.slowFloorMs = o.slowFloorMs ?? 5_000;
    this.soonCapMs = o.soonCapMs ?? 5_000;
    this.random = random;
  }

  /** The next delay: uniform in [0, min(cap, base·2^n)); plus a floor for the slow (auth) class; the soon class caps at soonCapMs. */
  next(slow = false, soon = false): number {
    const ceiling = Math.min(soon ? Math.min(this.soonCapMs, this.capMs) : this.capMs, this.baseMs * 2 ** this.n);
    this.n = Math.min(this.n + 1, 30);
    const jittered = Math.floor(this.random() * ceiling);
    return slow ? Math.min(this.capMs * 2, this.slowFloorMs + jittered) : jittered;
  }

  reset(): void { this.n = 0; }
  get failures(): number { return this.n; }
}
