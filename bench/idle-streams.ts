// What idle connector streams cost one receiver: `hookbridge receiver -f <manifests>` on the bench's
// RabbitMQ (bench/systems/hookbridge.ts startReceiver), N WebSocket streams opened from a separate client
// process (servers/stream-client.ts), spread over subscriptions of `perSubscription` streams each (the
// channel's maxConnections; default 100, so 10,000 streams are 100 subscriptions on 100 channels). Receiver
// RSS before any stream, then with every stream open and ~2 heartbeats idle, and the broker's RSS.
// Standalone: `node bench/idle-streams.ts --streams 10000` prints the result. Never fails on figures.
// Mind the fd limit (`ulimit -n`): the receiver and the client each hold one socket per stream.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFlags, usage } from '../shared/process/flags.ts';
import type { IdleStreamsResult } from './lib/idle-streams-result.ts';
import { start, tail, treeMemory } from './lib/proc.ts';
import { startBenchRabbit, type BenchRabbit } from './lib/rabbit.ts';
import { idleChannelOf, idleStreamManifests } from './systems/hookbridge-manifests.ts';
import { startReceiver } from './systems/hookbridge.ts';

export interface IdleStreamsOptions {
  streams: number;
  /** Streams per subscription (its channel's maxConnections, at most 1000); default 100. */
  perSubscription?: number;
  /** Stream window asked for (?window=); default 10, the Subscription default concurrency. */
  window?: number;
  /** Extra `hookbridge receiver` flags. */
  receiverArgs?: string[];
  /** How long the streams stay idle before the measurement (default two heartbeats + 2 s). */
  idleMs?: number;
  /** Extra node flags for the receiver, e.g. `--heapsnapshot-signal=SIGUSR2`. */
  receiverNodeArgs?: string[];
  log?: (msg: string) => void;
}

const CLIENT = path.join(import.meta.dirname, 'servers', 'stream-client.ts');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (n: number): number => Math.round(n * 10) / 10;

interface OpenReply { hello: number; failed: number; failures: Record<string, number>; heartbeatMs?: number; error?: string }
interface StatusReply { open: number; closed: Record<string, number>; error?: string }

export async function measureIdleStreams(runDir: string, rabbit: BenchRabbit, opts: IdleStreamsOptions): Promise<IdleStreamsResult> {
  const log = opts.log ?? (() => {});
  const per = Math.min(1000, Math.max(1, opts.perSubscription ?? 100));
  const subscriptions = Math.ceil(opts.streams / per);
  const dir = path.join(runDir, 'idle-streams');
  fs.mkdirSync(path.join(dir, 'manifests'), { recursive: true });
  const tokens = Array.from({ length: subscriptions }, () => `hbt_${randomBytes(32).toString('base64url')}`);
  fs.writeFileSync(path.join(dir, 'manifests', 'idle.yaml'), idleStreamManifests({ tokens, maxConnections: per }));

  log(`receiver with ${subscriptions} channels × 1 subscription, maxConnections ${per}`);
  const receiver = await startReceiver(runDir, rabbit, { dir, extraArgs: opts.receiverArgs, nodeArgs: opts.receiverNodeArgs });
  const client = start('idle-streams-client', CLIENT, runDir, { ipc: true });
  const result: IdleStreamsResult = { streams: opts.streams, open: 0, receiverRssBeforeMiB: 0, receiverRssMiB: 0 };
  try {
    await client.next('ready');
    await sleep(2_000); // past start-up allocations
    result.receiverRssBeforeMiB = mib(treeMemory(receiver.child.pid).rssMiB);
    log(`receiver RSS before: ${result.receiverRssBeforeMiB} MiB (${await heapOf(receiver.url)}); opening ${opts.streams} streams`);

    const targets = tokens.map((token, i) => ({ channel: idleChannelOf(i), token, count: Math.min(per, opts.streams - i * per) }));
    const t0 = performance.now();
    const opened = await client.request<OpenReply>({ type: 'open', url: receiver.url, targets, window: opts.window ?? 10, parallel: 100 }, 'open:ok', 30 * 60_000);
    if (opened.error) throw new Error(`stream client: ${opened.error}`);
    log(`${opened.hello} hello frames, ${opened.failed} failed, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const idleMs = opts.idleMs ?? 2 * (opened.heartbeatMs ?? 15_000) + 2_000;
    log(`idle for ${idleMs / 1000} s (heartbeat ${(opened.heartbeatMs ?? 15_000) / 1000} s)`);
    await sleep(idleMs);
    const status = await client.request<StatusReply>({ type: 'status' }, 'status:ok');
    if (!receiver.child.alive()) throw new Error(`the receiver exited:\n${tail(receiver.child.log)}`);
    result.open = status.open;
    result.receiverRssMiB = mib(treeMemory(receiver.child.pid).rssMiB);
    log(`receiver RSS with the streams: ${result.receiverRssMiB} MiB (${await heapOf(receiver.url)})`);
    if (rabbit.pid !== undefined) result.brokerRssMiB = mib(treeMemory(rabbit.pid).rssMiB);
    if (result.open < opts.streams) result.error = explain(opened, status, receiver.child.log);
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await client.request({ type: 'close' }, 'close:ok', 120_000).catch(() => {});
    await client.stop();
    await receiver.child.stop();
  }
  return result;
}

/** The receiver's V8 heap and external memory, from its own /metrics (prom-client's nodejs_* gauges). */
async function heapOf(url: string): Promise<string> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const gauge = (name: string): number => Number(/^(\S+) (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(`hookbridge_nodejs_${name} `)) ?? '')?.[2] ?? NaN) / 2 ** 20;
    return `heap used ${gauge('heap_size_used_bytes').toFixed(1)} of ${gauge('heap_size_total_bytes').toFixed(1)} MiB, external ${gauge('external_memory_bytes').toFixed(1)} MiB`;
  } catch (err) { return `no heap figures: ${(err as Error).message}`; }
}

/** Why streams are missing: how they failed or ended, and the receiver's first reason for it. */
function explain(opened: OpenReply, status: StatusReply, receiverLog: string): string {
  const parts: string[] = [];
  const list = (m: Record<string, number>): string => Object.entries(m).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} × ${k}`).join('; ');
  if (opened.failed > 0) parts.push(`${opened.failed} never got a hello (${list(opened.failures)})`);
  const ended = Object.values(status.closed).reduce((a, b) => a + b, 0);
  if (ended > 0) parts.push(`${ended} closed after their hello (${list(status.closed)})`);
  const why = firstLogError(receiverLog);
  if (why) parts.push(`receiver: ${why}`);
  return parts.join('; ') || 'fewer streams open than asked for';
}

/** The first consume failure (or other warning) the receiver logged, as "msg: err". */
function firstLogError(file: string): string | undefined {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return undefined; }
  const lines = text.split('\n').filter(Boolean);
  const pick = lines.find((l) => l.includes('could not consume')) ?? lines.find((l) => /"level":(40|50)|warn|error/i.test(l));
  if (!pick) return undefined;
  try {
    const j = JSON.parse(pick) as { msg?: string; err?: string };
    return [j.msg, j.err].filter(Boolean).join(': ');
  } catch { return pick.slice(0, 300); }
}

if (import.meta.main) {
  const spec = {
    streams: { type: 'number', default: 10_000, help: 'WebSocket streams to open' },
    'per-subscription': { type: 'number', default: 100, help: 'streams per subscription (its channel\'s maxConnections, at most 1000)' },
    window: { type: 'number', default: 10, help: 'window each stream asks for' },
    'idle-seconds': { type: 'number', help: 'seconds idle before the measurement (default two heartbeats + 2)' },
    'receiver-args': { type: 'string', default: '', help: 'extra hookbridge receiver flags, space-separated' },
    'receiver-node-args': { type: 'string', default: '', help: 'extra node flags for the receiver, e.g. "--heapsnapshot-signal=SIGUSR2"' },
    help: { type: 'boolean', short: 'h', help: 'show this help' },
  } as const;
  const flags = parseFlags(spec, process.argv.slice(2));
  if (flags.help) { process.stdout.write(usage('idle-streams', 'receiver and broker memory with N idle connector streams', spec)); process.exit(0); }
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-idle-streams-'));
  const log = (msg: string): void => { process.stderr.write(`idle-streams: ${msg}\n`); };
  log(`run dir ${runDir}`);
  const rabbit = await startBenchRabbit();
  try {
    const r = await measureIdleStreams(runDir, rabbit, {
      streams: flags.streams, perSubscription: flags['per-subscription'], window: flags.window,
      ...(flags['idle-seconds'] !== undefined && { idleMs: flags['idle-seconds'] * 1000 }),
      receiverArgs: flags['receiver-args'].split(' ').filter(Boolean), receiverNodeArgs: flags['receiver-node-args'].split(' ').filter(Boolean), log,
    });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    const perStream = r.open > 0 ? ((r.receiverRssMiB - r.receiverRssBeforeMiB) * 1024 / r.open).toFixed(1) : '-';
    process.stdout.write(`${r.open}/${r.streams} streams open; receiver RSS ${r.receiverRssBeforeMiB} → ${r.receiverRssMiB} MiB (${perStream} KiB per stream); broker RSS ${r.brokerRssMiB ?? '?'} MiB${r.error ? `\nerror: ${r.error}` : ''}\n`);
  } finally {
    await rabbit.stop();
  }
}
