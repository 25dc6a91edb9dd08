// The receiver on a real RabbitMQ: 202 only once the message sits in the quorum queue, 503 buffer_error
// while the broker is down (and 202 again after it returns), 503 queue_full with earlier messages intact,
// and messages queued before a receiver restart all delivered by the next receiver.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import { startRabbit, type Rabbit } from '../harness/rabbitmq.ts';
import { queueName, type ReceiverConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { createRegistry } from '../../shared/metrics.ts';
import { RabbitBuffer } from '../../receiver/buffer/rabbitmq/index.ts';
import { startReceiver, type RunningReceiver } from '../../receiver/server.ts';
import { channel, post, request, route, StreamClient } from '../../receiver/test-support.ts';
import { eventually } from '../harness/eventually.ts';

const TOKEN = 'hbt_rabbit-integration-token-iiiiiiiiiiiiiiiiiiiiiiii';
const logger = createLogger({ name: 'receiver-rabbit', level: 'silent' });
let rabbit: Rabbit;

before(async () => { rabbit = await startRabbit(); });
after(() => rabbit?.dispose());

const config = (name: string, maxQueueSize = 100): ReceiverConfig => ({
  channels: [channel(name, [route('sink', { tokens: [TOKEN] })], { maxQueueSize, maxPayloadBytes: 1 << 20 })],
});

async function start(cfg: ReceiverConfig): Promise<{ rx: RunningReceiver; buffer: RabbitBuffer; close(): Promise<void> }> {
  const buffer = new RabbitBuffer({ url: rabbit.url, logger, reconnectMinMs: 50, reconnectMaxMs: 500, connectTimeoutMs: 30_000, confirmTimeoutMs: 5_000 });
  const rx = await startReceiver({ buffer, port: 0, host: '127.0.0.1', logger, registry: createRegistry({ defaults: false }), heartbeatMs: 2000 });
  await rx.applyConfig(cfg);
  return { rx, buffer, close: async () => { await rx.close(); await buffer.close(); } };
}

/** Ready-message count of a queue, asked of the broker directly. */
async function brokerCount(queue: string): Promise<number> {
  const conn = await connect(rabbit.url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally { await conn.close().catch(() => {}); }
}

const q = (ch: string): string => queueName({ namespace: 'shop', name: ch }, { namespace: 'shop', name: 'sink' });

test('202 only after the broker confirmed: the message is already in the quorum queue', async () => {
  const r = await start(config('confirmed'));
  try {
    const body = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    for (let i = 1; i <= 3; i++) {
      const res = await post(r.rx.url, '/webhook/shop/confirmed', body, { 'content-type': 'application/octet-stream' });
      assert.equal(res.status, 202);
      assert.equal(await brokerCount(q('confirmed')), i, `message ${i} is in the queue when its 202 arrives`);
    }
    const c = new StreamClient(`${r.rx.url.replace('http', 'ws')}/connect/stream/shop/confirmed`, TOKEN);
    await c.until((x) => x.messages().length === 3);
    for (const m of c.messages()) {
      assert.ok(Buffer.from(m.body, 'base64').equals(body));
      assert.equal(m.contentType, 'application/octet-stream');
      c.send({ type: 'ack', id: m.id });
    }
    await eventually(async () => (await brokerCount(q('confirmed'))) === 0);
    c.close();
    await c.closed;
  } finally { await r.close(); }
});

test('broker down: 503 buffer_error with Retry-After and /health degraded; 202 again once it is back', async () => {
  const r = await start(config('outage'));
  try {
    assert.equal((await post(r.rx.url, '/webhook/shop/outage', 'before')).status, 202);
    await rabbit.stop();
    const down = await eventually(async () => {
      const res = await post(r.rx.url, '/webhook/shop/outage', 'during');
      return res.status === 503 ? res : undefined;
    });
    assert.equal(down.json.error, 'buffer_error');
    assert.ok(Number(down.headers['retry-after']) > 0);
    const health = await request('GET', `${r.rx.url}/health`);
    assert.deepEqual([health.status, health.json.status, health.json.buffer], [503, 'degraded', 'disconnected']);
    assert.equal((await request('GET', `${r.rx.url}/readyz`)).status, 503);
    await rabbit.start();
    await eventually(async () => (await post(r.rx.url, '/webhook/shop/outage', 'after')).status === 202, { timeoutMs: 30_000 });
    assert.equal((await request('GET', `${r.rx.url}/readyz`)).status, 200);
    const c = new StreamClient(`${r.rx.url.replace('http', 'ws')}/connect/stream/shop/outage`, TOKEN);
    await c.until((x) => x.messages().length >= 2);
    const bodies = c.messages().map((m) => Buffer.from(m.body, 'base64').toString());
    assert.deepEqual([bodies[0], bodies.at(-1)], ['before', 'after']);
    assert.ok(!bodies.includes('during'), 'nothing answered 503 was stored');
    c.close();
    await c.closed;
  } finally { await r.close(); }
});

test('queue full: 503 queue_full with Retry-After, the earlier messages intact', async () => {
  const r = await start(config('small', 3));
  try {
    for (const b of ['one', 'two', 'three']) assert.equal((await post(r.rx.url, '/webhook/shop/small', b)).status, 202);
    const full = await post(r.rx.url, '/webhook/shop/small', 'four');
    assert.deepEqual([full.status, full.json.error], [503, 'queue_full']);
    assert.ok(Number(full.headers['retry-after']) > 0);
    assert.equal(await brokerCount(q('small')), 3);
    const c = new StreamClient(`${r.rx.url.replace('http', 'ws')}/connect/stream/shop/small?window=10`, TOKEN);
    await c.until((x) => x.messages().length === 3);
    assert.deepEqual(c.messages().map((m) => Buffer.from(m.body, 'base64').toString()), ['one', 'two', 'three']);
    c.close();
    await c.closed;
  } finally { await r.close(); }
});

test('receiver restarted with messages queued (one of them in flight): the next receiver delivers all', async () => {
  const first = await start(config('restart'));
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push(String((await post(first.rx.url, '/webhook/shop/restart', `msg-${i}`)).json.id));
  const held = new StreamClient(`${first.rx.url.replace('http', 'ws')}/connect/stream/shop/restart?window=1`, TOKEN);
  await held.until((x) => x.messages().length === 1);
  await first.close();
  assert.equal((await held.closed).code, 1001);

  const second = await start(config('restart'));
  try {
    const c = new StreamClient(`${second.rx.url.replace('http', 'ws')}/connect/stream/shop/restart?window=50`, TOKEN);
    await c.until((x) => new Set(x.messages().map((m) => m.id)).size === 20);
    const redelivered = c.messages().find((m) => m.id === held.messages()[0].id);
    assert.equal(redelivered?.deliveryCount, 1, 'the in-flight message came back with its delivery count raised');
    for (const m of c.messages()) c.send({ type: 'ack', id: m.id });
    assert.deepEqual(new Set(c.messages().map((m) => m.id)), new Set(ids));
    await eventually(async () => (await brokerCount(q('restart'))) === 0);
    c.close();
    await c.closed;
  } finally { await second.close(); }
});
