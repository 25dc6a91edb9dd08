// Duplicate suppression by message id (SPEC §6). At-least-once delivery means a message can come back
// (a lost ack, a reconnect after a token rotation): an id delivered successfully within `windowMs` is
// acked without re-sending, and an id whose delivery is still running waits for that outcome instead of
// being sent twice in parallel. Bounded: the oldest entries go first beyond `maxEntries`.
import type { Clock } from '../clock.ts';

export class Dedupe<T> {
  readonly #delivered = new Map<string, number>(); // id → delivered at (insertion-ordered)
  readonly #running = new Map<string, Promise<T>>();
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;

  constructor(clock: Clock, windowMs = 10 * 60_000, maxEntries = 10_000) {
    this.#clock = clock;
    this.#windowMs = windowMs;
    this.#maxEntries = maxEntries;
  }

  /** True when `id` was delivered successfully within the window. */
  wasDelivered(id: string): boolean {
    const at = this.#delivered.get(id);
    if (at === undefined) return false;
    if (this.#clock.now() - at > this.#windowMs) { this.#delivered.delete(id); return false; }
    return true;
  }

  markDelivered(id: string): void {
    this.#delivered.delete(id);
    this.#delivered.set(id, this.#clock.now());
    this.#prune();
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

  #prune(): void {
    const cutoff = this.#clock.now() - this.#windowMs;
    for (const [id, at] of this.#delivered) {
      if (this.#delivered.size <= this.#maxEntries && at >= cutoff) break;
      this.#delivered.delete(id);
    }
  }
}
