// Oldest-message age without touching the queue. A quorum queue on RabbitMQ 3.10 cannot be peeked
// (basic.get + requeue raises the message's delivery count), so the age comes from what this process
// knows: its own unsettled deliveries (the head of a FIFO queue) and a ring of the receivedAt of the
// messages it published to the queue — the oldest of N ready messages is the Nth-newest publish. With
// several receivers or after a restart the ring covers less, and the figure is a lower bound.
export class AgeJournal {
  readonly #rings = new Map<string, { buf: Float64Array; next: number; size: number }>();
  readonly #capacity: number;

  constructor(capacity = 4096) { this.#capacity = capacity; }

  add(queue: string, receivedAt: number): void {
    let r = this.#rings.get(queue);
    if (!r) { r = { buf: new Float64Array(this.#capacity), next: 0, size: 0 }; this.#rings.set(queue, r); }
    r.buf[r.next] = receivedAt;
    r.next = (r.next + 1) % this.#capacity;
    r.size = Math.min(this.#capacity, r.size + 1);
  }

  /** receivedAt of the `ready`-th newest publish (or the oldest remembered), undefined if none. */
  oldest(queue: string, ready: number): number | undefined {
    const r = this.#rings.get(queue);
    if (!r || r.size === 0 || ready <= 0) return undefined;
    const back = Math.min(ready, r.size);
    return r.buf[(r.next - back + this.#capacity) % this.#capacity];
  }

  forget(queue: string): void { this.#rings.delete(queue); }
}
