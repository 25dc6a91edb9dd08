import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BacklogResult, FixedRateResult, IngestResult, SaturationResult } from '../phases.ts';
import type { CpuUse } from './cpu.ts';
import type { Memory } from './proc.ts';
import { cpuPerDelivered, render, systemCpu, table, verdicts, type BenchResults } from './report.ts';
import { summarize } from './stats.ts';

const cpu = (cores: Record<string, number>, seconds = 10): CpuUse => ({ seconds, cores, generatorCores: 0.5, benchCores: 1.8, otherCores: 0.1 });
const ingest = (rate: number): IngestResult => ({
  clients: 64, windowMs: 10_000, ok: rate * 10, rate, rejected: {}, errors: 0, latencyMs: summarize([1, 2, 3]), sent: rate * 10, seqEnd: 0,
  cpu: cpu({ server: 1, broker: 0.5 }),
});
const saturation = (deliveredRate: number): SaturationResult => ({ ingest: ingest(deliveredRate * 2), delivered: deliveredRate * 10, deliveredRate, badSignature: 0, cpu: cpu({ a: 1, destination: 0.3 }) });
const fixed = (p99: number, missing = 0): FixedRateResult => ({
  load: { rate: 1000, measuredFrom: 0, seqEnd: 0, firstScheduledAt: 0, lastScheduledAt: 0, sent: 10_000, accepted: 10_000, rejected: {}, errors: 0,
    ingestLatencyMs: summarize([1]), sendLagMs: summarize([0.1]) },
  delivered: 10_000 - missing, missing, duplicates: 0, badSignature: 0, achievedRate: 1000, latencyMs: summarize([1, p99]), cpu: cpu({ a: 1 }),
});
const mem = (rssMiB: number): Memory => ({ rssMiB, peakMiB: rssMiB + 50, processes: 1 });
// 250,000 messages drained in 100 s: `drainCores` of Hookbridge processes is drainCores × 400 µs per delivered message.
const backlog = (drainCores: number, delivered = 250_000, receiverRss = 250): BacklogResult => ({
  messages: 250_000,
  fill: { clients: 64, windowMs: 50_000, ok: 250_000, rate: 5000, rejected: {}, errors: 0, latencyMs: summarize([1]), sent: 250_000, seqEnd: 0 },
  fillCpu: cpu({ 'hookbridge receiver': 0.6, 'rabbitmq-server': 0.4 }, 50),
  delivered, lost: 250_000 - delivered, duplicates: 0, badSignature: 0, drainMs: 100_000, drainRate: delivered / 100,
  drainCpu: cpu({ 'hookbridge receiver': drainCores / 2, 'hookbridge connector': drainCores / 2, destination: 0.5 }, 100),
  memory: { 'hookbridge receiver': mem(receiverRss), 'rabbitmq-server': mem(500) },
});
const rabbitAt = (rate: number) => ({ rate, confirmed: rate * 10, nacked: 0, window: 64, memory: mem(100) });
const idle = (receiverRssMiB: number, open = 10_000, streams = 10_000) => ({ streams, open, receiverRssBeforeMiB: 100, receiverRssMiB });

// Ingest in base(): 1.5 cores at 9,000/s = 166.7 µs per accepted message. Every figure passes.
const base = (): BenchResults => ({
  startedAt: 'now', machine: { cpus: 2, model: 'cpu', node: 'v24', memoryGiB: 8, loadavgAtStart: [0, 0, 0] },
  settings: { clients: 64, concurrency: 10, rounds: 3, warmupMs: 2000, durationMs: 10_000, rate: 1000, bodyBytes: 1024, rabbitmq: 'r', redis: 'x' },
  rabbitAtClients: rabbitAt(12_000),
  idleStreams: idle(350),
  hookbridge: { label: 'Hookbridge', ingest: ingest(9000), saturation: saturation(1500), fixedRate: fixed(8), backlog: backlog(0.4) },
  bullmq: { label: 'BullMQ + Redis', ingest: ingest(3000), saturation: saturation(1000), fixedRate: fixed(200) },
  notes: [],
});
const passes = (r: BenchResults): (boolean | undefined)[] => verdicts(r).map((v) => v.pass);

test('issue-12 verdicts: every figure can pass', () => {
  const v = verdicts(base());
  assert.deepEqual(v.map((x) => x.pass), [true, true, true, true, true, true]);
  assert.deepEqual(v.map((x) => x.target), ['≤ 0.35 ms', '≥ 1.3x', '≥ 60 %', '≤ 10 ms', '≤ 300 MiB', '≤ 400 MiB']);
  assert.deepEqual(v.map((x) => x.value), [
    '0.327 ms = 167 µs ingest + 160 µs drain', '1.50x', '75 % (9000 / 12000 req/s)', '8.0 ms', '250 MiB', '350 MiB']);
});

test('CPU per delivered message: ingest phase + backlog drain, the backlog fill standing in for a missing ingest phase', () => {
  const c = cpuPerDelivered(base());
  assert.equal(c.ingestFrom, 'ingest phase');
  assert.equal(Math.round(c.ingestUs ?? 0), 167); // (1 + 0.5) cores × 10 s / 90,000 accepted
  assert.equal(Math.round(c.drainUs ?? 0), 160); // 0.4 cores × 100 s / 250,000 delivered; destination left out
  const r = base();
  delete r.hookbridge.ingest;
  const fill = cpuPerDelivered(r);
  assert.equal(fill.ingestFrom, 'backlog fill');
  assert.equal(Math.round(fill.ingestUs ?? 0), 200); // 1 core × 50 s / 250,000 accepted
  assert.equal(verdicts(r)[0].value, '0.360 ms = 200 µs ingest + 160 µs drain');
  delete r.hookbridge.backlog;
  assert.deepEqual(cpuPerDelivered(r), { ingestUs: undefined, ingestFrom: undefined, drainUs: undefined, totalUs: undefined });
});

test('issue-12 verdicts: each figure misses', () => {
  const r = base();
  r.hookbridge.backlog = backlog(0.5, 250_000, 301); // 167 + 200 µs
  r.hookbridge.saturation = saturation(1250); // 1.25x
  r.rabbitAtClients = rabbitAt(16_000); // 56 %
  r.hookbridge.fixedRate = fixed(10.5);
  r.idleStreams = idle(401);
  assert.deepEqual(passes(r), [false, false, false, false, false, false]);
  assert.equal(verdicts(r)[0].value, '0.367 ms = 167 µs ingest + 200 µs drain');
});

test('issue-12 verdicts: lost messages, missing streams and short runs are never a pass', () => {
  const r = base();
  r.hookbridge.fixedRate = fixed(5, 3); // fast but lost messages
  r.idleStreams = idle(200, 9_000); // cheap because a tenth of the streams never opened
  r.hookbridge.backlog = backlog(0.1, 20_000, 100); // a short backlog says nothing about 250k
  const v = verdicts(r);
  assert.deepEqual(v.slice(3).map((x) => x.pass), [false, undefined, false]);
  assert.equal(v[3].value, '5.0 ms (incomplete)');
  assert.equal(v[4].value, '100 MiB (only 20,000 delivered)');
  assert.equal(v[5].value, '200 MiB (9,000/10,000 streams)');
  r.idleStreams = idle(50, 100, 100);
  assert.equal(verdicts(r)[5].pass, undefined);
  assert.equal(verdicts(r)[5].value, '50 MiB (fewer streams than the target)');
});

test('issue-12 verdicts: n/a for every figure not measured', () => {
  const r = base();
  delete r.hookbridge.ingest;
  delete r.hookbridge.fixedRate;
  delete r.hookbridge.backlog;
  delete r.bullmq.saturation;
  delete r.idleStreams;
  r.rabbitAtClients = { ...rabbitAt(12_000), error: 'no broker' };
  assert.deepEqual(passes(r), [undefined, undefined, undefined, undefined, undefined, undefined]);
  assert.ok(verdicts(r).every((v) => v.value === '—'));
});

test('system CPU leaves out the shared destination and gives µs per message', () => {
  assert.deepEqual(systemCpu(cpu({ receiver: 0.6, broker: 0.4, destination: 0.5 }), 2000), { cores: 1, usPerMsg: 500 });
  assert.deepEqual(systemCpu(undefined, 10), {});
});

test('render prints every section with the figures and verdicts', () => {
  const text = render(base());
  for (const section of ['(a) Ingest', '(b1) End-to-end throughput at saturation', '(b2) End-to-end at a fixed offered rate of 1000 msg/s', '(c) Backlog — 250,000 messages', 'Memory', 'Issue 12 figures']) {
    assert.ok(text.includes(section), section);
  }
  assert.match(text, /Hookbridge receiver → RabbitMQ \(confirms\)\s+9000/);
  assert.match(text, /end to end at saturation vs BullMQ baseline \(delivered\/s\)\s+1\.50x\s+≥ 1\.3x\s+PASS/);
  assert.match(text, /CPU per delivered message = 167 µs per accepted message \(ingest phase\) \+ 160 µs per delivered message while draining = 327 µs/);
  assert.match(text, /10,000 idle connector streams on one receiver: receiver RSS\s+350 MiB\s+≤ 400 MiB\s+PASS/);
  assert.ok(!text.includes('undefined') && !text.includes('NaN'));
  const bare = base();
  delete bare.hookbridge.backlog;
  delete bare.idleStreams;
  const partial = render(bare);
  assert.match(partial, /receiver RSS after 250,000 messages delivered \(backlog phase\)\s+—\s+≤ 300 MiB\s+n\/a/);
  assert.ok(!partial.includes('undefined') && !partial.includes('NaN'));
});

test('tables align columns and right-align numbers', () => {
  assert.equal(table(['name', 'n'], [['a', '5'], ['bbb', '100']]), 'name    n\n----  ---\na       5\nbbb   100');
  assert.equal(table(['name', 'n'], [['a', '5'], ['bbb', '100']], true), 'name  n\n----  ---\na     5\nbbb   100');
});
