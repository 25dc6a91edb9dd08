// The ceiling: raw amqplib publishing 1 KiB persistent messages into one quorum queue with publisher
// confirms pipelined (WINDOW unconfirmed at a time) — no HTTP, no routing logic. Env: RABBITMQ_URL,
// WINDOW, WARMUP_MS, DURATION_MS. Reports confirms per second inside the measurement window.
import { connect } from 'amqplib';
import { makeBody } from '../lib/payload.ts';
import { nowMs, perSecond } from '../lib/stats.ts';
import { handle, ready, requireEnv } from './ipc.ts';

const QUEUE = 'hb.bench.ceiling';
const conn = await connect(requireEnv('RABBITMQ_URL'));
conn.on('error', (err: Error) => console.error('connection error', err.message));
const ch = await conn.createConfirmChannel();
ch.on('error', (err: Error) => console.error('channel error', err.message));
await ch.deleteQueue(QUEUE);
await ch.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
ready();

handle('run', async (m) => {
  const window = Number(m.window);
  const from = nowMs() + Number(m.warmupMs);
  const until = from + Number(m.durationMs);
  let confirmed = 0;
  let nacked = 0;
  let seq = 0;
  await new Promise<void>((resolve) => {
    let inflight = 0;
    const pump = (): void => {
      while (inflight < window && nowMs() < until) {
        inflight++;
        ch.publish('', QUEUE, makeBody(seq++, nowMs()), { persistent: true, contentType: 'application/json' }, (err) => {
          inflight--;
          const at = nowMs();
          if (at >= from && at <= until) { if (err) nacked++; else confirmed++; }
          if (nowMs() < until) pump();
          else if (inflight === 0) resolve();
        });
      }
    };
    pump();
  });
  return { confirmed, nacked, rate: perSecond(confirmed, until - from), window };
});

handle('cleanup', async () => {
  await ch.deleteQueue(QUEUE);
  await conn.close();
  return {};
});
