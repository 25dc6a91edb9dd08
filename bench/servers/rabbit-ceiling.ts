// The ceiling: raw amqplib and one quorum queue, no HTTP and no routing logic. `run`: publish 1 KiB
// persistent messages with publisher confirms pipelined (`window` unconfirmed at a time) and report
// confirms per second. `latency`: publish open-loop at a fixed rate while a consumer (prefetch =
// delivery concurrency, ack on receipt) drains the queue, and report scheduled send → consumer receipt,
// the floor RabbitMQ alone puts under any relay's end-to-end latency. Env: RABBITMQ_URL.
import { connect } from 'amqplib';
import { makeBody, readStamp } from '../lib/payload.ts';
import { nowMs, perSecond, summarize } from '../lib/stats.ts';
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

handle('latency', async (m) => {
  const rate = Number(m.rate);
  const interval = 1000 / rate;
  const warmup = Math.round(Number(m.warmupMs) / interval);
  const total = warmup + Math.round(Number(m.durationMs) / interval);
  const consumerConn = await connect(requireEnv('RABBITMQ_URL'));
  consumerConn.on('error', () => {});
  const cch = await consumerConn.createChannel();
  await cch.prefetch(Number(m.prefetch), false);
  const confirm: number[] = [];
  const e2e: number[] = [];
  let received = 0;
  const done = new Promise<void>((resolve) => {
    void cch.consume(QUEUE, (msg) => {
      if (!msg) return;
      const stamp = readStamp(msg.content);
      cch.ack(msg);
      if (stamp && stamp.seq >= warmup) e2e.push(nowMs() - stamp.t);
      if (++received === total) resolve();
    });
  });
  const start = nowMs() + 5;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      while (i < total && start + i * interval <= nowMs()) {
        const due = start + i * interval;
        const measured = i >= warmup;
        ch.publish('', QUEUE, makeBody(i++, due), { persistent: true }, () => { if (measured) confirm.push(nowMs() - due); });
      }
      if (i >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(1, start + i * interval - nowMs())));
    };
    tick();
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
  await consumerConn.close();
  await ch.purgeQueue(QUEUE);
  return { rate, prefetch: Number(m.prefetch), sent: total - warmup, received: e2e.length, confirmMs: summarize(confirm), endToEndMs: summarize(e2e) };
});

handle('cleanup', async () => {
  await ch.deleteQueue(QUEUE);
  await conn.close();
  return {};
});
