// The measurements, each the same for every system: ingest alone (closed loop, nobody consuming),
// end-to-end at saturation (closed loop while delivering), and end-to-end at a fixed offered rate
// (open loop; latency from the scheduled send time to receipt at the destination). Each records the
// CPU its processes used over the measured window. The backlog phase fills a queue of N messages with
// delivery stopped, then drains it, and reports each half's CPU per message and the memory left behind.
import { request } from 'undici';
import { closedLoop, type ClosedLoopResult } from './load/closed.ts';
import { openLoop, type OpenLoopResult } from './load/open.ts';
import { snapshot, usage, type CpuSnapshot, type CpuUse } from './lib/cpu.ts';
import { makeBody } from './lib/payload.ts';
import { memoryOf, type Memory } from './lib/proc.ts';
import { nowMs, perSecond, type LatencySummary } from './lib/stats.ts';
import type { Destination } from './systems/destination.ts';
import type { System } from './systems/types.ts';

export interface Timing { warmupMs: number; durationMs: number; clients: number }

/** Sequence numbers are unique across the whole run, so a late message from one phase never counts in another. */
let nextSeq = 1;

/** Runs a load and measures CPU from the end of its warm-up to its end. */
async function metered<T>(pids: () => Record<string, number | undefined>, warmupMs: number, load: () => Promise<T>): Promise<{ result: T; cpu: CpuUse }> {
  let a: CpuSnapshot | undefined;
  const timer = setTimeout(() => { a = snapshot(pids()); }, warmupMs);
  const result = await load();
  clearTimeout(timer);
  const b = snapshot(pids());
  return { result, cpu: usage(a ?? b, b) };
}

const withDest = (sys: System, dest: Destination) => (): Record<string, number | undefined> => ({ ...sys.pids(), destination: dest.pid });

/** Starts delivery and proves it end to end: one message posted must reach the destination. */
async function ensureDelivering(sys: System, dest: Destination): Promise<void> {
  await sys.startDelivery();
  const seq = nextSeq++;
  const res = await request(sys.ingestUrl('e2e'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: makeBody(seq, nowMs()) });
  const text = await res.body.text();
  if (res.statusCode !== 202) throw new Error(`${sys.name}: probe ingest answered ${res.statusCode} ${text}`);
  if ((await dest.waitFor(seq, seq + 1, 1, 30_000)) < 1) throw new Error(`${sys.name}: probe message never reached the destination`);
}

export type IngestResult = ClosedLoopResult & { cpu: CpuUse };

export async function measureIngest(sys: System, t: Timing): Promise<IngestResult> {
  const { result, cpu } = await metered(() => sys.pids(), t.warmupMs, () =>
    closedLoop({ url: sys.ingestUrl('ingest'), clients: t.clients, warmupMs: t.warmupMs, durationMs: t.durationMs, seqStart: nextSeq }));
  nextSeq = result.seqEnd;
  await sys.purge('ingest');
  return { ...result, cpu };
}

export interface SaturationResult {
  ingest: ClosedLoopResult;
  delivered: number; // distinct messages received by the destination inside the window
  deliveredRate: number;
  badSignature: number;
  cpu: CpuUse;
}

export async function measureSaturation(sys: System, dest: Destination, t: Timing): Promise<SaturationResult> {
  await ensureDelivering(sys, dest);
  await dest.reset();
  const windowStart = nowMs() + t.warmupMs;
  const { result: ingest, cpu } = await metered(withDest(sys, dest), t.warmupMs, () =>
    closedLoop({ url: sys.ingestUrl('e2e'), clients: t.clients, warmupMs: t.warmupMs, durationMs: t.durationMs, seqStart: nextSeq }));
  nextSeq = ingest.seqEnd;
  const rep = await dest.report({ windowStart, windowEnd: windowStart + t.durationMs });
  await sys.purge('e2e');
  await dest.quiesce(500, 15_000);
  return { ingest, delivered: rep.windowCount, deliveredRate: rep.windowRate, badSignature: rep.badSignature, cpu };
}

export interface FixedRateResult {
  load: OpenLoopResult;
  delivered: number; // distinct measured messages that reached the destination
  missing: number; // accepted (202) but not delivered within the drain time
  duplicates: number;
  badSignature: number;
  achievedRate: number; // delivered per second, first scheduled send → last receipt
  latencyMs: LatencySummary; // scheduled send → destination receipt
  cpu: CpuUse;
}

export async function measureFixedRate(sys: System, dest: Destination, rate: number, t: Timing, drainMs: number): Promise<FixedRateResult> {
  await ensureDelivering(sys, dest);
  await dest.reset();
  const { result: load, cpu } = await metered(withDest(sys, dest), t.warmupMs, () =>
    openLoop({ url: sys.ingestUrl('e2e'), rate, warmupMs: t.warmupMs, durationMs: t.durationMs, connections: 256, seqStart: nextSeq }));
  nextSeq = load.seqEnd;
  await dest.waitFor(load.measuredFrom, load.seqEnd, load.accepted, drainMs);
  const rep = await dest.report({ seqFrom: load.measuredFrom, seqTo: load.seqEnd });
  await sys.purge('e2e');
  await dest.quiesce(500, 15_000);
  const span = Math.max(rep.lastAt, load.lastScheduledAt + 1000 / rate) - load.firstScheduledAt;
  return {
    load,
    delivered: rep.measuredDelivered,
    missing: Math.max(0, load.accepted - rep.measuredDelivered),
    duplicates: rep.duplicates,
    badSignature: rep.badSignature,
    achievedRate: perSecond(rep.measuredDelivered, span),
    latencyMs: rep.latencyMs,
    cpu,
  };
}

export interface BacklogResult {
  /** Messages asked for. */
  messages: number;
  /** The fill: closed loop into the e2e channel with delivery stopped, until `messages` were accepted. */
  fill: ClosedLoopResult;
  /** CPU over the fill (the connector is not running). */
  fillCpu: CpuUse;
  /** Distinct accepted messages that reached the destination. */
  delivered: number;
  /** Accepted but never delivered (no progress for the stall time). */
  lost: number;
  duplicates: number;
  badSignature: number;
  /** From starting delivery to the last first receipt. */
  drainMs: number;
  /** delivered / drainMs. */
  drainRate: number;
  /** CPU from starting delivery until every message was seen at the destination. */
  drainCpu: CpuUse;
  /** RSS of each of the system's processes right after the drain (now = VmRSS, peak = VmHWM). */
  memory: Record<string, Memory>;
}

/** Waits for `expected` distinct messages in [seqFrom, seqTo); gives up after `stallMs` without progress. */
async function drained(dest: Destination, seqFrom: number, seqTo: number, expected: number, stallMs: number): Promise<number> {
  let last = -1;
  for (;;) {
    const n = await dest.waitFor(seqFrom, seqTo, expected, stallMs);
    if (n >= expected || n === last) return n;
    last = n;
  }
}

/**
 * Fills the e2e channel with `messages` accepted messages while nothing consumes it, then starts
 * delivery and waits until the destination has every one. CPU is measured over each half separately, so
 * ingest and delivery are each charged once per message (at saturation ingest outruns delivery).
 */
export async function measureBacklog(sys: System, dest: Destination, messages: number, clients: number, stallMs = 60_000): Promise<BacklogResult> {
  await sys.stopDelivery();
  await sys.purge('e2e');
  await dest.quiesce(500, 15_000);
  await dest.reset();
  const seqFrom = nextSeq;
  const before = snapshot(sys.pids());
  const fill = await closedLoop({ url: sys.ingestUrl('e2e'), clients, warmupMs: 0, durationMs: 60_000 + messages, seqStart: seqFrom, stopAfterOk: messages });
  const fillCpu = usage(before, snapshot(sys.pids()));
  nextSeq = fill.seqEnd;

  const started = nowMs();
  await sys.startDelivery();
  const from = snapshot(withDest(sys, dest)());
  const delivered = await drained(dest, seqFrom, fill.seqEnd, fill.ok, stallMs);
  const drainCpu = usage(from, snapshot(withDest(sys, dest)()));
  const rep = await dest.report({ seqFrom, seqTo: fill.seqEnd });
  const memory = memoryOf(sys.pids());
  const drainMs = Math.max(0, rep.lastAt - started);
  return {
    messages, fill, fillCpu, delivered, lost: Math.max(0, fill.ok - delivered), duplicates: rep.duplicates, badSignature: rep.badSignature,
    drainMs, drainRate: perSecond(delivered, drainMs), drainCpu, memory,
  };
}
