// The Subscriptions' destination for the fault-injection test: an HTTP server on 127.0.0.1 that records,
// per path (`/hooks/<subscription>`), the webhook-id of every request it answers 200 (duplicates
// included), after a small latency so that
// kills find deliveries in flight, or answers 503 while a failure window is open (the connector then
// retries through the broker's delay queues).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class ChaosDestination {
  /** Path's last segment (the subscription) → webhook-id → how many requests carried it. */
  readonly seen = new Map<string, Map<string, number>>();
  /** Time of every request answered 200, in arrival order. */
  readonly deliveredAt: number[] = [];
  /** Subscription → time of its latest request answered 200. */
  readonly lastAt = new Map<string, number>();
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
      const sub = (req.url ?? '').split('/').at(-1) ?? '';
      let ids = this.seen.get(sub);
      if (!ids) this.seen.set(sub, ids = new Map());
      if (typeof id === 'string') ids.set(id, (ids.get(id) ?? 0) + 1);
      this.deliveredAt.push(Date.now());
      this.lastAt.set(sub, Date.now());
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

  has(sub: string, id: string): boolean { return this.seen.get(sub)?.has(id) ?? false; }

  /** Distinct ids and deliveries beyond the first per id, for one subscription. */
  counts(sub: string): { distinct: number; duplicates: number } {
    const ids = this.seen.get(sub) ?? new Map<string, number>();
    let duplicates = 0;
    for (const c of ids.values()) duplicates += c - 1;
    return { distinct: ids.size, duplicates };
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}
