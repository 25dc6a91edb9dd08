// The baseline system: express + BullMQ ingest process and a BullMQ Worker process on one Redis.
import path from 'node:path';
import { start, type Child } from '../lib/proc.ts';
import type { Redis } from '../lib/redis.ts';
import type { BenchChannel, System } from './types.ts';

const servers = path.join(import.meta.dirname, '../servers');
const queueOf = (channel: BenchChannel): string => `bench.${channel}`;

export async function startBullmq(runDir: string, redis: Redis, dest: { url: string; secret: string }, concurrency: number): Promise<System> {
  const ingest: Child = start('bullmq-ingest', path.join(servers, 'bullmq-ingest.ts'), runDir, { ipc: true, env: { REDIS_URL: redis.url } });
  const { port } = await ingest.next<{ port: number }>('ready');
  let worker: Child | undefined;
  return {
    name: 'BullMQ + Redis',
    ingestUrl: (channel) => `http://127.0.0.1:${port}/webhook/bench/${channel}`,
    async startDelivery() {
      if (worker) return;
      worker = start('bullmq-worker', path.join(servers, 'bullmq-worker.ts'), runDir, {
        ipc: true, env: { REDIS_URL: redis.url, QUEUE: queueOf('e2e'), DEST_URL: dest.url, DEST_SECRET: dest.secret, CONCURRENCY: String(concurrency) },
      });
      await worker.next('ready');
    },
    async stopDelivery() {
      const running = worker;
      worker = undefined;
      await running?.stop();
    },
    async purge(channel) { await ingest.request({ type: 'drain', queue: queueOf(channel) }, 'drain:ok'); },
    pids: () => ({ 'express+bullmq ingest': ingest.pid, 'bullmq worker': worker?.pid, 'redis-server': redis.child.pid }),
    async stop() { await worker?.stop(); await ingest.stop(); },
  };
}
