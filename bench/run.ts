// `make bench`: one run on this machine measuring (a) ingest throughput with confirms and (b) end-to-end
// throughput and latency, Hookbridge vs. a BullMQ + Redis baseline, with the load generator's own
// ceiling and raw RabbitMQ publish-confirm rate as yardsticks. Prints a table and writes
// bench/results/latest.json. Wiring only: the measurements live in phases.ts and ceilings.ts.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFlags, usage } from '../shared/process/flags.ts';
import { mintSigningSecret } from '../shared/standard-webhooks.ts';
import { measureGenerator, measureRabbitCeiling, measureRabbitLatency } from './ceilings.ts';
import { BODY_BYTES } from './lib/payload.ts';
import type { CpuUse } from './lib/cpu.ts';
import { memoryOf } from './lib/proc.ts';
import { startBenchRabbit, type BenchRabbit } from './lib/rabbit.ts';
import { REDIS_DURABILITY, startRedis, type Redis } from './lib/redis.ts';
import { render, type BenchResults } from './lib/report.ts';
import type { Timing } from './phases.ts';
import { measureIdleStreams } from './idle-streams.ts';
import { runRounds, type Contender } from './rounds.ts';
import { startBullmq } from './systems/bullmq.ts';
import { startDestination, type Destination } from './systems/destination.ts';
import { startHookbridge } from './systems/hookbridge.ts';

const spec = {
  'bench-seconds': { type: 'number', default: 6, help: 'measured seconds per round' },
  'bench-warmup': { type: 'number', default: 1, help: 'warm-up seconds before each round' },
  'bench-fixed-warmup': { type: 'number', default: 30, help: 'seconds each system runs at the fixed rate, unmeasured, before its first fixed-rate round (0: none)' },
  'bench-rounds': { type: 'number', default: 3, help: 'interleaved rounds per phase and system (the median is reported)' },
  'bench-clients': { type: 'number', default: 64, help: 'concurrent HTTP clients in closed-loop phases' },
  'bench-rate': { type: 'number', default: 1000, help: 'offered rate (msg/s) of the fixed-rate phase' },
  'bench-concurrency': { type: 'number', default: 10, help: 'delivery concurrency of both systems (BullMQ Worker concurrency; Subscription delivery.concurrency = stream window)' },
  'bench-window': { type: 'number', default: 1000, help: 'unconfirmed publishes in flight for the raw RabbitMQ ceiling' },
  'bench-only': { type: 'list', help: 'systems to run: hookbridge, bullmq (default both)' },
  'bench-phases': { type: 'list', help: 'phases to run: ingest, saturation, fixed, backlog, idle-streams (default all; backlog and idle-streams are Hookbridge only and run last)' },
  'bench-idle-streams': { type: 'number', default: 10_000, help: 'idle WebSocket streams the idle-streams phase opens on one receiver' },
  'bench-backlog': { type: 'number', default: 250_000, help: 'messages the backlog phase queues with delivery stopped, then drains' },
  'bench-node-args': { type: 'string', default: '', help: 'extra node flags for the Hookbridge receiver and connector, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"' },
  'bench-keep-logs': { type: 'boolean', default: false, help: 'keep the run directory (every process log) even when the run had no error' },
  'bench-out': { type: 'string', default: path.join(import.meta.dirname, 'results', 'latest.json'), help: 'where to write the JSON results' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

const flags = parseFlags(spec, process.argv.slice(2));
if (flags.help) { process.stdout.write(usage('bench', 'ingest and end-to-end vs. BullMQ + Redis and raw RabbitMQ', spec)); process.exit(0); }
const timing: Timing = { warmupMs: flags['bench-warmup'] * 1000, durationMs: flags['bench-seconds'] * 1000, clients: flags['bench-clients'] };
const listOf = (values: string[], all: string[]): Set<string> => {
  const picked = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  return new Set(picked.length ? picked : all);
};
const only = listOf(flags['bench-only'], ['hookbridge', 'bullmq']);
const phases = listOf(flags['bench-phases'], ['ingest', 'saturation', 'fixed', 'backlog', 'idle-streams']);
const drainMs = 15_000;
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-bench-'));
const log = (msg: string): void => { process.stderr.write(`bench: ${msg}\n`); };

const results: BenchResults = {
  startedAt: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, memoryGiB: os.totalmem() / 2 ** 30, loadavgAtStart: os.loadavg() },
  settings: {
    clients: timing.clients, concurrency: flags['bench-concurrency'], rounds: flags['bench-rounds'], warmupMs: timing.warmupMs, durationMs: timing.durationMs, rate: flags['bench-rate'], fixedWarmupMs: flags['bench-fixed-warmup'] * 1000, bodyBytes: BODY_BYTES,
    rabbitmq: 'Debian rabbitmq-server via test/harness/rabbitmq.ts; quorum queues, persistent messages, publisher confirms',
    redis: `redis-server ${REDIS_DURABILITY} (AOF fsync once per second: up to ~1 s of acknowledged jobs can be lost on a crash)`,
  },
  hookbridge: { label: 'Hookbridge' },
  bullmq: { label: 'BullMQ + Redis' },
  notes: [],
};

function phaseCpu(r: BenchResults): CpuUse[] {
  const all = [r.generator?.cpu, r.rabbitCeiling?.cpu, r.rabbitAtClients?.cpu, r.rabbitLatency?.cpu];
  for (const x of [r.hookbridge, r.bullmq]) all.push(x.ingest?.cpu, x.saturation?.cpu, x.fixedRate?.cpu, x.backlog?.fillCpu, x.backlog?.drainCpu);
  return all.filter((c): c is CpuUse => c !== undefined);
}

async function main(): Promise<void> {
  let rabbit: BenchRabbit | undefined;
  let redis: Redis | undefined;
  const contenders: Contender[] = [];
  const dests: Destination[] = [];
  try {
    log(`run dir ${runDir}`);
    log('load generator ceiling');
    results.generator = await measureGenerator(runDir, timing.clients, timing.warmupMs, Math.min(timing.durationMs, 5_000));

    log('starting RabbitMQ');
    rabbit = await startBenchRabbit();
    if (only.has('hookbridge') && phases.has('idle-streams')) {
      // First, on a broker nothing has used yet: a receiver started later replays the run's message
      // history from the events stream (measured: 551 MiB before any stream, after a full run).
      log(`${flags['bench-idle-streams']} idle streams on one receiver`);
      try {
        results.idleStreams = await measureIdleStreams(runDir, rabbit, { streams: flags['bench-idle-streams'], log: (m) => log(`idle streams: ${m}`) });
      } catch (err) {
        results.idleStreams = { streams: flags['bench-idle-streams'], open: 0, receiverRssBeforeMiB: 0, receiverRssMiB: 0, error: String(err instanceof Error ? err.message : err).split('\n')[0] };
      }
    }
    log('raw RabbitMQ publish-confirm ceiling');
    try {
      results.rabbitCeiling = await measureRabbitCeiling(runDir, rabbit, flags['bench-window'], timing.warmupMs, timing.durationMs);
      results.rabbitAtClients = await measureRabbitCeiling(runDir, rabbit, timing.clients, timing.warmupMs, timing.durationMs);
      if (phases.has('fixed')) {
        log(`raw RabbitMQ publish → consume at ${flags['bench-rate']} msg/s`);
        results.rabbitLatency = await measureRabbitLatency(runDir, rabbit, flags['bench-rate'], flags['bench-concurrency'], timing.warmupMs, timing.durationMs);
      }
    } catch (err) {
      results.rabbitCeiling = { rate: 0, confirmed: 0, nacked: 0, window: flags['bench-window'], memory: { rssMiB: 0, peakMiB: 0, processes: 0 }, error: String(err).split('\n')[0] };
    }

    // Both systems stay up for the whole run; rounds alternate between them.
    const concurrency = flags['bench-concurrency'];
    if (only.has('hookbridge')) {
      const secret = mintSigningSecret();
      const dest = await startDestination(runDir, 'destination-hookbridge', 'standard-webhooks', secret);
      dests.push(dest);
      try {
        contenders.push({ results: results.hookbridge, sys: await startHookbridge(runDir, rabbit, { url: dest.url, secret }, { concurrency, nodeArgs: flags['bench-node-args'].split(' ').filter(Boolean) }), dest, backlog: true });
      } catch (err) { results.hookbridge.error = String(err instanceof Error ? err.message : err).split('\n')[0]; }
    }
    if (only.has('bullmq')) {
      const secret = randomBytes(24).toString('hex');
      redis = await startRedis(runDir);
      const dest = await startDestination(runDir, 'destination-bullmq', 'hmac-sha256', secret);
      dests.push(dest);
      try {
        contenders.push({ results: results.bullmq, sys: await startBullmq(runDir, redis, { url: dest.url, secret }, concurrency), dest });
      } catch (err) { results.bullmq.error = String(err instanceof Error ? err.message : err).split('\n')[0]; }
    }

    await runRounds(contenders, { rounds: flags['bench-rounds'], timing, rate: flags['bench-rate'], fixedWarmupMs: flags['bench-fixed-warmup'] * 1000, drainMs, backlog: flags['bench-backlog'], phases, log });

    for (const c of contenders) c.results.memory = memoryOf({ ...c.sys.pids(), destination: c.dest.pid });
    if (rabbit.pid !== undefined) results.notes.push('RabbitMQ memory is in the Hookbridge rows (rabbitmq-server); it also served the raw ceilings.');
    const noisy = Math.max(0, ...phaseCpu(results).map((c) => c.otherCores));
    if (noisy > 0.25) {
      results.notes.push(`other work on the machine used up to ${noisy.toFixed(2)} of ${results.machine.cpus} cores during a phase: absolute rates and latencies are disturbed (interleaved rounds keep the comparison fair); rerun on an idle machine for absolute figures`);
    }
  } finally {
    results.finishedAt = new Date().toISOString();
    for (const c of contenders) await c.sys.stop().catch(() => {});
    for (const d of dests) await d.stop().catch(() => {});
    await redis?.stop();
    await rabbit?.stop();
    fs.mkdirSync(path.dirname(flags['bench-out']), { recursive: true });
    fs.writeFileSync(flags['bench-out'], `${JSON.stringify(results, null, 2)}\n`);
    console.log(render(results));
    log(`results written to ${flags['bench-out']}`);
    if (flags['bench-keep-logs'] || results.hookbridge.error || results.bullmq.error || results.rabbitCeiling?.error) log(`logs kept in ${runDir}`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  }
}

await main();
