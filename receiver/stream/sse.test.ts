// The SSE variant: refusals as HTTP errors carrying the close code, frames as events, and client frames
// through POST /connect/ack.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { channel, post, request, route, startTest, type TestReceiver } from '../test-support.ts';

const TOKEN = 'hbt_sse-token-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
const OTHER = 'hbt_sse-other-ffffffffffffffffffffffffffffffffffffff';
let t: TestReceiver;

before(async () => {
  t = await startTest({
    channels: [channel('orders', [route('sink', { tokens: [TOKEN] })]), channel('billing', [route('ledger', { tokens: [OTHER] })])],
  });
});
after(() => t.close());

interface SseEvent { event: string; data: Record<string, unknown> }

/** An SSE reader on node:http that parses events as they arrive. */
function openSse(path: string, token: string): Promise<{ events: SseEvent[]; next(pred: (e: SseEvent) => boolean): Promise<SseEvent>; ended: Promise<void>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${t.base}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`HTTP ${res.statusCode}`)); res.resume(); return; }
      const events: SseEvent[] = [];
      const waiters: (() => void)[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
          events.push({ event, data: JSON.parse(data) });
        }
        for (const w of waiters.splice(0)) w();
      });
      const ended = new Promise<void>((r) => res.on('close', () => r()));
      resolve({
        events,
        ended,
        close: () => req.destroy(),
        next: async (pred) => {
          for (;;) {
            const hit = events.find(pred);
            if (hit) return hit;
            await new Promise<void>((r) => { waiters.push(r); });
          }
        },
      });
    });
    req.on('error', reject);
  });
}

test('refusals are HTTP errors whose JSON carries the close code', async () => {
  const get = (path: string, token?: string) => request('GET', `${t.base}${path}`, undefined, token ? { authorization: `Bearer ${token}` } : {});
  const bad = await get('/connect/stream/shop/orders/sse', 'hbt_nope');
  assert.deepEqual([bad.status, bad.json.error, bad.json.code], [401, 'invalid_token', 4001]);
  const missing = await get('/connect/stream/shop/nope/sse', TOKEN);
  assert.deepEqual([missing.status, missing.json.error, missing.json.code], [404, 'channel_not_found', 4002]);
  const elsewhere = await get('/connect/stream/shop/billing/sse', TOKEN);
  assert.deepEqual([elsewhere.status, elsewhere.json.error, elsewhere.json.code], [403, 'not_bound', 4004]);
  const a = await openSse('/connect/stream/shop/orders/sse', TOKEN);
  const b = await openSse('/connect/stream/shop/orders/sse', TOKEN);
  const full = await get('/connect/stream/shop/orders/sse', TOKEN);
  assert.deepEqual([full.status, full.json.error, full.json.code], [429, 'max_connections', 4003]);
  a.close();
  b.close();
  await Promise.all([a.ended, b.ended]);
});

test('hello and message events; acks and nacks via POST /connect/ack settle them', async () => {
  const one = await post(t.base, '/webhook/shop/orders', Buffer.from([0xff, 0x00, 0x01]));
  const two = await post(t.base, '/webhook/shop/orders', 'second');
  const s = await openSse('/connect/stream/shop/orders/sse?window=5', TOKEN);
  const hello = await s.next((e) => e.event === 'hello');
  assert.equal(hello.data.subscription, 'shop/sink');
  const m1 = await s.next((e) => e.event === 'message' && e.data.id === one.json.id);
  assert.ok(Buffer.from(String(m1.data.body), 'base64').equals(Buffer.from([0xff, 0x00, 0x01])));
  await s.next((e) => e.event === 'message' && e.data.id === two.json.id);
  const ack = await post(t.base, '/connect/ack/shop/orders', JSON.stringify({
    session: hello.data.session,
    frames: [{ type: 'ack', id: one.json.id }, { type: 'nack', id: two.json.id, action: 'dead', reason: 'max attempts reached' }, { type: 'ack', id: 'nope' }, { type: 'pong', t: 1 }],
  }), { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' });
  assert.equal(ack.status, 200);
  assert.deepEqual(ack.json, { settled: 2, unknown: ['nope'] });
  const q = { channel: { namespace: 'shop', name: 'orders' }, subscription: { namespace: 'shop', name: 'sink' } };
  const stats = await t.buffer.stats(q);
  assert.deepEqual([stats.messagesQueued, stats.deadLettered], [0, 1]);
  const wrong = await post(t.base, '/connect/ack/shop/orders', JSON.stringify({ type: 'ack', id: 'x' }), { authorization: `Bearer ${OTHER}` });
  assert.deepEqual([wrong.status, wrong.json.code], [403, 4004]);
  const garbage = await post(t.base, '/connect/ack/shop/orders', 'not json', { authorization: `Bearer ${TOKEN}` });
  assert.deepEqual([garbage.status, garbage.json.error], [400, 'bad_request']);
  s.close();
  await s.ended;
});
