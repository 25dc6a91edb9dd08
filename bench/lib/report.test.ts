import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FixedRateResult, IngestResult, SaturationResult } from '../phases.ts';
import type { CpuUse } from './cpu.ts';
import { render, systemCpu, table, verdicts, type BenchResults } from './report.ts';
import { summarize } from './stats.ts';

const cpu = (cores: Record<string, number>): CpuUse => ({ seconds: 10, cores, generatorCores: 0.5, benchCores: 1.8, otherCores: 0.1 });
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

const base = (): BenchResults => ({
  startedAt: 'now', machine: { cpus: 2, model: 'cpu', node: 'v24', memoryGiB: 8, loadavgAtStart: [0, 0, 0] },
  settings: { clients: 64, concurrency: 10, rounds: 3, warmupMs: 2000, durationMs: 10_000, rate: 1000, bodyBytes: 1024, rabbitmq: 'r', redis: 'x' },
  hookbridge: { label: 'Hookbridge', ingest: ingest(9000), saturation: saturation(3000), fixedRate: fixed(20) },
  bullmq: { label: 'BullMQ + Redis', ingest: ingest(3000), saturation: saturation(1000), fixedRate: fixed(200) },
  notes: [],
});

test('verdicts compare Hookbridge with the baseline against the issue targets', () => {
  assert.deepEqual(verdicts(base()).map((v) => [v.value, v.pass]), [['3.00x', true], ['3.00x', true], ['20.0 ms', true]]);
  const r = base();
  r.hookbridge.ingest = ingest(8000);
  r.hookbridge.fixedRate = fixed(20, 5); // fast but lost messages: not a pass
  assert.deepEqual(verdicts(r).map((v) => v.pass), [false, true, false]);
  assert.match(verdicts(r)[2].value, /incomplete/);
  const none = base();
  delete none.hookbridge.ingest;
  delete none.hookbridge.fixedRate;
  assert.deepEqual(verdicts(none).map((v) => v.pass), [undefined, true, undefined]);
});

test('system CPU leaves out the shared destination and gives µs per message', () => {
  assert.deepEqual(systemCpu(cpu({ receiver: 0.6, broker: 0.4, destination: 0.5 }), 2000), { cores: 1, usPerMsg: 500 });
  assert.deepEqual(systemCpu(undefined, 10), {});
});

test('render prints every section with the figures and verdicts', () => {
  const text = render(base());
  for (const section of ['(a) Ingest', '(b1) End-to-end throughput at saturation', '(b2) End-to-end at a fixed offered rate of 1000 msg/s', 'Memory', 'Targets']) {
    assert.ok(text.includes(section), section);
  }
  assert.match(text, /Hookbridge receiver → RabbitMQ \(confirms\)\s+9000/);
  assert.match(text, /Hookbridge ingest >= 3x BullMQ ingest\s+3\.00x\s+PASS/);
  assert.ok(!text.includes('undefined') && !text.includes('NaN'));
});

test('tables align columns and right-align numbers', () => {
  assert.equal(table(['name', 'n'], [['a', '5'], ['bbb', '100']]), 'name    n\n----  ---\na       5\nbbb   100');
});
