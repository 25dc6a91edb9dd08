// What happens to held messages and open streams over time: ack timeouts and disconnects return messages
// (deliveryCount+1, dead-lettered past deliveryLimit), silent peers are dropped (4008), and a config change
// closes streams whose token was revoked (4001), whose subscription was unbound (4004) or channel removed (4002).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelConfig } from '../../shared/config.ts';
import { CloseCode } from '../../shared/protocol.ts';
import { channel, post, route, startTest, StreamClient } from '../test-support.ts';
import { eventually } from '../../test/harness/eventually.ts';

const TOKEN = 'hbt_lifecycle-token-cccccccccccccccccccccccccccccccc';
const NEXT = 'hbt_lifecycle-next-token-dddddddddddddddddddddddddddd';
const queue = { channel: { namespace: 'shop', name: 'orders' }, subscription: { namespace: 'shop', name: 'sink' } };

test('no ack within ackTimeoutSeconds: redelivered with deliveryCount+1, dead-lettered past deliveryLimit', async () => {
  const t = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN] })], { ackTimeoutSeconds: 0.1, deliveryLimit: 2 })] });
  try {
    const { json } = await post(t.base, '/webhook/shop/orders', 'slow');
    const c = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN);
    await c.until((x) => x.messages().length === 3);
    assert.deepEqual(c.messages().map((m) => [m.id, m.deliveryCount]), [[json.id, 0], [json.id, 1], [json.id, 2]]);
    const dl = await eventually(async () => (await t.buffer.listDeadLetters(queue, { limit: 10 }))[0]);
    assert.equal(dl.reason, 'delivery_limit');
    const text = await (await fetch(`${t.base}/metrics`)).text();
    assert.match(text, /hookbridge_redeliveries_total\{namespace="shop",channel="orders",subscription="sink",reason="ack_timeout"\} 3/);
    assert.match(text, /hookbridge_dead_lettered_total\{namespace="shop",channel="orders",subscription="sink",reason="delivery_limit"\} 1/);
    c.close();
    await c.closed;
  } finally { await t.close(); }
});

test('disconnect releases what the stream held; the next stream gets it with deliveryCount 1', async () => {
  const t = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN] })])] });
  try {
    const { json } = await post(t.base, '/webhook/shop/orders', 'held');
    const a = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN);
    await a.until((x) => x.messages().length === 1);
    a.ws.terminate();
    const b = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN);
    await b.until((x) => x.messages().length === 1);
    assert.equal(b.messages()[0].id, json.id);
    assert.equal(b.messages()[0].deliveryCount, 1);
    b.send({ type: 'ack', id: json.id });
    await eventually(async () => (await t.buffer.stats(queue)).messagesQueued === 0);
    b.close();
    await b.closed;
  } finally { await t.close(); }
});

test('a peer that stops answering heartbeats is closed with 4008; one that answers stays', async () => {
  const t = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN] })])] }, { heartbeatMs: 40 });
  try {
    const silent = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN, { autoPong: false });
    const alive = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN, { autoPong: false });
    alive.ws.on('message', (d) => { const f = JSON.parse(String(d)); if (f.type === 'ping') alive.send({ type: 'pong', t: f.t }); });
    assert.equal((await silent.closed).code, CloseCode.HeartbeatTimeout);
    await alive.until((x) => x.frames.filter((f) => f.type === 'ping').length >= 8);
    assert.equal(alive.ws.readyState, alive.ws.OPEN);
    alive.close();
    await alive.closed;
  } finally { await t.close(); }
});

test('config changes close streams: revoked token 4001, unbound subscription 4004, removed channel 4002', async () => {
  const base = (over: Partial<ChannelConfig> = {}, subs = [route('sink', { tokens: [TOKEN] }), route('other', { tokens: [NEXT] })]): ChannelConfig =>
    channel('orders', subs, over);
  const t = await startTest({ channels: [base()] });
  try {
    const url = `${t.ws}/connect/stream/shop/orders`;
    const sink = new StreamClient(url, TOKEN);
    const other = new StreamClient(url, NEXT);
    await sink.until((x) => x.frames.length > 0);
    await other.until((x) => x.frames.length > 0);
    // Rotation: sink's token replaced → its stream closes 4001; the other stream is untouched.
    await t.rx.applyConfig({ channels: [base({}, [route('sink', { tokens: ['hbt_rotated'] }), route('other', { tokens: [NEXT] })])] });
    assert.equal((await sink.closed).code, CloseCode.InvalidToken);
    assert.equal(other.ws.readyState, other.ws.OPEN);
    // Unbind: other removed from the channel → 4004.
    await t.rx.applyConfig({ channels: [base({}, [route('sink', { tokens: ['hbt_rotated'] })])] });
    assert.equal((await other.closed).code, CloseCode.NotBound);
    const again = new StreamClient(url, 'hbt_rotated');
    await again.until((x) => x.frames.length > 0);
    await t.rx.applyConfig({ channels: [] });
    assert.equal((await again.closed).code, CloseCode.ChannelNotFound);
    const status = await fetch(`${t.base}/webhook/shop/orders`, { method: 'POST', body: '{}' });
    assert.equal(status.status, 404);
  } finally { await t.close(); }
});

test('a token past its grace period (notAfter) is refused and its open stream closed with 4001', async () => {
  const notAfter = new Date(Date.now() + 400).toISOString();
  const t = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN], notAfter })])] }, { heartbeatMs: 50 });
  try {
    const c = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN);
    await c.until((x) => x.frames[0]?.type === 'hello');
    assert.equal((await c.closed).code, CloseCode.InvalidToken);
    assert.equal((await new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN).closed).code, CloseCode.InvalidToken);
  } finally { await t.close(); }
});

test('shutdown closes streams with 1001 and returns held messages to the queue', async () => {
  const t = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN] })])] });
  await post(t.base, '/webhook/shop/orders', 'in-flight');
  const c = new StreamClient(`${t.ws}/connect/stream/shop/orders`, TOKEN);
  await c.until((x) => x.messages().length === 1);
  assert.equal((await t.buffer.stats(queue)).messagesInFlight, 1);
  await t.rx.close();
  assert.equal((await c.closed).code, 1001);
  const s = await t.buffer.stats(queue);
  assert.deepEqual([s.messagesInFlight, s.messagesQueued], [0, 1]);
  await t.buffer.close();
});
