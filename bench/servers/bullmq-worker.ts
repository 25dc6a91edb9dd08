// Baseline delivery, as in seed 004: a BullMQ Worker (CONCURRENCY, 10 in the bench) that POSTs each job's payload to
// the destination with `X-Signature: sha256=<hex HMAC>`; a non-2xx answer throws so BullMQ retries.
// Env: REDIS_URL, QUEUE, DEST_URL, DEST_SECRET, CONCURRENCY.
import { createHmac } from 'node:crypto';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { ready, requireEnv } from './ipc.ts';

const destination = requireEnv('DEST_URL');
const secret = requireEnv('DEST_SECRET');
const connection = new Redis(requireEnv('REDIS_URL'), { maxRetriesPerRequest: null });

const worker = new Worker(requireEnv('QUEUE'), async (job) => {
  const body = JSON.stringify((job.data as { payload: unknown }).payload);
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  const res = await request(destination, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': `sha256=${signature}`, 'x-webhook-id': String(job.id) },
    body,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`destination answered ${res.statusCode}`);
}, { connection, concurrency: Number(process.env.CONCURRENCY ?? 10) });

worker.on('error', (err) => console.error('worker error', err.message));
await worker.waitUntilReady();
ready();
