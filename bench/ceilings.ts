// The two yardsticks: how fast the load generator can go against a server that does nothing (so it is
// not the bottleneck), and how fast raw amqplib can get publisher confirms from one quorum queue.
import path from 'node:path';
import { closedLoop, type ClosedLoopResult } from './load/closed.ts';
import { snapshot, usage, type CpuUse } from './lib/cpu.ts';
import { start, treeMemory, type Memory } from './lib/proc.ts';
import type { LatencySummary } from './lib/stats.ts';

const servers = path.join(import.meta.dirname, 'servers');

export type GeneratorCeiling = ClosedLoopResult & { memory: Memory; cpu: CpuUse };

export async function measureGenerator(runDir: string, clients: number, warmupMs: number, durationMs: number): Promise<GeneratorCeiling> {
  const child = start('trivial', path.join(servers, 'trivial.ts'), runDir, { ipc: true });
  try {
    const { port } = await child.next<{ port: number }>('ready');
    let a = snapshot({ 'no-op server': child.pid });
    const timer = setTimeout(() => { a = snapshot({ 'no-op server': child.pid }); }, warmupMs);
    const r = await closedLoop({ url: `http://127.0.0.1:${port}/webhook/bench/trivial`, clients, warmupMs, durationMs });
    clearTimeout(timer);
    const cpu = usage(a, snapshot({ 'no-op server': child.pid }));
    return { ...r, memory: treeMemory(child.pid), cpu };
  } finally {
    await child.stop();
  }
}

export interface RabbitCeiling { rate: number; confirmed: number; nacked: number; window: number; memory: Memory; cpu?: CpuUse; error?: string }

export interface RabbitLatencyFloor { rate: number; prefetch: number; sent: number; received: number; confirmMs: LatencySummary; endToEndMs: LatencySummary; cpu?: CpuUse }

/** Raw publish → quorum queue → consumer at a fixed rate: what RabbitMQ alone costs in latency. */
export async function measureRabbitLatency(runDir: string, rabbit: { url: string; pid?: number }, rate: number, prefetch: number, warmupMs: number, durationMs: number): Promise<RabbitLatencyFloor> {
  const child = start('rabbit-latency', path.join(servers, 'rabbit-ceiling.ts'), runDir, { ipc: true, env: { RABBITMQ_URL: rabbit.url } });
  const pids = () => ({ 'amqplib publisher+consumer': child.pid, 'rabbitmq-server': rabbit.pid });
  try {
    await child.next('ready');
    let a = snapshot(pids());
    const timer = setTimeout(() => { a = snapshot(pids()); }, warmupMs);
    const r = await child.request<RabbitLatencyFloor & { error?: string }>({ type: 'latency', rate, prefetch, warmupMs, durationMs }, 'latency:ok', warmupMs + durationMs + 60_000);
    clearTimeout(timer);
    const cpu = usage(a, snapshot(pids()));
    if (r.error) throw new Error(`rabbit latency: ${r.error}`);
    await child.request({ type: 'cleanup' }, 'cleanup:ok');
    return { rate: r.rate, prefetch: r.prefetch, sent: r.sent, received: r.received, confirmMs: r.confirmMs, endToEndMs: r.endToEndMs, cpu };
  } finally {
    await child.stop();
  }
}

export async function measureRabbitCeiling(runDir: string, rabbit: { url: string; pid?: number }, window: number, warmupMs: number, durationMs: number): Promise<RabbitCeiling> {
  const child = start('rabbit-ceiling', path.join(servers, 'rabbit-ceiling.ts'), runDir, { ipc: true, env: { RABBITMQ_URL: rabbit.url } });
  const pids = () => ({ 'amqplib publisher': child.pid, 'rabbitmq-server': rabbit.pid });
  try {
    await child.next('ready');
    let a = snapshot(pids());
    const timer = setTimeout(() => { a = snapshot(pids()); }, warmupMs);
    const r = await child.request<{ rate: number; confirmed: number; nacked: number; window: number; error?: string }>(
      { type: 'run', window, warmupMs, durationMs }, 'run:ok', warmupMs + durationMs + 60_000);
    clearTimeout(timer);
    const cpu = usage(a, snapshot(pids()));
    if (r.error) throw new Error(`rabbit ceiling: ${r.error}`);
    const memory = treeMemory(child.pid);
    await child.request({ type: 'cleanup' }, 'cleanup:ok');
    return { rate: r.rate, confirmed: r.confirmed, nacked: r.nacked, window: r.window, memory, cpu };
  } finally {
    await child.stop();
  }
}
