// Continuous ingest for the fault-injection test: a few concurrent posters share one pacing clock (a
// target rate), each body carries a unique sequence number, and every request's outcome is recorded
// (status, id, error code, Retry-After, or the connection error) for judging once the run is over.
export interface Outcome {
  seq: number;
  startedAt: number;
  endedAt: number;
  status?: number;
  /** The message id of a 202. */
  id?: string;
  /** The `error` field of a JSON error body, when there was one. */
  error?: string;
  retryAfter?: string | null;
  /** The raw body of an answer that was neither 202 nor a JSON error. */
  text?: string;
  /** A request that got no HTTP answer: the connection error. */
  network?: string;
}

export interface LoadOptions { url: string; ratePerSecond: number; workers: number; requestTimeoutMs: number }

export class ChaosLoad {
  readonly outcomes: Outcome[] = [];
  #seq = 0;
  #next = 0;
  #stopped = false;
  #loops: Promise<void>[] = [];

  start(o: LoadOptions): this {
    const gapMs = 1000 / o.ratePerSecond;
    this.#next = Date.now();
    for (let w = 0; w < o.workers; w++) {
      this.#loops.push((async () => {
        while (!this.#stopped) {
          const at = this.#next;
          this.#next = Math.max(this.#next + gapMs, Date.now() - 1000); // no catch-up burst after a stall
          if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
          if (this.#stopped) break;
          this.outcomes.push(await post(o.url, this.#seq++, o.requestTimeoutMs));
        }
      })());
    }
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }

  accepted(): Outcome[] { return this.outcomes.filter((x) => x.status === 202 && x.id); }
}

async function post(url: string, seq: number, timeoutMs: number): Promise<Outcome> {
  const startedAt = Date.now();
  const body = JSON.stringify({ type: 'chaos.tick', seq, sentAt: new Date(startedAt).toISOString() });
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const out: Outcome = { seq, startedAt, endedAt: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after') };
    try {
      const json = JSON.parse(text) as { id?: unknown; error?: unknown };
      if (typeof json.id === 'string') out.id = json.id;
      if (typeof json.error === 'string') out.error = json.error;
    } catch { /* not JSON: kept below */ }
    if (out.id === undefined && out.error === undefined) out.text = text.slice(0, 200);
    return out;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { seq, startedAt, endedAt: Date.now(), network: e.cause?.code ?? e.cause?.message ?? e.name ?? e.message };
  }
}
