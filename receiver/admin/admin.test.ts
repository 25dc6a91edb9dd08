// The admin API over real HTTP: bearer auth (404 when disabled, 401, 429 after repeated failures), channel
// stats, dead-letter list/peek/redrive/purge with filters, and a message's history.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Delivery, QueueRef } from '../buffer/types.ts';
import { channel, post, request, route, startTest, StreamClient, type TestReceiver } from '../test-support.ts';
import { eventually } from '../../test/harness/eventually.ts';

const ADMIN = 'admin-token-for-the-admin-tests';
const TOKEN = 'hbt_admin-test-stream-token-gggggggggggggggggggggggg';
const auth = { authorization: `Bearer ${ADMIN}` };
const A = '/admin/webhook-connect';
const q = (sub: string): QueueRef => ({ channel: { namespace: 'shop', name: 'orders' }, subscription: { namespace: 'shop', name: sub } });
let t: TestReceiver;

before(async () => {
  t = await startTest({
    channels: [channel('orders', [route('sink', { tokens: [TOKEN] }), route('audit')], { eventType: { header: 'x-type' } })],
  }, { adminToken: ADMIN, trustedProxies: ['127.0.0.1'], limiter: { maxFailures: 3 } });
});
after(() => t.close());

const get = (path: string, headers: Record<string, string> = auth) => request('GET', `${t.base}${A}${path}`, undefined, headers);
const send = (method: string, path: string, body?: unknown) =>
  request(method, `${t.base}${A}${path}`, body === undefined ? undefined : JSON.stringify(body), { ...auth, 'content-type': 'application/json' });

/** Dead-letters every message currently queued for a subscription with the given reason. */
async function killAll(sub: string, reason: string): Promise<void> {
  const got: Delivery[] = [];
  const { messagesQueued } = await t.buffer.stats(q(sub));
  const c = await t.buffer.consume(q(sub), 100, (d) => got.push(d));
  await eventually(() => got.length >= messagesQueued, { message: `${messagesQueued} deliveries for ${sub}` });
  await Promise.all(got.map((d) => d.dead(reason, { statusCode: 500, latencyMs: 1 })));
  await c.cancel();
}

test('admin auth: 401 without or with a wrong token, 429 for failures past the limit, the valid token always passes', async () => {
  const x = { 'x-forwarded-for': '192.0.2.50' };
  assert.equal((await get('/channels', x)).status, 401);
  const wrong = await get('/channels', { ...x, authorization: 'Bearer nope' });
  assert.deepEqual([wrong.status, wrong.json.error], [401, 'unauthorized']);
  await get('/channels', { ...x, authorization: 'Bearer nope2' });
  assert.equal((await get('/channels', { ...x, authorization: 'Bearer nope3' })).status, 429);
  assert.equal((await get('/channels', { ...x, ...auth })).status, 200, 'the valid token from the same client');
  assert.equal((await get('/channels', { authorization: 'Bearer nope4' })).status, 401, 'other clients are not limited');
});

test('admin disabled without a configured token: 404', async () => {
  const off = await startTest({ channels: [] });
  try {
    const r = await request('GET', `${off.base}${A}/channels`, undefined, auth);
    assert.equal(r.status, 404);
  } finally { await off.close(); }
});

test('channel list and detail carry stats per subscription and summed', async () => {
  await post(t.base, '/webhook/shop/orders', 'a');
  await post(t.base, '/webhook/shop/orders', 'b');
  const c = new StreamClient(`${t.ws}/connect/stream/shop/orders?window=1`, TOKEN);
  await c.until((x) => x.messages().length === 1);
  const list = await get('/channels');
  assert.equal(list.status, 200);
  const [orders] = list.json.channels as { name: string; stats: Record<string, number> }[];
  assert.equal(orders.name, 'orders');
  assert.deepEqual(orders.stats, { messages_queued: 4, messages_in_flight: 1, connected_clients: 1, dead_lettered: 0, messages_held: 4 });
  const detail = await get('/channels/shop/orders');
  const subs = detail.json.subscriptions as { name: string; stats: Record<string, number> }[];
  assert.deepEqual(subs.map((s) => [s.name, s.stats]), [
    ['sink', { messages_queued: 2, messages_in_flight: 1, connected_clients: 1, dead_lettered: 0, messages_held: 2, destination_gone_at: null, destination_gone_total: 0 }],
    ['audit', { messages_queued: 2, messages_in_flight: 0, connected_clients: 0, dead_lettered: 0, messages_held: 2, destination_gone_at: null, destination_gone_total: 0 }],
  ]);
  assert.equal((detail.json.config as Record<string, unknown>).maxQueueSize, 100);
  assert.ok(!JSON.stringify(detail.json).includes('sha256'), 'no token hashes in the admin API');
  assert.equal((await get('/channels/shop/nope')).status, 404);
  for (const m of c.messages()) c.send({ type: 'ack', id: m.id });
  await c.until((x) => x.messages().length === 2);
  c.send({ type: 'ack', id: c.messages()[1].id });
  c.close();
  await c.closed;
  await killAll('audit', 'cleanup');
  assert.equal((await send('DELETE', '/channels/shop/orders/dead-letters?all=true')).json.purged, 2);
});

test('dead letters: list with filters, peek, redrive one and by filter, purge', async () => {
  const ids: string[] = [];
  for (const [i, type] of ['invoice.paid', 'invoice.failed', 'customer.created'].entries()) {
    ids.push(String((await post(t.base, '/webhook/shop/orders', `dl-${i}`, { 'x-type': type })).json.id));
  }
  await killAll('audit', 'max_attempts: 500 Internal Server Error');
  await killAll('sink', '410 Gone');
  const all = await get('/channels/shop/orders/dead-letters');
  assert.equal((all.json.deadLetters as unknown[]).length, 6);
  const audit = await get('/channels/shop/orders/dead-letters?subscription=audit&reason=max_attempts&limit=2');
  const auditList = audit.json.deadLetters as { id: string; subscription: string; attempts: number; lastResult: unknown }[];
  assert.deepEqual(auditList.map((d) => [d.id, d.subscription]), [[ids[0], 'shop/audit'], [ids[1], 'shop/audit']]);
  assert.deepEqual(auditList[0].lastResult, { statusCode: 500, latencyMs: 1 });
  const byType = await get('/channels/shop/orders/dead-letters?eventType=customer.created&subscription=sink');
  assert.deepEqual((byType.json.deadLetters as { id: string }[]).map((d) => d.id), [ids[2]]);
  assert.equal((await get('/channels/shop/orders/dead-letters?since=not-a-time')).status, 400);

  const peek = await get(`/channels/shop/orders/dead-letters/${ids[1]}?subscription=shop/sink`);
  assert.equal(peek.status, 200);
  assert.equal(Buffer.from(String((peek.json.message as { body: string }).body), 'base64').toString(), 'dl-1');
  assert.equal((await get('/channels/shop/orders/dead-letters/nope')).status, 404);

  assert.equal((await send('POST', '/channels/shop/orders/dead-letters/redrive', {})).status, 400, 'an empty filter is refused');
  const one = await send('POST', `/channels/shop/orders/dead-letters/${ids[0]}/redrive?subscription=sink`);
  assert.deepEqual(one.json, { redriven: 1 });
  const byFilter = await send('POST', '/channels/shop/orders/dead-letters/redrive', { subscription: 'sink', reason: 'Gone', since: new Date(Date.now() - 60_000).toISOString() });
  assert.deepEqual(byFilter.json, { redriven: 2 });
  const stats = await t.buffer.stats(q('sink'));
  assert.deepEqual([stats.messagesQueued, stats.deadLettered], [3, 0]);

  const purged = await send('POST', '/channels/shop/orders/dead-letters/purge', { ids: [ids[0], ids[1]] });
  assert.deepEqual(purged.json, { purged: 2 });
  assert.deepEqual((await send('DELETE', `/channels/shop/orders/dead-letters/${ids[2]}`)).json, { purged: 1 });
  assert.equal((await t.buffer.stats(q('audit'))).deadLettered, 0);
});

test('message history: received, routed subscriptions, attempts and state', async () => {
  const { json } = await post(t.base, '/webhook/shop/orders', 'history', { 'x-type': 'invoice.paid' });
  const c = new StreamClient(`${t.ws}/connect/stream/shop/orders?window=100`, TOKEN);
  await c.until((x) => x.messages().some((m) => m.id === json.id));
  c.send({ type: 'ack', id: json.id, result: { statusCode: 204, latencyMs: 9 } });
  const h = await eventually(async () => {
    const r = await get(`/messages/${json.id}`);
    return (r.json.subscriptions as Record<string, { state: string }>)['shop/sink'].state === 'delivered' && r;
  }, { message: 'history says delivered' });
  assert.equal(h.status, 200);
  assert.equal(h.json.channel, 'shop/orders');
  assert.deepEqual(h.json.routed, ['shop/sink', 'shop/audit']);
  const subs = h.json.subscriptions as Record<string, { state: string; attempts: Record<string, unknown>[] }>;
  assert.equal(subs['shop/sink'].state, 'delivered');
  assert.equal(subs['shop/sink'].attempts.length, 1);
  assert.deepEqual({ ...subs['shop/sink'].attempts[0], at: 'x' }, { at: 'x', attempt: 1, statusCode: 204, latencyMs: 9 });
  assert.equal(subs['shop/audit'].state, 'pending');
  assert.equal((await get('/messages/unknown-id')).status, 404);
  const detail = await get('/channels/shop/orders');
  const sink = (detail.json.subscriptions as { name: string; stats: Record<string, unknown> }[]).find((x) => x.name === 'sink');
  assert.match(String(sink?.stats.last_delivery_at), /^\d{4}-\d\d-\d\dT/);
  assert.equal((detail.json.stats as Record<string, unknown>).last_delivery_at, sink?.stats.last_delivery_at);
  c.close();
  await c.closed;
});

test('410 Gone per subscription: destination_gone_at (last, null if none) and destination_gone_total in the stats', async () => {
  const subStats = async (): Promise<Record<string, Record<string, unknown>>> => {
    const detail = await get('/channels/shop/orders');
    return Object.fromEntries((detail.json.subscriptions as { name: string; stats: Record<string, unknown> }[]).map((x) => [x.name, x.stats]));
  };
  const before = await subStats();
  assert.equal(before.sink.destination_gone_at, null);
  assert.equal(before.sink.destination_gone_total, 0);
  const ids: string[] = [];
  for (const body of ['gone-1', 'gone-2', 'not-gone']) ids.push(String((await post(t.base, '/webhook/shop/orders', body)).json.id));
  const c = new StreamClient(`${t.ws}/connect/stream/shop/orders?window=100`, TOKEN);
  await c.until((x) => ids.every((id) => x.messages().some((m) => m.id === id)));
  const t0 = Date.now();
  c.send({ type: 'nack', id: ids[0], action: 'dead', reason: 'gone: destination answered 410 Gone', result: { statusCode: 410, latencyMs: 2 } });
  c.send({ type: 'nack', id: ids[1], action: 'dead', reason: 'gone: destination answered 410 Gone', result: { statusCode: 410, latencyMs: 2 } });
  c.send({ type: 'nack', id: ids[2], action: 'dead', reason: 'HTTP 404: not retryable', result: { statusCode: 404, latencyMs: 2 } });
  const after = await eventually(async () => {
    const s = await subStats();
    return s.sink.dead_lettered === before.sink.dead_lettered as number + 3 && s;
  }, { message: 'three more dead-lettered' });
  assert.equal(after.sink.destination_gone_total, 2, 'two 410s; the 404 is not counted');
  const at = Date.parse(String(after.sink.destination_gone_at));
  assert.ok(at >= t0 - 1000 && at <= Date.now(), `destination_gone_at ${after.sink.destination_gone_at}`);
  assert.equal(after.audit.destination_gone_at, null, 'per subscription');
  assert.equal(after.audit.destination_gone_total, 0);
  const list = await get('/channels');
  const listed = (list.json.channels as { subscriptions: { name: string; stats: Record<string, unknown> }[] }[])[0].subscriptions.find((x) => x.name === 'sink');
  assert.equal(listed?.stats.destination_gone_total, 2, 'the list endpoint the operator reads carries it too');
  c.close();
  await c.closed;
});

test('health, healthz, readyz', async () => {
  const h = await request('GET', `${t.base}/health`);
  assert.deepEqual([h.status, h.json], [200, { status: 'healthy', buffer: 'connected', channels: 1 }]);
  assert.equal((await request('GET', `${t.base}/healthz`)).status, 200);
  assert.deepEqual((await request('GET', `${t.base}/readyz`)).json, { status: 'ready' });
  assert.ok(!t.logs().includes(ADMIN) && !t.logs().includes(TOKEN));
});
