// The WebSocket stream over a real server and MemoryBuffer: the contract's close codes, the window,
// message frames carrying the exact bytes, and what ack / nack retry / nack dead do to the message.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CloseCode } from '../../shared/protocol.ts';
import { channel, post, request, route, startTest, StreamClient, type TestReceiver } from '../test-support.ts';
import { eventually } from '../../test/harness/eventually.ts';

const TOKEN = 'hbt_stream-test-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER = 'hbt_other-channel-token-bbbbbbbbbbbbbbbbbbbbbbbbbb';
const ADMIN = 'admin-secret-for-tests';
let t: TestReceiver;

before(async () => {
  t = await startTest({
    channels: [
      channel('orders', [route('sink', { tokens: [TOKEN] })], { eventType: { header: 'x-event-type' } }),
      channel('billing', [route('ledger', { tokens: [OTHER] })]),
    ],
  }, { adminToken: ADMIN, limiter: { maxFailures: 1000 } });
});
after(() => t.close());

const url = (ch: string, q = ''): string => `${t.ws}/connect/stream/shop/${ch}${q}`;

test('close codes: 4001 missing/unknown token, 4002 unknown channel, 4004 token bound elsewhere', async () => {
  assert.equal((await new StreamClient(url('orders'), undefined).closed).code, CloseCode.InvalidToken);
  assert.equal((await new StreamClient(url('orders'), 'hbt_nope').closed).code, CloseCode.InvalidToken);
  assert.equal((await new StreamClient(url('nope'), 'hbt_nope').closed).code, CloseCode.InvalidToken, 'no channel probing without a token');
  assert.equal((await new StreamClient(url('nope'), TOKEN).closed).code, CloseCode.ChannelNotFound);
  assert.equal((await new StreamClient(url('billing'), TOKEN).closed).code, CloseCode.NotBound);
});

test('4003 past maxConnections per subscription; a slot frees when a stream ends', async () => {
  const a = new StreamClient(url('orders'), TOKEN);
  const b = new StreamClient(url('orders'), TOKEN);
  await a.until((c) => c.frames.length > 0);
  await b.until((c) => c.frames.length > 0);
  const c = new StreamClient(url('orders'), TOKEN);
  assert.equal((await c.closed).code, CloseCode.MaxConnections);
  a.close();
  await a.closed;
  const d = new StreamClient(url('orders'), TOKEN);
  await d.until((x) => x.frames[0]?.type === 'hello');
  b.close();
  d.close();
  await Promise.all([b.closed, d.closed]);
});

test('hello, then message frames with the exact bytes, headers and event type', async () => {
  const body = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]);
  const res = await post(t.base, '/webhook/shop/orders', body, { 'content-type': 'application/x-thing', 'x-event-type': 'a.b', 'x-provider': 'p', authorization: 'Bearer x' });
  const c = new StreamClient(url('orders', '?window=3'), TOKEN);
  await c.until((x) => x.messages().length === 1);
  const hello = c.frames[0];
  assert.equal(hello.type, 'hello');
  if (hello.type === 'hello') {
    assert.equal(hello.window, 3);
    assert.equal(hello.channel, 'shop/orders');
    assert.equal(hello.subscription, 'shop/sink');
  }
  const m = c.messages()[0];
  assert.equal(m.id, res.json.id);
  assert.ok(Buffer.from(m.body, 'base64').equals(body));
  assert.equal(m.contentType, 'application/x-thing');
  assert.equal(m.eventType, 'a.b');
  assert.equal(m.headers['x-provider'], 'p');
  assert.equal(m.headers.authorization, undefined);
  assert.equal(m.attempt, 1);
  assert.equal(m.deliveryCount, 0);
  c.send({ type: 'ack', id: m.id, result: { statusCode: 200, latencyMs: 12 } });
  const h = await eventually(async () => {
    const x = await t.buffer.messageHistory(m.id);
    return x?.subscriptions['shop/sink']?.state === 'delivered' ? x : undefined;
  });
  assert.deepEqual(h.subscriptions['shop/sink'].attempts.map((a) => a.result), [{ statusCode: 200, latencyMs: 12 }]);
  c.close();
  await c.closed;
});

test('window: at most N unacknowledged messages; each ack lets one more through', async () => {
  for (let i = 0; i < 5; i++) assert.equal((await post(t.base, '/webhook/shop/orders', `m${i}`)).status, 202);
  const c = new StreamClient(url('orders', '?window=2'), TOKEN);
  await c.until((x) => x.messages().length === 2);
  c.send({ type: 'ping', t: 1 });
  await c.until((x) => x.frames.some((f) => f.type === 'pong'));
  assert.equal(c.messages().length, 2, 'no third message before an ack');
  const stats = await t.buffer.stats({ channel: { namespace: 'shop', name: 'orders' }, subscription: { namespace: 'shop', name: 'sink' } });
  assert.equal(stats.messagesInFlight, 2);
  c.send({ type: 'ack', id: c.messages()[0].id });
  await c.until((x) => x.messages().length === 3);
  for (const m of c.messages().slice(1)) c.send({ type: 'ack', id: m.id });
  await c.until((x) => x.messages().length === 5);
  for (const m of c.messages().slice(3)) c.send({ type: 'ack', id: m.id });
  assert.deepEqual(c.messages().map((m) => Buffer.from(m.body, 'base64').toString()), ['m0', 'm1', 'm2', 'm3', 'm4']);
  c.close();
  await c.closed;
});

test('nack retry comes back with attempt 2; nack dead lands in the dead letters with its reason', async () => {
  const retry = await post(t.base, '/webhook/shop/orders', 'retry-me');
  const dead = await post(t.base, '/webhook/shop/orders', 'kill-me');
  const c = new StreamClient(url('orders'), TOKEN);
  await c.until((x) => x.messages().length === 2);
  c.send({ type: 'nack', id: retry.json.id, action: 'retry', delayMs: 10, result: { statusCode: 503, latencyMs: 5 } });
  c.send({ type: 'nack', id: dead.json.id, action: 'dead', reason: '410 Gone', result: { statusCode: 410, latencyMs: 3 } });
  await c.until((x) => x.messages().length === 3);
  const again = c.messages()[2];
  assert.equal(again.id, retry.json.id);
  assert.equal(again.attempt, 2);
  c.send({ type: 'ack', id: again.id });
  const list = await request('GET', `${t.base}/admin/webhook-connect/channels/shop/orders/dead-letters`, undefined, { authorization: `Bearer ${ADMIN}` });
  assert.equal(list.status, 200);
  const dls = list.json.deadLetters as { id: string; reason: string; message: { body: string } }[];
  assert.deepEqual(dls.map((d) => [d.id, d.reason, Buffer.from(d.message.body, 'base64').toString()]), [[dead.json.id, '410 Gone', 'kill-me']]);
  const metrics = await request('GET', `${t.base}/metrics`);
  assert.match(String(metrics.json.text), /hookbridge_dead_lettered_total\{namespace="shop",channel="orders",subscription="sink",reason="gone"\} 1/);
  c.close();
  await c.closed;
});

test('nack retry with attempted: false comes back with the same attempt, recorded as not attempted', async () => {
  const sent = await post(t.base, '/webhook/shop/orders', 'circuit-open');
  const c = new StreamClient(url('orders'), TOKEN);
  await c.until((x) => x.messages().length === 1);
  c.send({ type: 'nack', id: sent.json.id, action: 'retry', delayMs: 10, attempted: false, reason: 'circuit open' });
  await c.until((x) => x.messages().length === 2);
  const again = c.messages()[1];
  assert.equal(again.id, sent.json.id);
  assert.equal(again.attempt, 1);
  const h = await t.buffer.messageHistory(String(sent.json.id));
  assert.deepEqual(h?.subscriptions['shop/sink'].attempts, []);
  c.send({ type: 'ack', id: again.id, result: { statusCode: 200, latencyMs: 1 } });
  const done = await eventually(async () => {
    const x = await t.buffer.messageHistory(String(sent.json.id));
    return x?.subscriptions['shop/sink']?.state === 'delivered' ? x : undefined;
  });
  assert.deepEqual(done.subscriptions['shop/sink'].attempts.map((a) => [a.attempt, a.result?.statusCode]), [[1, 200]]);
  c.close();
  await c.closed;
});

test('malformed client frames and unknown ids do not break the stream', async () => {
  const c = new StreamClient(url('orders'), TOKEN);
  await c.until((x) => x.frames.length > 0);
  c.ws.send('not json');
  c.ws.send(Buffer.from([1, 2, 3]));
  c.send({ type: 'ack' });
  c.send({ type: 'ack', id: 'unknown' });
  c.send({ type: 'ping', t: 7 });
  await c.until((x) => x.frames.some((f) => f.type === 'pong' && f.t === 7));
  c.close();
  assert.equal((await c.closed).code, 1005);
});

test('bad tokens past the limit are refused with HTTP 429 before the handshake; a valid token still connects', async () => {
  const limited = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN] })])] }, { limiter: { maxFailures: 2 } });
  try {
    const wsUrl = `${limited.ws}/connect/stream/shop/orders`;
    await new StreamClient(wsUrl, 'hbt_bad1').closed;
    await new StreamClient(wsUrl, 'hbt_bad2').closed;
    const third = new StreamClient(wsUrl, 'hbt_bad3');
    await assert.rejects(third.opened, /HTTP 429/);
    const valid = new StreamClient(wsUrl, TOKEN);
    await valid.opened;
    await valid.until((c) => c.frames.some((f) => f.type === 'hello'));
    valid.close();
  } finally {
    await limited.close();
  }
});

test('the log output never contains a stream token', () => {
  assert.ok(!t.logs().includes(TOKEN));
  assert.ok(!t.logs().includes(OTHER));
});
