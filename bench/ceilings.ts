// The two yardsticks: how fast the load generator can go against a server that does nothing (so it is
// not the bottleneck), and how fast raw amqplib can get publisher confirms from one quorum queue.
import path from 'node:path';
import { closedLoop, type ClosedLoopResult } from './load/closed.ts';
import { start, treeMemory, type Memory } from './lib/proc.ts';

const servers = path.join(import.meta.dirname, 'servers');

export async function measureGenerator(runDir: string, clients: number, warmupMs: number, durationMs: number): Promise<ClosedLoopResult & { memory: Memory }> {
  const child = start('trivial', path.join(servers, 'trivial.ts'), runDir, { ipc: true });
  try {
    const { port } = await child.next<{ port: number }>('ready');
    const r = await closedLoop({ url: `http://127.0.0.1:${port}/webhook/bench/trivial`, clients, warmupMs, durationMs });
    return { ...r, memory: treeMemory(child.pid) };
  } finally {
    await child.stop();
  }
}

export interface RabbitCeiling { rate: number; confirmed: number; nacked: number; window: number; memory: Memory }

export async function measureRabbitCeiling(runDir: string, rabbitUrl: string, window: number, warmupMs: number, durationMs: number): Promise<RabbitCeiling> {
  const child = start('rabbit-ceiling', path.join(servers, 'rabbit-ceiling.ts'), runDir, { ipc: true, env: { RABBITMQ_URL: rabbitUrl } });
  try {
    await child.next('ready');
    const r = await child.request<{ rate: number; confirmed: number; nacked: number; window: number; error?: string }>(
      { type: 'run', window, warmupMs, durationMs }, 'run:ok', warmupMs + durationMs + 60_000);
    if (r.error) throw new Error(`rabbit ceiling: ${r.error}`);
    const memory = treeMemory(child.pid);
    await child.request({ type: 'cleanup' }, 'cleanup:ok');
    return { ...r, memory };
  } finally {
    await child.stop();
  }
}
