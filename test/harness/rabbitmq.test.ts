// The harness starts a real, isolated RabbitMQ whose data survives stop/start and a hard kill.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import os from 'node:os';
import { connect } from 'amqplib';
import { startRabbit, type Rabbit } from './rabbitmq.ts';

let rabbit: Rabbit;
before(async () => {
  rabbit = await startRabbit();
  console.log(`rabbitmq started in ${rabbit.startupMs} ms at ${rabbit.url}`);
});
after(() => rabbit?.dispose());

async function withChannel<T>(fn: (ch: import('amqplib').ConfirmChannel) => Promise<T>): Promise<T> {
  const conn = await connect(rabbit.url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createConfirmChannel();
    return await fn(ch);
  } finally {
    await conn.close().catch(() => {});
  }
}

test('listens on loopback only, and a durable quorum queue keeps its message across stop/start and kill/start', async () => {
  assert.match(rabbit.url, /^amqp:\/\/guest:guest@127\.0\.0\.1:\d+$/);
  const external = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4');
  if (external) await assert.rejects(connect(rabbit.url.replace('127.0.0.1', external.address)), 'not reachable on ' + external.address);
  await withChannel(async (ch) => {
    await ch.assertQueue('harness.q', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    ch.sendToQueue('harness.q', Buffer.from([0xff, 0x00, 0x01]), { persistent: true });
    await ch.waitForConfirms();
  });

  await rabbit.stop();
  await assert.rejects(connect(rabbit.url), 'a stopped broker refuses connections');
  await rabbit.start();
  console.log(`restarted in ${rabbit.startupMs} ms`);
  await rabbit.kill();
  await rabbit.start();
  console.log(`restarted after kill in ${rabbit.startupMs} ms`);

  const body = await withChannel(async (ch) => {
    const msg = await ch.get('harness.q', { noAck: true });
    return msg === false ? undefined : msg.content;
  });
  assert.deepEqual(body, Buffer.from([0xff, 0x00, 0x01]));
});
