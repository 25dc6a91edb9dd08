// Turns the bench results into the printed tables and the target verdicts. Targets are information:
// a miss is printed, never turned into a failing exit code.
import type { GeneratorCeiling, RabbitCeiling, RabbitLatencyFloor } from '../ceilings.ts';
import type { ClosedLoopResult } from '../load/closed.ts';
import type { FixedRateResult, IngestResult, SaturationResult } from '../phases.ts';
import type { CpuUse } from './cpu.ts';
import type { Memory } from './proc.ts';

export interface SystemResults {
  label: string;
  ingest?: IngestResult;
  saturation?: SaturationResult;
  fixedRate?: FixedRateResult;
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
  settings: { clients: number; concurrency: number; rounds: number; warmupMs: number; durationMs: number; rate: number; bodyBytes: number; rabbitmq: string; redis: string };
  generator?: GeneratorCeiling;
  rabbitCeiling?: RabbitCeiling;
  /** The same raw publisher with only as many confirms in flight as the closed loop has clients. */
  rabbitAtClients?: RabbitCeiling;
  /** Raw publish → consume at the fixed rate: RabbitMQ's own share of end-to-end latency. */
  rabbitLatency?: RabbitLatencyFloor;
  hookbridge: SystemResults;
  bullmq: SystemResults;
  notes: string[];
}

export interface Verdict { target: string; value: string; pass: boolean | undefined }

const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b ? a / b : undefined);
const fmt = (v: number | undefined, digits = 0): string => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));

export function verdicts(r: BenchResults): Verdict[] {
  const ingest = ratio(r.hookbridge.ingest?.rate, r.bullmq.ingest?.rate);
  const e2e = ratio(r.hookbridge.saturation?.deliveredRate, r.bullmq.saturation?.deliveredRate);
  const fr = r.hookbridge.fixedRate;
  const p99 = fr?.latencyMs.p99;
  const complete = fr ? fr.missing === 0 && fr.load.errors === 0 && fr.badSignature === 0 && Object.keys(fr.load.rejected).length === 0 : false;
  const known = (v: number | undefined): v is number => v !== undefined && !Number.isNaN(v);
  return [
    { target: 'Hookbridge ingest >= 3x BullMQ ingest', value: known(ingest) ? `${ingest.toFixed(2)}x` : '—', pass: known(ingest) ? ingest >= 3 : undefined },
    { target: 'Hookbridge end-to-end >= 2x BullMQ end-to-end', value: known(e2e) ? `${e2e.toFixed(2)}x` : '—', pass: known(e2e) ? e2e >= 2 : undefined },
    {
      target: `Hookbridge p99 < 50 ms at ${r.settings.rate} msg/s (every message delivered)`,
      value: known(p99) ? `${p99.toFixed(1)} ms${complete ? '' : ' (incomplete)'}` : '—',
      pass: known(p99) ? p99 < 50 && complete : undefined,
    },
  ];
}

/** Fixed-width text table; numeric cells (and the headers of all-numeric columns) right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNum = (s: string): boolean => /^[-+]?[\d.,]+(x| ms)?$|^—$/.test(s);
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
  out.push(`load: ${s.bodyBytes} B JSON bodies; closed loop = ${s.clients} concurrent keep-alive clients; ${s.rounds} interleaved rounds per phase (A B, B A, …), each warm-up ${s.warmupMs / 1000} s + measured ${s.durationMs / 1000} s; the median round is shown with the range over rounds; delivery concurrency ${s.concurrency} (BullMQ Worker concurrency = Hookbridge Subscription concurrency = stream window)`);
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

  out.push('', 'Memory — resident set of each server process after its phases (MiB, now / peak)');
  const memRows: string[][] = [];
  for (const x of [r.hookbridge, r.bullmq]) {
    for (const [proc, m] of Object.entries(x.memory ?? {})) memRows.push([x.label, proc, fmt(m.rssMiB), fmt(m.peakMiB)]);
  }
  if (rc?.memory) memRows.push(['ceiling', 'raw amqplib publisher', fmt(rc.memory.rssMiB), fmt(rc.memory.peakMiB)]);
  out.push(table(['system', 'process', 'RSS', 'peak'], memRows));

  out.push('', 'CPU per message by process (µs; ingest: per accepted request; fixed rate: per message ingested and delivered)');
  const cpuRows: string[][] = [];
  for (const x of [r.hookbridge, r.bullmq]) {
    const phases: [string, CpuUse | undefined, number | undefined][] = [
      ['ingest', x.ingest?.cpu, x.ingest?.rate], ['fixed rate', x.fixedRate?.cpu, x.fixedRate?.achievedRate]];
    const procs = new Set(phases.flatMap(([, c]) => Object.keys(c?.cores ?? {})));
    for (const proc of procs) {
      cpuRows.push([x.label, proc, ...phases.map(([, c, rate]) => (c && rate && c.cores[proc] !== undefined ? fmt((c.cores[proc] / rate) * 1e6) : '—'))]);
    }
  }
  out.push(table(['system', 'process', 'ingest', 'fixed rate'], cpuRows));

  out.push('', 'Targets (information only; timings never fail the run)');
  out.push(table(['target', 'measured', 'result'], verdicts(r).map((v) => [v.target, v.value, v.pass === undefined ? 'n/a' : v.pass ? 'PASS' : 'MISS'])));
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
