// `node bench/rabbitmq-cluster.ts`: what replication costs. The same Hookbridge (receiver + connector as
// processes, bench/systems/hookbridge.ts) on one RabbitMQ node and on the harness's three-node cluster
// (test/harness/rabbitmq-cluster.ts; quorum queues with three replicas, the receiver given every node's
// URL), measured with the bench's own phases: ingest alone (closed loop, publisher confirms) and delivery at
// saturation. Every node runs on this machine, so the three-node figures show the cost of replicating each
// message to two more nodes (and their fsyncs), not a speed-up. Prints a table; never fails on a figure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFlags, usage } from '../shared/process/flags.ts';
import { mintSigningSecret } from '../shared/standard-webhooks.ts';
import { startRabbitCluster } from '../test/harness/rabbitmq-cluster.ts';
import { startRabbit } from '../test/harness/rabbitmq.ts';
import { medianBy } from './lib/aggregate.ts';
import { pidListeningOn } from './lib/proc.ts';
import type { BenchRabbit } from './lib/rabbit.ts';
import { measureIngest, measureSaturation, type Timing } from './phases.ts';
import { startDestination } from './systems/destination.ts';
import { startHookbridge } from './systems/hookbridge.ts';

const spec = {
  'bench-seconds': { type: 'number', default: 6, help: 'measured seconds per round' },
  'bench-warmup': { type: 'number', default: 1, help: 'warm-up seconds before each round' },
  'bench-rounds': { type: 'number', default: 3, help: 'rounds per phase and setup (the median is reported)' },
  'bench-clients': { type: 'number', default: 64, help: 'concurrent HTTP clients' },
  'bench-concurrency': { type: 'number', default: 10, help: 'delivery concurrency (stream window)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

const flags = parseFlags(spec, process.argv.slice(2));
if (flags.help) { process.stdout.write(usage('bench/rabbitmq-cluster', 'ingest and delivery rates on one RabbitMQ node vs. a three-node cluster', spec)); process.exit(0); }
const timing: Timing = { warmupMs: flags['bench-warmup'] * 1000, durationMs: flags['bench-seconds'] * 1000, clients: flags['bench-clients'] };
const log = (msg: string): void => { process.stderr.write(`bench: ${msg}\n`); };

interface Row { setup: string; ingest: number; ingestP99: number; delivered: number; error?: string }

async function brokerFor(nodes: 1 | 3): Promise<BenchRabbit> {
  if (nodes === 1) {
    const r = await startRabbit();
    return { url: r.url, pid: pidListeningOn(Number(new URL(r.url).port)), stop: () => r.dispose() };
  }
  const c = await startRabbitCluster(3);
  return { url: c.url, pid: pidListeningOn(Number(new URL(c.urls[0]).port)), stop: () => c.dispose() };
}

async function measure(nodes: 1 | 3, runDir: string): Promise<Row> {
  const setup = nodes === 1 ? 'one node' : 'three nodes (quorum queues x3)';
  log(`${setup}: starting RabbitMQ`);
  const rabbit = await brokerFor(nodes);
  const secret = mintSigningSecret();
  const dest = await startDestination(runDir, `destination-${nodes}`, 'standard-webhooks', secret);
  try {
    const sys = await startHookbridge(path.join(runDir, `n${nodes}`), rabbit, { url: dest.url, secret }, { concurrency: flags['bench-concurrency'] });
    try {
      const ingest = [];
      const saturation = [];
      for (let round = 1; round <= flags['bench-rounds']; round++) {
        log(`${setup}: round ${round}/${flags['bench-rounds']}`);
        ingest.push(await measureIngest(sys, timing));
        saturation.push(await measureSaturation(sys, dest, timing));
      }
      const i = medianBy(ingest, (x) => x.rate);
      const s = medianBy(saturation, (x) => x.deliveredRate);
      return { setup, ingest: i?.rate ?? 0, ingestP99: i?.latencyMs.p99 ?? 0, delivered: s?.deliveredRate ?? 0 };
    } finally { await sys.stop(); }
  } catch (err) {
    return { setup, ingest: 0, ingestP99: 0, delivered: 0, error: String(err instanceof Error ? err.message : err).split('\n')[0] };
  } finally {
    await dest.stop().catch(() => {});
    await rabbit.stop();
  }
}

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-bench-cluster-'));
const rows: Row[] = [];
try {
  for (const nodes of [1, 3] as const) {
    fs.mkdirSync(path.join(runDir, `n${nodes}`), { recursive: true });
    rows.push(await measure(nodes, runDir));
  }
} finally {
  const pad = (s: string, n: number): string => s.padEnd(n);
  const lines = [
    `Hookbridge on RabbitMQ: one node vs. three (${os.cpus().length} cores, ${timing.clients} clients, ${flags['bench-rounds']} rounds of ${flags['bench-seconds']} s, median)`,
    `${pad('setup', 34)}${pad('ingest msg/s', 14)}${pad('ingest p99 ms', 15)}delivered msg/s`,
    ...rows.map((r) => r.error ? `${pad(r.setup, 34)}failed: ${r.error}` : `${pad(r.setup, 34)}${pad(r.ingest.toFixed(0), 14)}${pad(r.ingestP99.toFixed(1), 15)}${r.delivered.toFixed(0)}`),
    'All nodes share this machine: the difference is the cost of replication, not what a cluster of machines would do.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (rows.some((r) => r.error)) log(`logs kept in ${runDir}`); else fs.rmSync(runDir, { recursive: true, force: true });
}
