// Baseline ingest, the way seed 004 builds it: an express endpoint that adds one BullMQ job per
// webhook and answers 202 once Redis accepted it. Env: REDIS_URL, QUEUE.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { handle, ready, requireEnv } from './ipc.ts';

const connection = new Redis(requireEnv('REDIS_URL'), { maxRetriesPerRequest: 3 });
const queues = new Map<string, Queue>();
const queueFor = (name: string): Queue => {
  let q = queues.get(name);
  if (!q) { q = new Queue(name, { connection }); queues.set(name, q); }
  return q;
};

const app = express();
app.post('/webhook/:ns/:channel', express.json({ limit: '1mb' }), async (req, res) => {
  try {
    const job = await queueFor(`${req.params.ns}.${req.params.channel}`).add('webhook', {
      channel: `${req.params.ns}/${req.params.channel}`,
      payload: req.body as unknown,
      receivedAt: Date.now(),
    }, {
      attempts: 5,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
    res.status(202).json({ id: job.id });
  } catch (err) {
    res.status(503).set('Retry-After', '1').json({ error: 'buffer_error', message: String(err) });
  }
});

/** Empties a queue between phases so a backlog from one does not slow the next. */
handle('drain', async (m) => {
  await queueFor(String(m.queue)).obliterate({ force: true });
  return {};
});

const server = app.listen(0, '127.0.0.1', () => ready({ port: (server.address() as AddressInfo).port }));
server.keepAliveTimeout = 60_000;
