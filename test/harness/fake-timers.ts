// The one fake clock for unit tests: time moves only when the test says so, and timers set on it fire in
// time order as it moves. It is both the operator's `Timers` (work queue, leader election, controller) and
// the connector's `Clock` (circuit, rate, dedupe); product code keeps only those interfaces.
export class FakeTimers {
  #t: number;
  #seq = 0;
  readonly #pending = new Map<number, { at: number; fn: () => void }>();
  constructor(start = Date.parse('2030-01-01T00:00:00Z')) { this.#t = start; }

  now(): number { return this.#t; }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#pending.set(id, { at: this.#t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void { this.#pending.delete(handle as number); }
  get pendingCount(): number { return this.#pending.size; }

  /** Moves the clock forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.#t + ms;
    for (;;) {
      const due = [...this.#pending.entries()].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#pending.delete(due[0]);
      this.#t = due[1].at;
      due[1].fn();
    }
    this.#t = end;
  }
}
