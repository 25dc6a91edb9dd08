// Turns the bench results into the printed tables and the target verdicts. Targets are information:
// a miss is printed, never turned into a failing exit code.
import type { ClosedLoopResult } from '../load/closed.ts';
import type { FixedRateResult, SaturationResult } from '../phases.ts';
import type { Memory } from './proc.ts';

export interface SystemResults {
  label: string;
  ingest?: ClosedLoopResult;
  saturation?: SaturationResult;
  fixedRate?: FixedRateResult;
  memory?: Record<string, Memory>;
  error?: string;
}

export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  machine: { cpus: number; model: string; node: string; memoryGiB: number };
  settings: { clients: number; warmupMs: number; durationMs: number; rate: number; bodyBytes: number; rabbitmq: string; redis: string };
  generator?: ClosedLoopResult & { memory: Memory };
  rabbitCeiling?: { rate: number; confirmed: number; nacked: number; window: number; memory: Memory; error?: string };
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
  const complete = fr ? fr.missing === 0 && fr.load.errors === 0 && fr.badSignature === 0 : false;
  return [
    { target: 'Hookbridge ingest >= 3x BullMQ ingest', value: ingest === undefined ? '—' : `${ingest.toFixed(2)}x`, pass: ingest === undefined ? undefined : ingest >= 3 },
    { target: 'Hookbridge end-to-end >= 2x BullMQ end-to-end', value: e2e === undefined ? '—' : `${e2e.toFixed(2)}x`, pass: e2e === undefined ? undefined : e2e >= 2 },
    {
      target: `Hookbridge p99 < 50 ms at ${r.settings.rate} msg/s (every message delivered)`,
      value: p99 === undefined || Number.isNaN(p99) ? '—' : `${p99.toFixed(1)} ms${complete ? '' : ' (incomplete)'}`,
      pass: p99 === undefined || Number.isNaN(p99) ? undefined : p99 < 50 && complete,
    },
  ];
}

/** Fixed-width text table; numbers right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNum = (s: string): boolean => /^[-+]?[\d.,]+(x| ms)?$|^—$/.test(s);
  const line = (cells: string[]): string => cells.map((c, i) => (i > 0 && isNum(c) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const rejections = (r: { rejected: Record<string, number>; errors: number }): string => {
  const parts = Object.entries(r.rejected).map(([code, n]) => `${n}×${code}`);
  if (r.errors) parts.push(`${r.errors}×net`);
  return parts.length ? parts.join(' ') : '0';
};

export function render(r: BenchResults): string {
  const s = r.settings;
  const out: string[] = [];
  out.push(`Hookbridge bench — ${r.startedAt}`);
  out.push(`machine: ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB.toFixed(0)} GiB, node ${r.machine.node}`);
  out.push(`RabbitMQ: ${s.rabbitmq}`);
  out.push(`Redis: ${s.redis}`);
  out.push(`load: ${s.bodyBytes} B JSON bodies; closed loop = ${s.clients} concurrent keep-alive clients; warm-up ${s.warmupMs / 1000} s, measured ${s.durationMs / 1000} s per phase`);

  out.push('', '(a) Ingest throughput — POST /webhook/{ns}/{channel} answered 202 only once durably stored, nothing consuming');
  const ingRow = (name: string, x: ClosedLoopResult | undefined, err?: string): string[] =>
    x ? [name, fmt(x.rate), fmt(x.latencyMs.p50, 1), fmt(x.latencyMs.p99, 1), rejections(x)] : [name, '—', '—', '—', err ?? 'not run'];
  out.push(table(['system', 'req/s', 'p50 ms', 'p99 ms', 'errors'], [
    ingRow('load generator → no-op server (generator ceiling)', r.generator),
    r.rabbitCeiling && !r.rabbitCeiling.error
      ? ['raw amqplib → 1 quorum queue, confirms pipelined ' + `(${r.rabbitCeiling.window} in flight)`, fmt(r.rabbitCeiling.rate), '—', '—', String(r.rabbitCeiling.nacked)]
      : ['raw amqplib → 1 quorum queue (ceiling)', '—', '—', '—', r.rabbitCeiling?.error ?? 'not run'],
    ingRow('Hookbridge receiver → RabbitMQ (confirms)', r.hookbridge.ingest, r.hookbridge.error),
    ingRow('BullMQ baseline: express → queue.add → Redis', r.bullmq.ingest, r.bullmq.error),
  ]));

  out.push('', `(b1) End-to-end throughput at saturation — ${s.clients} clients posting while delivery runs (destination verifies signatures)`);
  const satRow = (x: SystemResults): string[] => x.saturation
    ? [x.label, fmt(x.saturation.ingest.rate), fmt(x.saturation.deliveredRate), String(x.saturation.badSignature), rejections(x.saturation.ingest)]
    : [x.label, '—', '—', '—', x.error ?? 'not run'];
  out.push(table(['system', 'ingested/s', 'delivered/s', 'bad sig', 'ingest errors'], [satRow(r.hookbridge), satRow(r.bullmq)]));

  out.push('', `(b2) End-to-end at a fixed offered rate of ${s.rate} msg/s — open loop; latency = scheduled send → destination received`);
  const frRow = (x: SystemResults): string[] => {
    const f = x.fixedRate;
    if (!f) return [x.label, '—', '—', '—', '—', '—', '—', '—', '—', '—', x.error ?? 'not run'];
    return [x.label, String(f.load.sent), fmt(f.achievedRate), rejections(f.load), String(f.missing + f.badSignature), String(f.duplicates),
      fmt(f.latencyMs.p50, 1), fmt(f.latencyMs.p90, 1), fmt(f.latencyMs.p99, 1), fmt(f.latencyMs.max, 1), fmt(f.load.sendLagMs.p99, 1)];
  };
  out.push(table(['system', 'sent', 'delivered/s', 'ingest errors', 'lost', 'dupes', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'gen lag p99 ms'],
    [frRow(r.hookbridge), frRow(r.bullmq)]));

  out.push('', 'Memory — resident set of each server process after its phases (MiB, now / peak)');
  const memRows: string[][] = [];
  for (const x of [r.hookbridge, r.bullmq]) {
    for (const [proc, m] of Object.entries(x.memory ?? {})) memRows.push([x.label, proc, fmt(m.rssMiB), fmt(m.peakMiB)]);
  }
  if (r.rabbitCeiling?.memory) memRows.push(['ceiling', 'raw amqplib publisher', fmt(r.rabbitCeiling.memory.rssMiB), fmt(r.rabbitCeiling.memory.peakMiB)]);
  out.push(table(['system', 'process', 'RSS', 'peak'], memRows));

  out.push('', 'Targets (information only; timings never fail the run)');
  out.push(table(['target', 'measured', 'result'], verdicts(r).map((v) => [v.target, v.value, v.pass === undefined ? 'n/a' : v.pass ? 'PASS' : 'MISS'])));
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
