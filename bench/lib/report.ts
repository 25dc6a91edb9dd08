// Turns the bench results into the printed tables and the issue-12 verdicts. Targets are information:
// a miss is printed, never turned into a failing exit code.
import type { GeneratorCeiling, RabbitCeiling, RabbitLatencyFloor } from '../ceilings.ts';
import type { ClosedLoopResult } from '../load/closed.ts';
import type { BacklogResult, FixedRateResult, IngestResult, SaturationResult } from '../phases.ts';
import { HOOKBRIDGE_RECEIVER } from '../systems/types.ts';
import type { CpuUse } from './cpu.ts';
import type { IdleStreamsResult } from './idle-streams-result.ts';
import type { Memory } from './proc.ts';

export interface SystemResults {
  label: string;
  ingest?: IngestResult;
  saturation?: SaturationResult;
  fixedRate?: FixedRateResult;
  /** Backlog phase (Hookbridge only): fill N with delivery stopped, then drain. */
  backlog?: BacklogResult;
  memory?: Record<string, Memory>;
  error?: string;
  /** Every round of every phase; ingest/saturation/fixedRate above are the median rounds. */
  rounds?: { ingest: IngestResult[]; saturation: SaturationResult[]; fixedRate: FixedRateResult[] };
  /** Range across rounds of each phase's key figure. */
  range?: { ingestRate?: [number, number]; deliveredRate?: [number, number]; fixedP99?: [number, number] };
}

export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  machine: { cpus: number; model: string; node: string; memoryGiB: number; loadavgAtStart: number[] };
  settings: { clients: number; concurrency: number; rounds: number; warmupMs: number; durationMs: number; rate: number; fixedWarmupMs?: number; bodyBytes: number; rabbitmq: string; redis: string };
  generator?: GeneratorCeiling;
  rabbitCeiling?: RabbitCeiling;
  /** The same raw publisher with only as many confirms in flight as the closed loop has clients. */
  rabbitAtClients?: RabbitCeiling;
  /** Raw publish → consume at the fixed rate: RabbitMQ's own share of end-to-end latency. */
  rabbitLatency?: RabbitLatencyFloor;
  /** Many idle connector streams on one receiver (bench/idle-streams.ts). */
  idleStreams?: IdleStreamsResult;
  hookbridge: SystemResults;
  bullmq: SystemResults;
  notes: string[];
}

/** One issue-12 figure: what was measured, the target, and PASS (true) / MISS (false) / n/a (undefined). */
export interface Verdict { figure: string; value: string; target: string; pass: boolean | undefined }

const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b ? a / b : undefined);
const fmt = (v: number | undefined, digits = 0): string => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));
const known = (v: number | undefined): v is number => v !== undefined && !Number.isNaN(v);
const thousands = (n: number): string => n.toLocaleString('en-US');

/** CPU µs per message of the system's own processes over a window in which `count` messages went through. */
const usPer = (cpu: CpuUse | undefined, count: number | undefined): number | undefined =>
  (cpu && count ? systemCpu(cpu, count / cpu.seconds).usPerMsg : undefined);

/** Issue 12's receiver-memory figure is taken after this many messages were delivered. */
export const BACKLOG_TARGET = 250_000;
/** Issue 12's idle-streams figure is for this many streams on one receiver. */
export const IDLE_STREAMS_TARGET = 10_000;

/**
 * CPU per delivered message, every Hookbridge process, with ingest and delivery each charged once: µs per
 * accepted message in the ingest phase (the backlog's fill when the ingest phase did not run) plus µs per
 * delivered message while the backlog drained with no ingest running.
 */
export function cpuPerDelivered(r: BenchResults): { ingestUs?: number; ingestFrom?: string; drainUs?: number; totalUs?: number } {
  const x = r.hookbridge;
  const fromIngest = usPer(x.ingest?.cpu, x.ingest?.ok);
  const ingestUs = fromIngest ?? usPer(x.backlog?.fillCpu, x.backlog?.fill.ok);
  const ingestFrom = fromIngest !== undefined ? 'ingest phase' : ingestUs !== undefined ? 'backlog fill' : undefined;
  const drainUs = usPer(x.backlog?.drainCpu, x.backlog?.delivered);
  return { ingestUs, ingestFrom, drainUs, totalUs: known(ingestUs) && known(drainUs) ? ingestUs + drainUs : undefined };
}

/** The issue-12 targets (information only: a miss never fails the run). */
export function verdicts(r: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  const cpu = cpuPerDelivered(r);
  out.push({
    figure: 'CPU per delivered message, receiver + connector + RabbitMQ',
    value: known(cpu.totalUs) ? `${(cpu.totalUs / 1000).toFixed(3)} ms = ${fmt(cpu.ingestUs)} µs ingest + ${fmt(cpu.drainUs)} µs drain` : '—',
    target: '≤ 0.35 ms',
    pass: known(cpu.totalUs) ? cpu.totalUs <= 350 : undefined,
  });

  const e2e = ratio(r.hookbridge.saturation?.deliveredRate, r.bullmq.saturation?.deliveredRate);
  out.push({
    figure: 'end to end at saturation vs BullMQ baseline (delivered/s)',
    value: known(e2e) ? `${e2e.toFixed(2)}x` : '—', target: '≥ 1.3x', pass: known(e2e) ? e2e >= 1.3 : undefined,
  });

  const ceiling = r.rabbitAtClients && !r.rabbitAtClients.error ? r.rabbitAtClients : undefined;
  const ingest = ratio(r.hookbridge.ingest?.rate, ceiling?.rate);
  out.push({
    figure: `ingest (${r.settings.clients} clients) vs raw publish-confirm ceiling at ${ceiling?.window ?? r.settings.clients} in flight`,
    value: known(ingest) ? `${(ingest * 100).toFixed(0)} % (${fmt(r.hookbridge.ingest?.rate)} / ${fmt(ceiling?.rate)} req/s)` : '—',
    target: '≥ 60 %', pass: known(ingest) ? ingest >= 0.6 : undefined,
  });

  const fr = r.hookbridge.fixedRate;
  const p99 = fr?.latencyMs.p99;
  const complete = fr ? fr.missing === 0 && fr.load.errors === 0 && fr.badSignature === 0 && Object.keys(fr.load.rejected).length === 0 : false;
  out.push({
    figure: `p99 ingest → destination at ${r.settings.rate} msg/s, every message delivered`,
    value: known(p99) ? `${p99.toFixed(1)} ms${complete ? '' : ' (incomplete)'}` : '—',
    target: '≤ 10 ms', pass: known(p99) ? p99 <= 10 && complete : undefined,
  });

  const b = r.hookbridge.backlog;
  const rss = b?.memory[HOOKBRIDGE_RECEIVER]?.rssMiB;
  const enough = b !== undefined && b.delivered >= BACKLOG_TARGET;
  out.push({
    figure: `receiver RSS after ${thousands(BACKLOG_TARGET)} messages delivered (backlog phase)`,
    value: known(rss) ? `${rss.toFixed(0)} MiB${enough ? '' : ` (only ${thousands(b?.delivered ?? 0)} delivered)`}` : '—',
    target: '≤ 300 MiB', pass: known(rss) && enough ? rss <= 300 : undefined,
  });

  const idle = r.idleStreams;
  const idleRss = idle?.receiverRssMiB;
  const notes = idle ? [idle.open < idle.streams ? `${thousands(idle.open)}/${thousands(idle.streams)} streams` : '', idle.streams < IDLE_STREAMS_TARGET ? 'fewer streams than the target' : ''].filter(Boolean) : [];
  out.push({
    figure: `${thousands(IDLE_STREAMS_TARGET)} idle connector streams on one receiver: receiver RSS`,
    value: idle && known(idleRss) ? `${idleRss.toFixed(0)} MiB${notes.length ? ` (${notes.join('; ')})` : ''}` : '—',
    target: '≤ 400 MiB',
    pass: idle && known(idleRss) && idle.streams >= IDLE_STREAMS_TARGET ? idle.open >= idle.streams && idleRss <= 400 : undefined,
  });
  return out;
}

/** Fixed-width text table; numeric cells (and the headers of all-numeric columns) right-aligned, unless `left`. */
export function table(header: string[], rows: string[][], left = false): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNum = (s: string): boolean => !left && /^[-+]?[\d.,]+(x| ms)?$|^—$/.test(s);
  const numericColumn = header.map((_, i) => i > 0 && rows.length > 0 && rows.every((r) => isNum(r[i] ?? '')));
  const cell = (c: string, i: number, head: boolean): string =>
    (i > 0 && (head ? numericColumn[i] : isNum(c)) ? c.padStart(widths[i]) : c.padEnd(widths[i]));
  const line = (cells: string[], head = false): string => cells.map((c, i) => cell(c, i, head)).join('  ').trimEnd();
  return [line(header, true), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(r))].join('\n');
}

const rejections = (r: { rejected: Record<string, number>; errors: number }): string => {
  const parts = Object.entries(r.rejected).map(([code, n]) => `${n}×${code}`);
  if (r.errors) parts.push(`${r.errors}×net`);
  return parts.length ? parts.join(' ') : '0';
};

/** Cores the system's own processes used (the shared destination excluded) and CPU µs per message. */
export function systemCpu(cpu: CpuUse | undefined, perSecond: number | undefined): { cores?: number; usPerMsg?: number } {
  if (!cpu) return {};
  const cores = Object.entries(cpu.cores).filter(([k]) => k !== 'destination').reduce((s, [, v]) => s + v, 0);
  return { cores, ...(perSecond ? { usPerMsg: (cores / perSecond) * 1e6 } : {}) };
}

const cpuCells = (cpu: CpuUse | undefined, perSecond: number | undefined): string[] => {
  const c = systemCpu(cpu, perSecond);
  return [fmt(c.cores, 2), fmt(c.usPerMsg), fmt(cpu?.generatorCores, 2), fmt(cpu?.otherCores, 2)];
};
const CPU_HEAD = ['cores', 'CPU µs/msg', 'gen cores', 'other cores'];
const span = (r: [number, number] | undefined, digits = 0): string => (r ? `${r[0].toFixed(digits)}–${r[1].toFixed(digits)}` : '');

export function render(r: BenchResults): string {
  const s = r.settings;
  const out: string[] = [];
  out.push(`Hookbridge bench — ${r.startedAt}`);
  out.push(`machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB.toFixed(0)} GiB, node ${r.machine.node}, load average at start ${r.machine.loadavgAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  out.push(`RabbitMQ: ${s.rabbitmq}`);
  out.push(`Redis: ${s.redis}`);
  out.push(`load: ${s.bodyBytes} B JSON bodies; closed loop = ${s.clients} concurrent keep-alive clients; ${s.rounds} interleaved rounds per phase (A B, B A, …), each warm-up ${s.warmupMs / 1000} s + measured ${s.durationMs / 1000} s${s.fixedWarmupMs ? ` (before its first fixed-rate round each system runs ${s.fixedWarmupMs / 1000} s at that rate, unmeasured)` : ''}; the median round is shown with the range over rounds; delivery concurrency ${s.concurrency} (BullMQ Worker concurrency = Hookbridge Subscription concurrency = stream window)`);
  out.push('CPU: "cores" = the system\'s own processes (broker included, destination excluded); "gen" = the load generator; "other" = the rest of the machine (noise from outside the bench)');

  out.push('', '(a) Ingest throughput — POST /webhook/{ns}/{channel} answered 202 only once durably stored, nothing consuming');
  const ingRow = (name: string, x: (ClosedLoopResult & { cpu?: CpuUse }) | undefined, err?: string, range?: [number, number]): string[] =>
    x ? [name, fmt(x.rate), span(range), fmt(x.latencyMs.p50, 1), fmt(x.latencyMs.p99, 1), rejections(x), ...cpuCells(x.cpu, x.rate)]
      : [name, '—', '', '—', '—', err ?? 'not run', '—', '—', '—', '—'];
  const rc = r.rabbitCeiling;
  const rabbitRow = (c: RabbitCeiling | undefined): string[] => (c && !c.error
    ? [`raw amqplib → 1 quorum queue, ${c.window} confirms in flight`, fmt(c.rate), '', '—', '—', String(c.nacked), ...cpuCells(c.cpu, c.rate)]
    : ['raw amqplib → 1 quorum queue', '—', '', '—', '—', c?.error ?? 'not run', '—', '—', '—', '—']);
  out.push(table(['system', 'req/s', 'rounds', 'p50 ms', 'p99 ms', 'errors', ...CPU_HEAD], [
    ingRow('load generator → no-op server (generator ceiling)', r.generator),
    rabbitRow(rc),
    ...(r.rabbitAtClients ? [rabbitRow(r.rabbitAtClients)] : []),
    ingRow('Hookbridge receiver → RabbitMQ (confirms)', r.hookbridge.ingest, r.hookbridge.error, r.hookbridge.range?.ingestRate),
    ingRow('BullMQ baseline: express → queue.add → Redis', r.bullmq.ingest, r.bullmq.error, r.bullmq.range?.ingestRate),
  ]));

  out.push('', `(b1) End-to-end throughput at saturation — ${s.clients} clients posting while delivery runs (destination verifies signatures; CPU µs/msg left out: ingest and delivery rates differ)`);
  const satRow = (x: SystemResults): string[] => x.saturation
    ? [x.label, fmt(x.saturation.ingest.rate), fmt(x.saturation.deliveredRate), span(x.range?.deliveredRate), String(x.saturation.badSignature), rejections(x.saturation.ingest),
      ...cpuCells(x.saturation.cpu, undefined)]
    : [x.label, '—', '—', '', '—', x.error ?? 'not run', '—', '—', '—', '—'];
  out.push(table(['system', 'ingested/s', 'delivered/s', 'rounds', 'bad sig', 'ingest errors', ...CPU_HEAD], [satRow(r.hookbridge), satRow(r.bullmq)]));

  out.push('', `(b2) End-to-end at a fixed offered rate of ${s.rate} msg/s — open loop; latency = scheduled send → destination received`);
  const frRow = (x: SystemResults): string[] => {
    const f = x.fixedRate;
    if (!f) return [x.label, '—', '—', '—', '—', '—', '—', '—', '—', '', '—', '—', '—', '—', x.error ?? 'not run'];
    return [x.label, String(f.load.sent), fmt(f.achievedRate), rejections(f.load), String(f.missing + f.badSignature), String(f.duplicates),
      fmt(f.latencyMs.p50, 1), fmt(f.latencyMs.p90, 1), fmt(f.latencyMs.p99, 1), span(x.range?.fixedP99, 1), fmt(f.latencyMs.max, 1), fmt(f.load.ingestLatencyMs.p99, 1),
      fmt(f.load.sendLagMs.p99, 1), fmt(systemCpu(f.cpu, f.achievedRate).cores, 2), fmt(f.cpu.otherCores, 2)];
  };
  const rl = r.rabbitLatency;
  const floorRow = rl
    ? [`raw amqplib publish → consume (prefetch ${rl.prefetch}), floor`, String(rl.sent), '—', '0', String(rl.sent - rl.received), '—',
      fmt(rl.endToEndMs.p50, 1), fmt(rl.endToEndMs.p90, 1), fmt(rl.endToEndMs.p99, 1), '', fmt(rl.endToEndMs.max, 1), fmt(rl.confirmMs.p99, 1), '—',
      fmt(systemCpu(rl.cpu, rl.rate).cores, 2), fmt(rl.cpu?.otherCores, 2)]
    : undefined;
  out.push(table(['system', 'sent', 'delivered/s', 'ingest errors', 'lost', 'dupes', 'p50 ms', 'p90 ms', 'p99 ms', 'rounds', 'max ms', '202 p99 ms', 'gen lag p99 ms', 'cores', 'other cores'],
    [...(floorRow ? [floorRow] : []), frRow(r.hookbridge), frRow(r.bullmq)]));

  const b = r.hookbridge.backlog;
  out.push('', `(c) Backlog — ${b ? thousands(b.messages) : '—'} messages accepted into the e2e channel with delivery stopped (${s.clients} clients), then drained with no ingest; run last, so the receiver's memory reflects the whole run`);
  const cpu = cpuPerDelivered(r);
  const recv = b?.memory[HOOKBRIDGE_RECEIVER];
  out.push(table(['system', 'accepted', 'fill req/s', 'fill µs/msg', 'delivered', 'lost', 'dupes', 'bad sig', 'drain s', 'drain msg/s', 'drain µs/msg', 'receiver RSS', 'peak', 'other cores'], [b
    ? [r.hookbridge.label, String(b.fill.ok), fmt(b.fill.rate), fmt(usPer(b.fillCpu, b.fill.ok)), String(b.delivered), String(b.lost), String(b.duplicates), String(b.badSignature),
      fmt(b.drainMs / 1000, 1), fmt(b.drainRate), fmt(cpu.drainUs), fmt(recv?.rssMiB), fmt(recv?.peakMiB), fmt(Math.max(b.fillCpu.otherCores, b.drainCpu.otherCores), 2)]
    : [r.hookbridge.label, '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', r.hookbridge.error ?? 'not run']]));
  out.push(`CPU per delivered message = ${fmt(cpu.ingestUs)} µs per accepted message (${cpu.ingestFrom ?? 'not measured'}) + ${fmt(cpu.drainUs)} µs per delivered message while draining = ${fmt(cpu.totalUs)} µs (receiver + connector + RabbitMQ; RSS in MiB)`);

  out.push('', 'Memory — resident set of each server process after its phases (MiB, now / peak)');
  const memRows: string[][] = [];
  for (const x of [r.hookbridge, r.bullmq]) {
    for (const [proc, m] of Object.entries(x.memory ?? {})) memRows.push([x.label, proc, fmt(m.rssMiB), fmt(m.peakMiB)]);
  }
  if (rc?.memory) memRows.push(['ceiling', 'raw amqplib publisher', fmt(rc.memory.rssMiB), fmt(rc.memory.peakMiB)]);
  out.push(table(['system', 'process', 'RSS', 'peak'], memRows));

  out.push('', 'CPU per message by process (µs; ingest and backlog fill: per accepted request; fixed rate: per message ingested and delivered; backlog drain: per message delivered)');
  const cpuRows: string[][] = [];
  for (const x of [r.hookbridge, r.bullmq]) {
    const bl = x.backlog;
    const phases: [string, CpuUse | undefined, number | undefined][] = [
      ['ingest', x.ingest?.cpu, x.ingest?.rate], ['fixed rate', x.fixedRate?.cpu, x.fixedRate?.achievedRate],
      ['backlog fill', bl?.fillCpu, bl ? bl.fill.ok / bl.fillCpu.seconds : undefined], ['backlog drain', bl?.drainCpu, bl ? bl.delivered / bl.drainCpu.seconds : undefined]];
    const procs = new Set(phases.flatMap(([, c]) => Object.keys(c?.cores ?? {})));
    for (const proc of procs) {
      cpuRows.push([x.label, proc, ...phases.map(([, c, rate]) => (c && rate && c.cores[proc] !== undefined ? fmt((c.cores[proc] / rate) * 1e6) : '—'))]);
    }
  }
  out.push(table(['system', 'process', 'ingest', 'fixed rate', 'backlog fill', 'backlog drain'], cpuRows));

  out.push('', 'Issue 12 figures (information only; a MISS never fails the run; MiB = 2^20 bytes)');
  out.push(table(['figure', 'measured', 'target', 'result'], verdicts(r).map((v) => [v.figure, v.value, v.target, v.pass === undefined ? 'n/a' : v.pass ? 'PASS' : 'MISS']), true));
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
