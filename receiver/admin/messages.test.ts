// GET /admin/webhook-connect/channels/{ns}/{name}/messages over real HTTP: filters, the last error and
// attempt count per subscription, cursor pages, and the errors a caller can act on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { channel, post, request, route, startTest, StreamClient, type TestReceiver } from '../test-support.ts';
import { eventually } from '../../test/harness/eventually.ts';

const ADMIN = 'admin-token-for-the-listing-tests';
const TOKEN = 'hbt_listing-test-stream-token-hhhhhhhhhhhhhhhhhhhhhhh';
const auth = { authorization: `Bearer ${ADMIN}` };
const LIST = '/admin/webhook-connect/channels/shop/orders/messages';
let t: TestReceiver;
const ids: string[] = []; // oldest first: push, invoice.paid, push, invoice.paid
/** Newest first needs distinct receive times: wait for the clock to move on (not for I/O). */
const nextMs = async (): Promise<void> => { const t0 = Date.now(); while (Date.now() === t0) await new Promise((r) => setImmediate(r)); };

before(async () => {
  t = await startTest({
    channels: [channel('orders', [route('sink', { tokens: [TOKEN] }), route('audit', { eventTypes: ['invoice.*'] })], { eventType: { header: 'x-type' } })],
  }, { adminToken: ADMIN });
  for (const type of ['push', 'invoice.paid', 'push', 'invoice.paid']) {
    await nextMs();
    ids.push(String((await post(t.base, '/webhook/shop/orders', `{"type":"${type}"}`, { 'x-type': type })).json.id));
  }
  // sink: the oldest delivered, the second dead after a 503, the rest left pending
  const c = new StreamClient(`${t.ws}/connect/stream/shop/orders?window=2`, TOKEN);
  await c.until((x) => x.messages().length === 2);
  c.send({ type: 'ack', id: ids[0], result: { statusCode: 200, latencyMs: 3 } });
  c.send({ type: 'nack', id: ids[1], action: 'dead', reason: 'max attempts reached (1/1): HTTP 503', result: { statusCode: 503, latencyMs: 7 } });
  await eventually(async () => (await listed('?subscription=sink&state=dead_lettered')).length === 1);
  c.close();
  await c.closed;
});
after(() => t.close());

const get = (query: string) => request('GET', `${t.base}${LIST}${query}`, undefined, auth);
type Row = { id: string; receivedAt: string; eventType: string | null; subscriptions: Record<string, Record<string, unknown>> };
const rows = async (query: string): Promise<Row[]> => (await get(query)).json.messages as Row[];
const listed = async (query: string): Promise<string[]> => (await rows(query)).map((m) => m.id);

test('newest first, each subscription\'s state, attempt count and last error', async () => {
  const r = await get('');
  assert.equal(r.status, 200);
  assert.equal(r.json.next, null);
  const all = r.json.messages as Row[];
  assert.deepEqual(all.map((m) => m.id), [...ids].reverse());
  const dead = all.find((m) => m.id === ids[1]) as Row;
  assert.equal(dead.eventType, 'invoice.paid');
  assert.ok(!Number.isNaN(Date.parse(dead.receivedAt)));
  assert.deepEqual({ ...dead.subscriptions['shop/sink'], lastAttemptAt: 'x' }, {
    state: 'dead_lettered', attempts: 1, lastAttemptAt: 'x', lastStatusCode: 503, lastError: 'HTTP 503', reason: 'max attempts reached (1/1): HTTP 503',
  });
  assert.deepEqual(dead.subscriptions['shop/audit'], { state: 'pending', attempts: 0 }, 'invoice.* is routed to audit too');
  assert.deepEqual(Object.keys(all.find((m) => m.id === ids[0])?.subscriptions ?? {}), ['shop/sink'], 'push is not routed to audit');
});

test('filters: subscription (name or ns/name), state, event type (glob), time', async () => {
  assert.deepEqual(await listed('?subscription=sink&state=delivered'), [ids[0]]);
  assert.deepEqual(await listed('?subscription=shop/sink&state=pending'), [ids[3], ids[2]]);
  assert.deepEqual(await listed('?subscription=audit'), [ids[3], ids[1]]);
  assert.deepEqual(await listed('?eventType=push'), [ids[2], ids[0]]);
  assert.deepEqual(await listed('?eventType=invoice.*&state=dead_lettered'), [ids[1]]);
  const all = await rows('');
  const at = (id: string) => all.find((m) => m.id === id)?.receivedAt as string;
  const since = await listed(`?since=${encodeURIComponent(at(ids[3]))}`);
  assert.ok(since.includes(ids[3]), 'since is inclusive');
  assert.ok(since.every((id) => at(id) >= at(ids[3])));
  assert.deepEqual(await listed(`?until=${Date.parse(at(ids[0]))}`), [], 'until is exclusive');
});

test('cursor pages: every message once, in order', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await get(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200);
    seen.push(...(r.json.messages as { id: string }[]).map((m) => m.id));
    cursor = r.json.next as string | null;
    pages++;
  } while (cursor);
  assert.deepEqual(seen, [...ids].reverse());
  assert.equal(pages, 2);
});

test('errors: unknown channel 404, bad state, limit or cursor 400, no token 401', async () => {
  assert.equal((await request('GET', `${t.base}/admin/webhook-connect/channels/shop/nope/messages`, undefined, auth)).status, 404);
  for (const q of ['?state=lost', '?limit=0', '?limit=abc', '?cursor=garbage', '?since=yesterday']) {
    const r = await get(q);
    assert.deepEqual([r.status, r.json.error], [400, 'bad_request'], q);
  }
  assert.equal((await request('GET', `${t.base}${LIST}`)).status, 401);
});
