// The buffer conformance suite against a real RabbitMQ (test/harness), plus what only a broker can
// show: losing it, restarting it, and many confirms in flight at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from 'amqplib';
import { createLogger } from '../../shared/logger.ts';
import { Inbox, channelConfig, message, oneQueued, runConformance } from '../../receiver/buffer/conformance.ts';
import { RabbitBuffer } from '../../receiver/buffer/rabbitmq/index.ts';
import { PublishError, Publisher } from '../../receiver/buffer/rabbitmq/publisher.ts';
import { BufferError } from '../../receiver/buffer/types.ts';
import { freePorts } from '../harness/ports.ts';
import { startRabbit, type Rabbit } from '../harness/rabbitmq.ts';
import { eventually } from '../harness/eventually.ts';

const logger = createLogger({ name: 'buffer-test', level: process.env.HOOKBRIDGE_LOG_LEVEL ?? 'silent' });
let rabbit: Rabbit;
let buffer: RabbitBuffer;
const make = (): RabbitBuffer => new RabbitBuffer({ url: rabbit.url, logger, reconnectMinMs: 50, reconnectMaxMs: 500, history: { flushMs: 20 }, fullRecheckMs: 100 });

before(async () => {
  rabbit = await startRabbit();
  console.log(`rabbitmq ready in ${rabbit.startupMs} ms`);
  buffer = make();
  await buffer.connect();
});
after(async () => {
  await buffer?.close();
  await rabbit?.dispose();
});

runConformance('rabbitmq', () => buffer);

describe('RabbitMQ only', () => {
  test('many publishes in flight at once are all confirmed, and all arrive', async () => {
    const ch = channelConfig({ maxQueueSize: 10_000 });
    await buffer.declareChannel(ch);
    const s1 = { namespace: 'ns-a', name: 's1' };
    const msgs = Array.from({ length: 2000 }, () => message(ch, { body: Buffer.alloc(512, 7) }));
    const t0 = performance.now();
    await Promise.all(msgs.map((m) => buffer.publish(m, [s1])));
    const ms = performance.now() - t0;
    console.log(`2000 concurrent publishes (512 B) confirmed in ${ms.toFixed(0)} ms (${Math.round(2000 / (ms / 1000))} msg/s)`);
    assert.equal((await buffer.stats({ channel: ch, subscription: s1 })).messagesQueued, 2000);
    await buffer.removeChannel(ch, { deleteQueues: true });
  });

  test('backpressure: with a small write window publishes wait for drain, and all are confirmed and arrive', async () => {
    const small = new RabbitBuffer({ url: rabbit.url, logger, publishHighWaterMark: 8 });
    await small.connect();
    const ch = channelConfig({ maxQueueSize: 1_000 });
    await small.declareChannel(ch);
    const s1 = { namespace: 'ns-a', name: 's1' };
    const msgs = Array.from({ length: 200 }, (_, i) => message(ch, { body: Buffer.alloc(256 * 1024, i) }));
    await Promise.all(msgs.map((m) => small.publish(m, [s1])));
    await small.close();
    await buffer.declareChannel(ch);
    const inbox = await Inbox.open(buffer, { channel: ch, subscription: s1 }, 50);
    for (const m of msgs) {
      const d = await inbox.next();
      assert.equal(d.message.id, m.id);
      assert.ok(d.message.body.equals(m.body));
      await d.ack();
    }
    await inbox.close();
    await buffer.removeChannel(ch, { deleteQueues: true });
  });

  // Right after a broker restart a stream is unroutable for a moment (its writer is not back yet): the
  // broker returns the publish and still acks it. History batches carry no message id of their own.
  test('a mandatory publish the broker cannot route is rejected as returned, with or without a message id', async () => {
    const conn = await connect(rabbit.url);
    conn.on('error', () => {});
    const publisher = new Publisher({ logger });
    await publisher.attach(conn);
    try {
      for (const messageId of [undefined, 'm-1']) {
        await assert.rejects(
          publisher.publish('', 'hb.no-such-queue', Buffer.from('x'), { mandatory: true, ...(messageId !== undefined && { messageId }) }),
          (e: unknown) => e instanceof PublishError && e.kind === 'returned', `message id ${messageId}`);
      }
    } finally { await conn.close(); }
  });

  test('receiver restart: a new connection sees the delivery count the old one left', async () => {
    const ch = channelConfig();
    await buffer.declareChannel(ch);
    const s1 = { namespace: 'ns-a', name: 's1' };
    const q1 = { channel: ch, subscription: s1 };
    await buffer.publish(message(ch), [s1]);
    const first = make();
    await first.connect();
    await first.declareChannel(ch);
    const a = await Inbox.open(first, q1, 1);
    await (await a.next()).release();
    assert.equal((await a.next()).deliveryCount, 1);
    await first.close(); // the unsettled delivery goes back with the connection
    const b = await Inbox.open(buffer, q1, 1);
    assert.equal((await b.next()).deliveryCount, 2);
    await b.close();
  });

  test('broker restart: delivery count survives, publish fails fast while down, then everything resumes', async () => {
    const b = make();
    await b.connect();
    const { ch, s1, q1, m, inbox } = await oneQueued(b);
    await (await inbox.next()).release();
    assert.equal((await inbox.next()).deliveryCount, 1);

    await rabbit.stop();
    await eventually(async () => { assert.equal(b.isConnected(), false); return true; }, { message: 'disconnect noticed' });
    const t0 = performance.now();
    await assert.rejects(b.publish(message(ch), [s1]), (e: unknown) => e instanceof BufferError && e.code === 'buffer_error');
    const rejectMs = performance.now() - t0;
    console.log(`publish while the broker is down rejected in ${rejectMs.toFixed(1)} ms`);
    await assert.rejects(b.stats(q1), BufferError);

    await rabbit.start();
    await eventually(async () => { assert.equal(b.isConnected(), true); return true; }, { message: 'reconnected', timeoutMs: 30_000 });
    const d = await inbox.next(10_000);
    assert.equal(d.message.id, m.id);
    assert.equal(d.deliveryCount, 2, 'x-delivery-count survived the restart (1 release + 1 lost with the connection)');
    await d.ack();
    const after = message(ch);
    await b.publish(after, [s1]);
    assert.equal((await inbox.next()).message.id, after.id);
    await inbox.close();
    await b.close();
  });

  test('hard kill: the buffer reconnects, re-declares its topology and a new buffer sees the history', async () => {
    await eventually(async () => { assert.equal(buffer.isConnected(), true); return true; }, { message: 'back from the previous restart', timeoutMs: 30_000 });
    const ch = channelConfig();
    await buffer.declareChannel(ch);
    const s1 = { namespace: 'ns-a', name: 's1' };
    const q1 = { channel: ch, subscription: s1 };
    const m = message(ch);
    await buffer.publish(m, [s1]);
    const inbox = await Inbox.open(buffer, q1, 5);
    await (await inbox.next()).ack({ statusCode: 200, latencyMs: 1 });
    // A second buffer (another receiver replica) tails the stream: it sees the event once it is written.
    const reader = make();
    await reader.connect();
    try {
      await eventually(async () => {
        assert.equal((await reader.messageHistory(m.id))?.subscriptions['ns-a/s1']?.state, 'delivered');
        return true;
      }, { message: 'history written to the stream', timeoutMs: 30_000 });
    } finally { await reader.close(); }

    await rabbit.kill();
    await rabbit.start();
    await eventually(async () => { assert.equal(buffer.isConnected(), true); return true; }, { message: 'reconnected', timeoutMs: 30_000 });
    const m2 = message(ch);
    await buffer.publish(m2, [s1]);
    assert.equal((await inbox.next()).message.id, m2.id, 'consumer re-established');
    await inbox.close();
    const fresh = make();
    await fresh.connect();
    assert.equal((await fresh.messageHistory(m.id))?.subscriptions['ns-a/s1']?.state, 'delivered', 'history survived the kill');
    await fresh.close();
  });

  test('a list of broker URLs: a node that refuses is skipped, the next one is used, with no error to the caller', async () => {
    await eventually(async () => { assert.equal(buffer.isConnected(), true); return true; }, { message: 'back from the previous kill', timeoutMs: 30_000 });
    const [dead] = await freePorts(1); // nothing listens there
    const b = new RabbitBuffer({ url: `amqp://guest:guest@127.0.0.1:${dead}, ${rabbit.url}`, logger, reconnectMinMs: 50, reconnectMaxMs: 500 });
    await b.connect();
    try {
      const { ch, inbox, m } = await oneQueued(b);
      assert.equal((await inbox.next()).message.id, m.id);
      await inbox.close();
      await b.removeChannel(ch, { deleteQueues: true });
    } finally {
      await b.close();
    }
  });

  test('a user with only the permissions docs/rabbitmq.md lists, on a vhost of its own, can do everything', async () => {
    await eventually(async () => { assert.equal(buffer.isConnected(), true); return true; }, { message: 'back from the previous kill', timeoutMs: 30_000 });
    await rabbit.ctl(['add_vhost', 'hookbridge']);
    await rabbit.ctl(['add_user', 'hb', 'hb-password']);
    await rabbit.ctl(['set_permissions', '-p', 'hookbridge', 'hb', '^hb\\.', '^(hb\\.|amq\\.default$)', '^hb\\.']);
    const u = new URL(rabbit.url);
    const limited = (): RabbitBuffer => new RabbitBuffer({ url: `amqp://hb:hb-password@${u.host}/hookbridge`, logger, reconnectMinMs: 50, reconnectMaxMs: 500, history: { flushMs: 20 } });
    const b = limited();
    await b.connect();
    try {
      const { ch, s1, q1, m, inbox } = await oneQueued(b, { tiers: [100] });
      await (await inbox.next()).retry(100); // through the default exchange into a delay queue
      const back = await inbox.next(10_000);
      assert.equal(back.attempt, 2);
      await back.dead('permanent'); // through the default exchange into the dead-letter queue
      assert.equal((await b.listDeadLetters(q1, { limit: 10 }))[0]?.id, m.id);
      await b.publish(message(ch), [s1]); // the publish channel is still up: no publish was refused
      const reader = limited(); // a second buffer reads the history back from the stream
      await reader.connect();
      try {
        await eventually(async () => { assert.equal((await reader.messageHistory(m.id))?.subscriptions['ns-a/s1']?.state, 'dead_lettered'); return true; }, { message: 'history written to and read from hb.events', timeoutMs: 10_000 });
      } finally { await reader.close(); }
      await inbox.close();
      await b.removeChannel(ch, { deleteQueues: true });
    } finally {
      await b.close();
    }
  });
});
