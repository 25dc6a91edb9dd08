// Runs every phase as interleaved rounds — A B, then B A, … — so both systems see the same share of
// whatever else the machine is doing, then keeps the median round of each phase for the report. The
// backlog phase runs once, last, for the contenders that take part in it (Hookbridge).
import { medianBy, rangeOf } from './lib/aggregate.ts';
import type { SystemResults } from './lib/report.ts';
import { measureBacklog, measureFixedRate, measureIngest, measureSaturation, type Timing } from './phases.ts';
import type { Destination } from './systems/destination.ts';
import type { System } from './systems/types.ts';

export interface Contender {
  results: SystemResults; sys: System; dest: Destination;
  /** Takes part in the backlog phase. */
  backlog?: boolean;
}

export interface RoundPlan {
  rounds: number;
  timing: Timing;
  rate: number;
  /**
   * How long each system runs at the fixed rate, unmeasured, before its first fixed-rate round. A
   * Hookbridge that has just started had one 150-500 ms stall (202s and deliveries alike) about 10 s into
   * its first 1,000 msg/s, in every run, and rounds that improved for a minute after it (bench/RESULTS.md);
   * the rounds measure a system that has settled, as a long-running one has.
   */
  fixedWarmupMs?: number;
  drainMs: number;
  /** Messages the backlog phase fills and drains. */
  backlog: number;
  phases: ReadonlySet<string>;
  log(msg: string): void;
}

type Phase = 'ingest' | 'saturation' | 'fixed';

const failed = (c: Contender, plan: RoundPlan, err: unknown): void => {
  c.results.error = String(err instanceof Error ? err.message : err).split('\n')[0];
  plan.log(`${c.sys.name} failed: ${String(err instanceof Error ? err.stack : err)}`);
};

async function runOne(c: Contender, phase: Phase, plan: RoundPlan): Promise<void> {
  const rounds = (c.results.rounds ??= { ingest: [], saturation: [], fixedRate: [] });
  if (phase === 'ingest') rounds.ingest.push(await measureIngest(c.sys, plan.timing));
  else if (phase === 'saturation') rounds.saturation.push(await measureSaturation(c.sys, c.dest, plan.timing));
  else rounds.fixedRate.push(await measureFixedRate(c.sys, c.dest, plan.rate, plan.timing, plan.drainMs));
}

/** Median round per phase into results.ingest/saturation/fixedRate, key-figure range into results.range. */
export function summarizeRounds(r: SystemResults): void {
  const rounds = r.rounds;
  if (!rounds) return;
  r.ingest = medianBy(rounds.ingest, (x) => x.rate);
  r.saturation = medianBy(rounds.saturation, (x) => x.deliveredRate);
  r.fixedRate = medianBy(rounds.fixedRate, (x) => x.latencyMs.p99);
  r.range = {
    ingestRate: rangeOf(rounds.ingest, (x) => x.rate),
    deliveredRate: rangeOf(rounds.saturation, (x) => x.deliveredRate),
    fixedP99: rangeOf(rounds.fixedRate, (x) => x.latencyMs.p99),
  };
}

/** Each system runs `ms` at the fixed rate, unmeasured (RoundPlan.fixedWarmupMs). */
async function settleAtRate(contenders: Contender[], plan: RoundPlan, ms: number): Promise<void> {
  for (const c of contenders) {
    if (c.results.error) continue;
    plan.log(`${c.sys.name}: ${ms / 1000} s at ${plan.rate} msg/s, unmeasured, before the fixed-rate rounds`);
    try {
      await measureFixedRate(c.sys, c.dest, plan.rate, { ...plan.timing, warmupMs: 0, durationMs: ms }, plan.drainMs);
    } catch (err) { failed(c, plan, err); }
  }
}

export async function runRounds(contenders: Contender[], plan: RoundPlan): Promise<void> {
  for (const phase of ['ingest', 'saturation', 'fixed'] as const) {
    if (!plan.phases.has(phase)) continue;
    if (phase === 'fixed' && (plan.fixedWarmupMs ?? 0) > 0) await settleAtRate(contenders, plan, plan.fixedWarmupMs ?? 0);
    for (let round = 0; round < plan.rounds; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        if (c.results.error) continue;
        plan.log(`${c.sys.name}: ${phase} round ${round + 1}/${plan.rounds}`);
        try {
          await runOne(c, phase, plan);
        } catch (err) { failed(c, plan, err); }
      }
    }
  }
  for (const c of contenders) summarizeRounds(c.results);
  if (!plan.phases.has('backlog')) return;
  // Last, so the receiver's memory afterwards reflects the whole run, as a long-lived receiver's would.
  for (const c of contenders) {
    if (!c.backlog || c.results.error) continue;
    plan.log(`${c.sys.name}: backlog of ${plan.backlog} messages (fill with delivery stopped, then drain)`);
    try {
      c.results.backlog = await measureBacklog(c.sys, c.dest, plan.backlog, plan.timing.clients);
    } catch (err) { failed(c, plan, err); }
  }
}
