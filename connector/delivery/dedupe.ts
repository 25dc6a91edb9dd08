// Duplicate suppression by message id (SPEC §6). At-least-once delivery means a message can come back
// (a lost ack, a reconnect after a token rotation): an id delivered successfully within `windowMs` is
// acked without re-sending, and an id whose delivery is still running waits for that outcome instead of
// being sent twice in parallel. Bounded: the oldest entries go first beyond `maxEntries` (1% over at most).
import type { Clock } from '../clock.ts';

export class Dedupe<T> {
  readonly #delivered = new Map<string, number>(); // id → delivered at (insertion-ordered)
  readonly #running = new Map<string, Promise<T>>();
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;
  #prunedAt = -Infinity;

  constructor(clock: Clock, windowMs = 10 * 60_000, maxEntries = 10_000) {
    this.#clock = clock;
    this.#windowMs = windowMs;
    this.#maxEntries = maxEntries;
  }

  /** Ids remembered as delivered. */
  get size(): number { return this.#delivered.size; }

  /** True when `id` was delivered successfully within the window. */
  wasDelivered(id: string): boolean {
    const at = this.#delivered.get(id);
    if (at === undefined) return false;
    if (this.#clock.now() - at > this.#windowMs) { this.#delivered.delete(id); return false; }
    return true;
  }

  markDelivered(id: string): void {
    const now = this.#clock.now();
    this.#delivered.delete(id);
    this.#delivered.set(id, now);
    // Pruned in steps (1% of the bound, or what expired every tenth of the window), not one entry per
    // delivery: a Map deleted from the front one entry at a time makes every walk from the front step over
    // the holes of the earlier deletes (7 us per delivered message at 10,000 entries in the bench's profile).
    if (this.#delivered.size > this.#maxEntries * 1.01 || now - this.#prunedAt >= this.#windowMs / 10) this.#prune(now);
  }

  /** The in-progress delivery of `id`, if any. */
  inProgress(id: string): Promise<T> | undefined { return this.#running.get(id); }

  /** Track a running delivery of `id` until it settles. */
  track(id: string, p: Promise<T>): Promise<T> {
    this.#running.set(id, p);
    const done = () => { if (this.#running.get(id) === p) this.#running.delete(id); };
    p.then(done, done);
    return p;
  }

  #prune(now: number): void {
    this.#prunedAt = now;
    const cutoff = now - this.#windowMs;
    for (const [id, at] of this.#delivered) {
      if (this.#delivered.size <= this.#maxEntries && at >= cutoff) break;
      this.#delivered.delete(id);
    }
  }
}
