// Open-loop load at a fixed offered rate: request i is due at start + i/rate and is sent on schedule
// whatever happened to earlier requests (no coordinated omission). Each body carries its scheduled time,
// so the destination measures end-to-end latency from when the request *should* have left.
import { Pool } from 'undici';
import { makeBody } from '../lib/payload.ts';
import { post } from './post.ts';
import { nowMs, summarize, type LatencySummary } from '../lib/stats.ts';

export interface OpenLoopOptions {
  url: string;
  rate: number; // requests per second
  warmupMs: number; // sent at the same rate, excluded from the figures
  durationMs: number;
  connections: number; // enough that the pool is never what holds requests back
  expectStatus?: number; // default 202
  headers?: Record<string, string>;
  seqStart?: number;
}

export interface OpenLoopResult {
  rate: number;
  /** Sequence numbers of the measured requests: [measuredFrom, seqEnd). */
  measuredFrom: number;
  seqEnd: number;
  firstScheduledAt: number;
  lastScheduledAt: number;
  sent: number; // measured requests sent
  accepted: number; // measured requests answered with expectStatus
  rejected: Record<string, number>;
  errors: number;
  /** Scheduled time → ingest answer, for measured accepted requests. */
  ingestLatencyMs: LatencySummary;
  /** How late the generator itself sent requests (send time - scheduled time): shows it kept up. */
  sendLagMs: LatencySummary;
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const url = new URL(o.url);
  const pool = new Pool(url.origin, { connections: o.connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const expect = o.expectStatus ?? 202;
  const headers = { 'content-type': 'application/json', ...o.headers };
  const interval = 1000 / o.rate;
  const warmupCount = Math.round(o.warmupMs / interval);
  const total = warmupCount + Math.round(o.durationMs / interval);
  const seq0 = o.seqStart ?? 0;
  const start = nowMs() + 5;
  let i = 0;
  let accepted = 0;
  let errors = 0;
  const rejected: Record<string, number> = {};
  const ingest: number[] = [];
  const lag: number[] = [];
  const inflight = new Set<Promise<void>>();

  const fire = (n: number, due: number): void => {
    const measured = n >= warmupCount;
    if (measured) lag.push(nowMs() - due);
    const p = post(pool, url.pathname, headers, makeBody(seq0 + n, due))
      .then((status) => {
        if (!measured) return;
        if (status === expect) { accepted++; ingest.push(nowMs() - due); }
        else rejected[status] = (rejected[status] ?? 0) + 1;
      })
      .catch(() => { if (measured) errors++; })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = nowMs();
      while (i < total && start + i * interval <= now) { fire(i, start + i * interval); i++; }
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(1, start + i * interval - nowMs())));
    };
    setTimeout(tick, 0);
  });
  await Promise.all(inflight);
  await pool.close();
  return {
    rate: o.rate,
    measuredFrom: seq0 + warmupCount,
    seqEnd: seq0 + total,
    firstScheduledAt: start + warmupCount * interval,
    lastScheduledAt: start + (total - 1) * interval,
    sent: total - warmupCount,
    accepted,
    rejected,
    errors,
    ingestLatencyMs: summarize(ingest),
    sendLagMs: summarize(lag),
  };
}
