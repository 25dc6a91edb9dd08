// Consumers past one connection's channel_max (one AMQP channel per stream consumer; RabbitMQ allows
// channel_max channels per connection, 2047 by default): the buffer spreads them over consumer connections
// of at most channelsPerConnection channels each, within the channel_max the broker negotiated, and every
// one of them re-attaches and delivers again, with no loss, after the broker closes every connection.
// The broker here runs with channel_max = 16, so a few dozen consumers show what thousands would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '../../shared/logger.ts';
import { channelConfig, message } from '../../receiver/buffer/conformance-support.ts';
import { RabbitBuffer } from '../../receiver/buffer/rabbitmq/index.ts';
import type { Delivery, QueueRef } from '../../receiver/buffer/types.ts';
import { eventually } from '../harness/eventually.ts';
import { startRabbit, type Rabbit } from '../harness/rabbitmq.ts';

const CHANNEL_MAX = 16;
const logger = createLogger({ name: 'buffer-connections-test', level: process.env.HOOKBRIDGE_LOG_LEVEL ?? 'silent' });
let rabbit: Rabbit;

before(async () => { rabbit = await startRabbit({ conf: [`channel_max = ${CHANNEL_MAX}`] }); });
after(async () => { await rabbit?.dispose(); });

/** Open channels per connection, by the connection_name the client gave, from the broker. */
async function connections(): Promise<{ name: string; channels: number }[]> {
  const out = await rabbit.ctl(['list_connections', '-q', '--formatter', 'json', 'client_properties', 'channels']);
  const rows = JSON.parse(out) as { client_properties: [string, string, unknown][]; channels: number }[];
  return rows.map((r) => ({ name: String(r.client_properties.find(([k]) => k === 'connection_name')?.[2] ?? ''), channels: r.channels }));
}
const consumerConnections = async (): Promise<{ name: string; channels: number }[]> => (await connections()).filter((c) => c.name.startsWith('hookbridge-consume-'));

/** `perQueue` consumers with prefetch 1 on each of `queues` fresh queues; each consumer's deliveries kept apart. */
async function setUp(buffer: RabbitBuffer, queues: number, perQueue: number): Promise<{ refs: QueueRef[]; held: Delivery[][][] }> {
  const refs: QueueRef[] = [];
  const held: Delivery[][][] = [];
  for (let q = 0; q < queues; q++) {
    const ch = channelConfig({ maxQueueSize: 1_000 });
    await buffer.declareChannel(ch);
    const ref = { channel: ch, subscription: { namespace: 'ns-a', name: 's1' } };
    refs.push(ref);
    const inboxes: Delivery[][] = [];
    held.push(inboxes);
    for (let c = 0; c < perQueue; c++) {
      const inbox: Delivery[] = [];
      inboxes.push(inbox);
      await buffer.consume(ref, 1, (d) => inbox.push(d));
    }
  }
  return { refs, held };
}

/** Publishes one message per consumer on every queue; returns the ids by queue. */
async function publishRound(buffer: RabbitBuffer, refs: QueueRef[], perQueue: number): Promise<Set<string>[]> {
  return Promise.all(refs.map(async (ref) => {
    const ids = new Set<string>();
    for (let i = 0; i < perQueue; i++) {
      const m = message({ ...channelConfig(), ...ref.channel });
      ids.add(m.id);
      await buffer.publish(m, [ref.subscription]);
    }
    return ids;
  }));
}

/** With prefetch 1 and one message per consumer, every consumer holds exactly one: every channel delivers. */
async function everyConsumerHoldsOne(held: Delivery[][][], what: string): Promise<void> {
  await eventually(() => held.every((inboxes) => inboxes.every((i) => i.length === 1)) || undefined, {
    timeoutMs: 30_000, message: () => `${what}: deliveries per consumer ${JSON.stringify(held.map((inboxes) => inboxes.map((i) => i.length)))}`,
  });
}

const drain = (held: Delivery[][][]): Delivery[][] => held.map((inboxes) => inboxes.flatMap((i) => i.splice(0)));

test('more consumers than one connection carries: spread over capped connections, every one delivers, all re-attach after the broker closes every connection, nothing lost', async () => {
  const cap = 5;
  const buffer = new RabbitBuffer({ url: rabbit.url, logger, reconnectMinMs: 50, reconnectMaxMs: 500, history: { flushMs: 20 }, channelsPerConnection: cap });
  await buffer.connect();
  try {
    const [queues, perQueue] = [3, 8]; // 24 consumers: more than channel_max (16) and than the cap (5)
    const { refs, held } = await setUp(buffer, queues, perQueue);
    const conns = await consumerConnections();
    assert.equal(conns.length, Math.ceil((queues * perQueue) / cap), `consumer connections: ${JSON.stringify(conns)}`);
    assert.ok(conns.every((c) => c.channels <= cap), `at most ${cap} channels each: ${JSON.stringify(conns)}`);

    const first = await publishRound(buffer, refs, perQueue);
    await everyConsumerHoldsOne(held, 'first round');
    for (const [q, ds] of drain(held).entries()) {
      assert.deepEqual(new Set(ds.map((d) => d.message.id)), first[q]);
      await Promise.all(ds.map((d) => d.ack()));
    }

    // Held, unacked, when the broker closes every connection: the broker takes them back, and they come back.
    const second = await publishRound(buffer, refs, perQueue);
    await everyConsumerHoldsOne(held, 'second round');
    const lost = drain(held);
    await rabbit.ctl(['close_all_connections', 'test: every connection closed']);
    await eventually(() => !buffer.isConnected() || undefined, { timeoutMs: 10_000, message: 'the buffer noticed' }).catch(() => {}); // it may be back already
    await eventually(() => buffer.isConnected() || undefined, { timeoutMs: 30_000, message: 'every connection back' });
    await everyConsumerHoldsOne(held, 'after the broker closed every connection');
    await assert.rejects(lost[0][0].ack(), /connection was lost/, 'a delivery from before cannot be acked on the new channel');
    for (const [q, ds] of drain(held).entries()) {
      assert.deepEqual(new Set(ds.map((d) => d.message.id)), second[q], 'the same messages, none lost');
      assert.ok(ds.every((d) => d.deliveryCount >= 1), 'returned by the broker, so redelivered');
      await Promise.all(ds.map((d) => d.ack()));
    }
    const again = await consumerConnections();
    assert.equal(again.length, conns.length, `the same consumer connections are back: ${JSON.stringify(again)}`);
    assert.equal(again.reduce((n, c) => n + c.channels, 0), queues * perQueue, 'every consumer has its channel again');

    // And fresh messages still reach every consumer.
    const third = await publishRound(buffer, refs, perQueue);
    await everyConsumerHoldsOne(held, 'third round');
    for (const [q, ds] of drain(held).entries()) {
      assert.deepEqual(new Set(ds.map((d) => d.message.id)), third[q]);
      await Promise.all(ds.map((d) => d.ack()));
    }
    for (const ref of refs) assert.equal((await buffer.stats(ref)).messagesQueued, 0);
  } finally {
    await buffer.close();
  }
});

test('without a cap of its own, a connection holds no more channels than the broker\'s channel_max; emptied connections close', async () => {
  const buffer = new RabbitBuffer({ url: rabbit.url, logger, reconnectMinMs: 50, reconnectMaxMs: 500, history: { flushMs: 20 } });
  await buffer.connect();
  try {
    const ch = channelConfig({ maxQueueSize: 1_000 });
    await buffer.declareChannel(ch);
    const ref = { channel: ch, subscription: { namespace: 'ns-a', name: 's1' } };
    const n = 2 * CHANNEL_MAX + 3;
    const got: Delivery[][] = [];
    const consumers = [];
    for (let i = 0; i < n; i++) {
      const inbox: Delivery[] = [];
      got.push(inbox);
      consumers.push(await buffer.consume(ref, 1, (d) => inbox.push(d)));
    }
    const conns = await consumerConnections();
    assert.equal(conns.length, 3, JSON.stringify(conns));
    assert.ok(conns.every((c) => c.channels <= CHANNEL_MAX), JSON.stringify(conns));
    const ids = new Set<string>();
    for (let i = 0; i < n; i++) { const m = message(ch); ids.add(m.id); await buffer.publish(m, [ref.subscription]); }
    await everyConsumerHoldsOne([got], 'every consumer');
    const firstRound = got.map((inbox) => inbox.splice(0));
    assert.deepEqual(new Set(firstRound.flat().map((d) => d.message.id)), ids);

    // Cancel all but the first: the connections left empty are closed, the first one stays.
    for (const c of consumers.slice(1)) await c.cancel();
    await eventually(async () => (await consumerConnections()).length === 1 || undefined, { timeoutMs: 10_000, message: 'emptied consumer connections closed' });
    assert.equal(buffer.isConnected(), true);
    // What the cancelled consumers held went back to the queue and reaches the one left, one at a time.
    await firstRound[0][0].ack();
    ids.delete(firstRound[0][0].message.id);
    for (let i = 1; i < n; i++) {
      await eventually(() => got[0].length > 0 || undefined, { timeoutMs: 10_000, message: `message ${i + 1} of ${n}` });
      const d = got[0].shift() as Delivery;
      ids.delete(d.message.id);
      await d.ack();
    }
    assert.equal(ids.size, 0, 'every message delivered');
  } finally {
    await buffer.close();
  }
});
