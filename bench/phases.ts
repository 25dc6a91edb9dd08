// The measurements, each the same for every system: ingest alone (closed loop, nobody consuming),
// end-to-end at saturation (closed loop while delivering), and end-to-end at a fixed offered rate
// (open loop; latency from the scheduled send time to receipt at the destination).
import { closedLoop, type ClosedLoopResult } from './load/closed.ts';
import { openLoop, type OpenLoopResult } from './load/open.ts';
import { request } from 'undici';
import { makeBody } from './lib/payload.ts';
import { nowMs, perSecond, type LatencySummary } from './lib/stats.ts';
import type { Destination } from './systems/destination.ts';
import type { System } from './systems/types.ts';

export interface Timing { warmupMs: number; durationMs: number; clients: number }

/** Sequence numbers are unique across the whole run, so a late message from one phase never counts in another. */
let nextSeq = 1;

/** Starts delivery and proves it end to end: one message posted must reach the destination. */
async function ensureDelivering(sys: System, dest: Destination): Promise<void> {
  await sys.startDelivery();
  const seq = nextSeq++;
  const res = await request(sys.ingestUrl('e2e'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: makeBody(seq, nowMs()) });
  const text = await res.body.text();
  if (res.statusCode !== 202) throw new Error(`${sys.name}: probe ingest answered ${res.statusCode} ${text}`);
  if ((await dest.waitFor(seq, seq + 1, 1, 30_000)) < 1) throw new Error(`${sys.name}: probe message never reached the destination`);
}

export async function measureIngest(sys: System, t: Timing): Promise<ClosedLoopResult> {
  const r = await closedLoop({ url: sys.ingestUrl('ingest'), clients: t.clients, warmupMs: t.warmupMs, durationMs: t.durationMs, seqStart: nextSeq });
  nextSeq = r.seqEnd;
  await sys.purge('ingest');
  return r;
}

export interface SaturationResult {
  ingest: ClosedLoopResult;
  delivered: number; // distinct messages received by the destination inside the window
  deliveredRate: number;
  badSignature: number;
}

export async function measureSaturation(sys: System, dest: Destination, t: Timing): Promise<SaturationResult> {
  await ensureDelivering(sys, dest);
  await dest.reset();
  const windowStart = nowMs() + t.warmupMs;
  const ingest = await closedLoop({ url: sys.ingestUrl('e2e'), clients: t.clients, warmupMs: t.warmupMs, durationMs: t.durationMs, seqStart: nextSeq });
  nextSeq = ingest.seqEnd;
  const rep = await dest.report({ windowStart, windowEnd: windowStart + t.durationMs });
  await sys.purge('e2e');
  await dest.quiesce(500, 15_000);
  return { ingest, delivered: rep.windowCount, deliveredRate: rep.windowRate, badSignature: rep.badSignature };
}

export interface FixedRateResult {
  load: OpenLoopResult;
  delivered: number; // distinct measured messages that reached the destination
  missing: number; // accepted (202) but not delivered within the drain time
  duplicates: number;
  badSignature: number;
  achievedRate: number; // delivered per second, first scheduled send → last receipt
  latencyMs: LatencySummary; // scheduled send → destination receipt
}

export async function measureFixedRate(sys: System, dest: Destination, rate: number, t: Timing, drainMs: number): Promise<FixedRateResult> {
  await ensureDelivering(sys, dest);
  await dest.reset();
  const load = await openLoop({ url: sys.ingestUrl('e2e'), rate, warmupMs: t.warmupMs, durationMs: t.durationMs, connections: 256, seqStart: nextSeq });
  nextSeq = load.seqEnd;
  await dest.waitFor(load.measuredFrom, load.seqEnd, load.accepted, drainMs);
  const rep = await dest.report({ seqFrom: load.measuredFrom, seqTo: load.seqEnd });
  await sys.purge('e2e');
  await dest.quiesce(500, 15_000);
  const span = Math.max(rep.lastAt, load.lastScheduledAt) - load.firstScheduledAt;
  return {
    load,
    delivered: rep.measuredDelivered,
    missing: Math.max(0, load.accepted - rep.measuredDelivered),
    duplicates: rep.duplicates,
    badSignature: rep.badSignature,
    achievedRate: perSecond(rep.measuredDelivered, span),
    latencyMs: rep.latencyMs,
  };
}
