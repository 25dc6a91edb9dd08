// POST /webhook over real HTTP against MemoryBuffer: status codes, the bytes and headers that reach the
// queue, routing by event type, and the error catalogue's bodies.
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Delivery, QueueRef } from '../buffer/types.ts';
import { channel, post, request, route, startTest, type TestReceiver } from '../test-support.ts';
import { eventually } from '../../test/harness/eventually.ts';

const SECRET = 'whsec_ingest-test-secret-value';
let t: TestReceiver;

before(async () => {
  t = await startTest({
    channels: [
      channel('orders', [route('invoices', { eventTypes: ['invoice.*'] }), route('everything'), route('customers', { eventTypes: ['customer.*'] })],
        { eventType: { header: 'X-Event-Type' } }),
      channel('stripe', [route('payments', { eventTypes: ['payment_intent.succeeded'] })], { eventType: { jsonPointer: '/type' } }),
      channel('signed', [route('sink')], { verify: { provider: 'hmac', secrets: [SECRET], toleranceSeconds: 300 } }),
      channel('tiny', [route('sink')], { maxQueueSize: 2 }),
    ],
  }, { limiter: { maxFailures: 3, windowMs: 60_000 }, trustedProxies: ['127.0.0.1/32'] });
});
after(() => t.close());

/** Takes (and acks) everything queued for one subscription right now. */
async function drain(sub: string, ch = 'orders'): Promise<Delivery[]> {
  const got: Delivery[] = [];
  const q: QueueRef = { channel: { namespace: 'shop', name: ch }, subscription: { namespace: 'shop', name: sub } };
  const { messagesQueued } = await t.buffer.stats(q);
  const c = await t.buffer.consume(q, 100, (d) => got.push(d));
  await eventually(() => got.length >= messagesQueued, { message: `${messagesQueued} deliveries for ${sub}` });
  await Promise.all(got.map((d) => d.ack()));
  await c.cancel();
  return got;
}

test('202 {"id"} and the exact bytes, content type and filtered headers reach every matching queue', async () => {
  const body = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7b, 0xc3, 0x28, 0x0a]); // not valid UTF-8
  const res = await post(t.base, '/webhook/shop/orders', body, {
    'content-type': 'application/octet-stream', 'x-event-type': 'invoice.paid', 'X-GitHub-Delivery': 'abc-123',
    authorization: 'Bearer hbt_should-never-travel', cookie: 'session=1', 'x-api-key': 'k', 'proxy-authorization': 'Basic x',
    'keep-alive': 'timeout=5', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x-custom': 'kept',
  });
  assert.equal(res.status, 202);
  assert.match(String(res.json.id), /^[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(res.json), ['id']);
  const [invoices, everything, customers] = [await drain('invoices'), await drain('everything'), await drain('customers')];
  assert.equal(customers.length, 0);
  for (const [d] of [invoices, everything]) {
    const m = d.message;
    assert.equal(m.id, res.json.id);
    assert.ok(m.body.equals(body), 'body relayed byte for byte');
    assert.equal(m.contentType, 'application/octet-stream');
    assert.equal(m.eventType, 'invoice.paid');
    assert.equal(m.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    assert.equal(m.headers['x-github-delivery'], 'abc-123');
    assert.equal(m.headers['x-custom'], 'kept');
    for (const h of ['authorization', 'cookie', 'x-api-key', 'proxy-authorization', 'keep-alive', 'connection', 'host', 'content-length', 'transfer-encoding', 'traceparent', 'content-type']) {
      assert.equal(m.headers[h], undefined, `${h} must not be relayed`);
    }
  }
});

test('a traceparent is generated when the request has none (or an invalid one)', async () => {
  await post(t.base, '/webhook/shop/orders', '{}', { 'x-event-type': 'customer.created', traceparent: 'garbage' });
  const [d] = await drain('customers');
  assert.match(d.message.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  await drain('everything');
});

test('event type from a JSON pointer routes; a body that is not JSON carries no type', async () => {
  assert.equal((await post(t.base, '/webhook/shop/stripe', JSON.stringify({ type: 'payment_intent.succeeded' }))).status, 202);
  assert.equal((await post(t.base, '/webhook/shop/stripe', '{"type": oops')).status, 202);
  const got = await drain('payments', 'stripe');
  assert.equal(got.length, 1);
  assert.equal(got[0].message.eventType, 'payment_intent.succeeded');
});

test('a message no subscription wants is answered 202 and recorded as received with no routes', async () => {
  const res = await post(t.base, '/webhook/shop/stripe', JSON.stringify({ type: 'charge.refunded' }));
  assert.equal(res.status, 202);
  const h = await eventually(() => t.buffer.messageHistory(String(res.json.id)));
  assert.equal(h.channel, 'shop/stripe');
  assert.deepEqual(h.subscriptions, {});
  assert.equal((await drain('payments', 'stripe')).length, 0);
});

test('unknown channel: 404 channel_not_found; a malformed path is 400 bad_request', async () => {
  const res = await post(t.base, '/webhook/shop/nope', '{}');
  assert.equal(res.status, 404);
  assert.equal(res.json.error, 'channel_not_found');
  assert.equal(typeof res.json.message, 'string');
  const malformed = await post(t.base, '/webhook/%E0%A4%A/x', '{}');
  assert.equal(malformed.status, 400);
  assert.equal(malformed.json.error, 'bad_request');
});

test('payload over maxPayloadBytes: 413 by Content-Length, and a chunked body is cut off while streaming', async () => {
  const res = await post(t.base, '/webhook/shop/orders', Buffer.alloc(1025, 1), { 'x-event-type': 'invoice.paid' });
  assert.equal(res.status, 413);
  assert.equal(res.json.error, 'payload_too_large');
  // Chunked, no Content-Length: the server answers after the limit without waiting for the rest.
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${t.base}/webhook/shop/orders`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (r) => {
      let body = '';
      r.on('data', (c) => { body += String(c); });
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(Buffer.alloc(800, 2));
    req.write(Buffer.alloc(800, 2)); // past the limit; the request is never ended
  });
  assert.equal(answer.status, 413);
  assert.equal(JSON.parse(answer.body).error, 'payload_too_large');
  assert.equal((await drain('invoices')).length, 0);
});

test('signature check: valid is accepted, invalid is 401 and never enqueued, failures past the limit are 429, a valid one still passes', async () => {
  const body = '{"ok":true}';
  const attacker = { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' }; // the client is 10.0.0.1, the rightmost untrusted hop
  const sig = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  assert.equal((await post(t.base, '/webhook/shop/signed', body, { 'x-signature': sig, ...attacker })).status, 202);
  const bad = await post(t.base, '/webhook/shop/signed', body, { 'x-signature': 'sha256=00', ...attacker });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.error, 'invalid_signature');
  await post(t.base, '/webhook/shop/signed', body, attacker);
  await post(t.base, '/webhook/shop/signed', body, { 'x-signature': sig.replace(/.$/, '0'), ...attacker });
  const limited = await post(t.base, '/webhook/shop/signed', body, { 'x-signature': 'sha256=01', ...attacker });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error, 'rate_limited');
  assert.ok(Number(limited.headers['retry-after']) > 0);
  assert.equal((await post(t.base, '/webhook/shop/signed', body, { 'x-signature': sig, ...attacker })).status, 202, 'a valid signature is never refused');
  assert.equal((await post(t.base, '/webhook/shop/signed', body, { 'x-signature': 'sha256=00', 'x-forwarded-for': '198.51.100.1' })).status, 401, 'other clients are not limited');
  const got = await drain('sink', 'signed');
  assert.equal(got.length, 2, 'only validly signed messages were stored');
});

test('queue full: 503 queue_full with Retry-After, earlier messages intact', async () => {
  assert.equal((await post(t.base, '/webhook/shop/tiny', 'one')).status, 202);
  assert.equal((await post(t.base, '/webhook/shop/tiny', 'two')).status, 202);
  const full = await post(t.base, '/webhook/shop/tiny', 'three');
  assert.equal(full.status, 503);
  assert.equal(full.json.error, 'queue_full');
  assert.ok(Number(full.headers['retry-after']) > 0);
  const got = await drain('sink', 'tiny');
  assert.deepEqual(got.map((d) => d.message.body.toString()), ['one', 'two']);
});

test('metrics count ingest outcomes with low-cardinality labels', async () => {
  const text = await (await fetch(`${t.base}/metrics`)).text();
  assert.match(text, /hookbridge_ingest_requests_total\{namespace="shop",channel="orders",outcome="accepted"\} [1-9]/);
  assert.match(text, /hookbridge_ingest_requests_total\{namespace="_unknown",channel="_unknown",outcome="channel_not_found"\} [1-9]/);
  assert.match(text, /hookbridge_ingest_requests_total\{namespace="shop",channel="tiny",outcome="queue_full"\} 1/);
  assert.match(text, /hookbridge_publish_confirm_duration_seconds_count\{namespace="shop",channel="orders"\} [1-9]/);
  assert.match(text, /hookbridge_queue_max_messages\{namespace="shop",channel="tiny",subscription="sink"\} 2/);
});

test('no token or secret reaches the log output', () => {
  const logs = t.logs();
  assert.ok(logs.length > 0);
  assert.ok(!logs.includes('hbt_should-never-travel'));
  assert.ok(!logs.includes(SECRET));
});

test('buffer down: 503 buffer_error with Retry-After, never a 2xx', async () => {
  await t.buffer.close();
  const res = await post(t.base, '/webhook/shop/orders', '{}', { 'x-event-type': 'invoice.paid' });
  assert.equal(res.status, 503);
  assert.equal(res.json.error, 'buffer_error');
  assert.ok(Number(res.headers['retry-after']) > 0);
  const health = await request('GET', `${t.base}/health`);
  assert.equal(health.status, 503);
  assert.deepEqual(health.json, { status: 'degraded', buffer: 'disconnected', channels: 4 });
});
