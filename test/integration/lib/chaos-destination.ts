// The Subscription's destination for the fault-injection test: an HTTP server on 127.0.0.1 that records
// the webhook-id of every request it answers 200 (duplicates included), after a small latency so that
// kills find deliveries in flight, or answers 503 while a failure window is open (the connector then
// retries through the broker's delay queues).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class ChaosDestination {
  /** webhook-id → how many requests carried it. */
  readonly seen = new Map<string, number>();
  /** Time of every request answered 200, in arrival order. */
  readonly deliveredAt: number[] = [];
  requests = 0;
  refused503 = 0;
  #failing = false;
  readonly #latencyMs: number;
  url = '';
  readonly #server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      this.requests++;
      const id = req.headers['webhook-id'];
      if (this.#failing) { this.refused503++; res.writeHead(503, { 'retry-after': '1' }).end(); return; }
      if (typeof id === 'string') this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
      this.deliveredAt.push(Date.now());
      setTimeout(() => res.writeHead(200).end(), this.#latencyMs);
    });
  });

  constructor(o: { latencyMs?: number } = {}) { this.#latencyMs = o.latencyMs ?? 0; }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => this.#server.listen(0, '127.0.0.1', resolve).once('error', reject));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** Answers 503 to everything for `ms`. */
  async failFor(ms: number): Promise<void> {
    this.#failing = true;
    await new Promise((r) => setTimeout(r, ms));
    this.#failing = false;
  }

  /** Deliveries beyond the first per id. */
  duplicates(): number {
    let n = 0;
    for (const c of this.seen.values()) n += c - 1;
    return n;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}
