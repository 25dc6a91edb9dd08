// Closed-loop load: `clients` concurrent loops, each POSTing the next body as soon as its previous
// request answered. Measures the highest rate a server sustains; only answers that complete inside the
// measurement window (after the warm-up) count. With `stopAfterOk` it instead runs until exactly that
// many requests were accepted (durationMs is then only a cap), e.g. to fill a backlog of N messages.
import { Pool } from 'undici';
import { makeBody } from '../lib/payload.ts';
import { post } from './post.ts';
import { nowMs, perSecond, summarize, type LatencySummary } from '../lib/stats.ts';

export interface ClosedLoopOptions {
  url: string; // full URL, e.g. http://127.0.0.1:8080/webhook/bench/ingest
  clients: number;
  warmupMs: number;
  durationMs: number;
  expectStatus?: number; // default 202
  headers?: Record<string, string>;
  /** First sequence number (so phases sharing a destination never reuse one). */
  seqStart?: number;
  /**
   * Stop once this many answers had expectStatus: a client claims a slot before each request and gives it
   * back when the answer is anything else, so exactly this many are accepted (unless durationMs runs out).
   * The window is then the time it took, not durationMs. Answers during a warm-up use the quota too:
   * use warmupMs 0 with it.
   */
  stopAfterOk?: number;
}

export interface ClosedLoopResult {
  clients: number;
  windowMs: number; // durationMs, or with stopAfterOk the time until the last answer
  ok: number; // answers with expectStatus inside the window
  rate: number; // ok per second
  rejected: Record<string, number>; // other status codes inside the window
  errors: number; // network errors and timeouts inside the window
  latencyMs: LatencySummary; // request → answer, ok answers in the window
  sent: number; // every request, warm-up included
  seqEnd: number; // next free sequence number
}

export async function closedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const url = new URL(o.url);
  const pool = new Pool(url.origin, { connections: o.clients, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const expect = o.expectStatus ?? 202;
  const headers = { 'content-type': 'application/json', ...o.headers };
  const start = nowMs();
  const from = start + o.warmupMs;
  const until = from + o.durationMs;
  let seq = o.seqStart ?? 0;
  let ok = 0;
  let errors = 0;
  let sent = 0;
  const rejected: Record<string, number> = {};
  const latencies: number[] = [];
  const quota = o.stopAfterOk ?? Number.POSITIVE_INFINITY;
  let claimed = 0;
  let lastDone = from;

  const client = async (): Promise<void> => {
    while (nowMs() < until && claimed < quota) {
      claimed++;
      const t = nowMs();
      sent++;
      let status = 0;
      try {
        status = await post(pool, url.pathname, headers, makeBody(seq++, t));
      } catch {
        status = -1;
        await new Promise((r) => setImmediate(r)); // a failing target must not starve the event loop
      }
      const done = nowMs();
      if (status !== expect) claimed--;
      if (done < from || done > until) continue;
      lastDone = done;
      if (status === expect) { ok++; latencies.push(done - t); }
      else if (status === -1) errors++;
      else rejected[status] = (rejected[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  await pool.close();
  const windowMs = o.stopAfterOk === undefined ? o.durationMs : lastDone - from;
  return { clients: o.clients, windowMs, ok, rate: perSecond(ok, windowMs), rejected, errors, latencyMs: summarize(latencies), sent, seqEnd: seq };
}
