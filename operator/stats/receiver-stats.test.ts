import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../shared/logger.ts';
import { mergeFigures, mergeViews, parseChannelStats, ReceiverStats, type ChannelStats } from './receiver-stats.ts';
import { Writable } from 'node:stream';

const logger = createLogger({ name: 't', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
const answer = { namespace: 'a', name: 'pay', stats: { messages_queued: 5, messages_in_flight: 1, connected_clients: 2, dead_lettered: 3, last_delivery_at: '2030-01-01T00:00:00.000Z' },
  subscriptions: [
    { namespace: 'a', name: 'sink', stats: { messages_queued: 5, messages_in_flight: 1, connected_clients: 2, dead_lettered: 3, destination_gone_at: null, destination_gone_total: 0 } },
    { namespace: 'a', name: 'gone', stats: { messages_queued: 0, messages_in_flight: 0, connected_clients: 1, dead_lettered: 2, destination_gone_at: '2030-01-01T00:00:01.000Z', destination_gone_total: 2 } },
  ] };

test('parses the receiver admin answer (receiver/admin/channels.ts shape)', () => {
  const s = parseChannelStats(answer);
  assert.deepEqual({ ...s, subscriptions: undefined }, { backlog: 5, inFlight: 1, connected: 2, deadLettered: 3, lastDeliveryAt: '2030-01-01T00:00:00.000Z', subscriptions: undefined });
  assert.equal(s.subscriptions['a/sink'].backlog, 5);
  assert.equal(s.subscriptions['a/sink'].destinationGoneAt, undefined, 'null: no 410 yet');
  assert.equal(s.subscriptions['a/gone'].destinationGoneAt, '2030-01-01T00:00:01.000Z');
  assert.equal(s.destinationGoneAt, undefined, 'a channel has no destination');
});

function receiver(routes: Record<string, () => { status: number; body: unknown }>) {
  const seen: string[] = [];
  const f = (async (url: string | URL, init?: RequestInit) => {
    const u = new URL(String(url));
    seen.push(`${u.pathname} ${(init?.headers as Record<string, string>).authorization ?? ''}`);
    const route = routes[u.pathname];
    if (!route) return new Response('{}', { status: 404 });
    const r = route();
    return new Response(JSON.stringify(r.body), { status: r.status });
  }) as typeof fetch;
  return { f, seen };
}

test('one list request per round; only changed channels are reported; unreachable reported once', async () => {
  let queued = 5;
  let up = true;
  const { f, seen } = receiver({
    '/admin/webhook-connect/channels': () => {
      if (!up) throw new TypeError('fetch failed');
      return { status: 200, body: { channels: [{ ...answer, stats: { ...answer.stats, messages_queued: queued } }] } };
    },
  });
  const changed: string[] = [];
  const stats = new ReceiverStats({ receiverUrl: 'http://r', intervalMs: 1000, logger, fetch: f,
    channels: () => [{ namespace: 'a', name: 'pay' }, { namespace: 'a', name: 'other' }]});
  stats.onChange((k) => changed.push(k));
  await stats.pollOnce();
  assert.deepEqual(changed.sort(), ['a/other', 'a/pay']);
  assert.equal(stats.view({ namespace: 'a', name: 'other' }).state, 'missing');
  assert.equal(seen.length, 1, 'a single request for every channel');
  changed.length = 0;
  await stats.pollOnce();
  assert.deepEqual(changed, [], 'nothing changed, nothing reported');
  queued = 6;
  await stats.pollOnce();
  assert.deepEqual(changed, ['a/pay']);
  changed.length = 0;
  up = false;
  await stats.pollOnce();
  await stats.pollOnce();
  assert.deepEqual(changed.sort(), ['a/other', 'a/pay'], 'reported once when the receiver goes away');
  assert.equal(stats.view({ namespace: 'a', name: 'pay' }).state, 'unreachable');
});

test('a failing list falls back to per-channel requests; a buffer error stays with its channel', async () => {
  const { f, seen } = receiver({
    '/admin/webhook-connect/channels': () => ({ status: 503, body: { error: 'buffer_error' } }),
    '/admin/webhook-connect/channels/a/pay': () => ({ status: 200, body: answer }),
    '/admin/webhook-connect/channels/a/broken': () => ({ status: 503, body: { error: 'buffer_error', message: 'queue gone' } }),
  });
  const stats = new ReceiverStats({ receiverUrl: 'http://r/', adminTokenFile: undefined, intervalMs: 1000, logger, fetch: f,
    channels: () => [{ namespace: 'a', name: 'pay' }, { namespace: 'a', name: 'broken' }, { namespace: 'a', name: 'absent' }] });
  await stats.pollOnce();
  assert.equal(stats.view({ namespace: 'a', name: 'pay' }).state, 'ok');
  assert.deepEqual(stats.view({ namespace: 'a', name: 'broken' }), { state: 'bufferError', error: 'queue gone' });
  assert.equal(stats.view({ namespace: 'a', name: 'absent' }).state, 'missing');
  assert.equal(seen.length, 4);
  assert.equal(new ReceiverStats({ intervalMs: 1, logger, channels: () => [] }).view({ namespace: 'a', name: 'pay' }).state, 'disabled');
});

test('several receivers: connections, in-flight and held messages summed; the broker\'s counts once; the latest times', () => {
  const a = { namespace: 'a', name: 'pay', stats: { messages_queued: 7, messages_in_flight: 2, messages_held: 3, connected_clients: 1, dead_lettered: 4, last_delivery_at: '2030-01-01T00:00:05.000Z' },
    subscriptions: [{ namespace: 'a', name: 'sink', stats: { messages_queued: 7, messages_in_flight: 2, messages_held: 3, connected_clients: 1, dead_lettered: 4, last_delivery_at: '2030-01-01T00:00:05.000Z', destination_gone_at: null } }] };
  const b = { namespace: 'a', name: 'pay', stats: { messages_queued: 5, messages_in_flight: 1, messages_held: 1, connected_clients: 2, dead_lettered: 4, last_delivery_at: '2030-01-01T00:00:09.000Z' },
    subscriptions: [{ namespace: 'a', name: 'sink', stats: { messages_queued: 5, messages_in_flight: 1, messages_held: 1, connected_clients: 2, dead_lettered: 4, last_delivery_at: '2030-01-01T00:00:01.000Z', destination_gone_at: '2030-01-01T00:00:03.000Z' } }] };
  const merged = mergeViews([{ state: 'ok', stats: parseChannelStats(a) }, { state: 'ok', stats: parseChannelStats(b) }]);
  assert.equal(merged.state, 'ok');
  const s = (merged as { stats: ChannelStats }).stats;
  // The broker holds 4 ready messages (7 - 3 = 5 - 1); receiver a holds 3 more, b 1.
  assert.deepEqual({ ...s, subscriptions: undefined }, { backlog: 8, inFlight: 3, connected: 3, deadLettered: 4, held: 4, lastDeliveryAt: '2030-01-01T00:00:09.000Z', subscriptions: undefined });
  assert.deepEqual(s.subscriptions['a/sink'], { backlog: 8, inFlight: 3, connected: 3, deadLettered: 4, held: 4, lastDeliveryAt: '2030-01-01T00:00:05.000Z', destinationGoneAt: '2030-01-01T00:00:03.000Z' },
    'a 410 seen by one receiver, a delivery by the other: both count');
  const old = mergeFigures([{ backlog: 5, inFlight: 0, connected: 1, deadLettered: 1 }, { backlog: 6, inFlight: 0, connected: 1, deadLettered: 2 }]);
  assert.equal(old.backlog, 6, 'receivers without messages_held: the largest answer, never a double count');
  assert.deepEqual(mergeViews([{ state: 'missing' }, { state: 'ok', stats: parseChannelStats(a) }]).state, 'ok', 'a receiver that has not loaded the channel yet does not hide the others');
  assert.deepEqual(mergeViews([{ state: 'bufferError', error: 'x' }, { state: 'ok', stats: parseChannelStats(a) }]), { state: 'bufferError', error: 'x' });
  assert.deepEqual(mergeViews([{ state: 'missing' }, { state: 'missing' }]), { state: 'missing' });
});

test('every ready endpoint is asked; a silent one counts with its last answer while listed; none listed is unreachable', async () => {
  const answers: Record<string, unknown> = {
    'http://10.0.0.1:8080': { channels: [{ ...answer, stats: { ...answer.stats, connected_clients: 1 } }] },
    'http://10.0.0.2:8080': { channels: [{ ...answer, stats: { ...answer.stats, connected_clients: 2 } }] },
  };
  const down = new Set<string>();
  const asked: string[] = [];
  const f = (async (url: string | URL) => {
    const origin = new URL(String(url)).origin;
    asked.push(origin);
    if (down.has(origin)) throw new TypeError('fetch failed');
    return new Response(JSON.stringify(answers[origin]), { status: 200 });
  }) as typeof fetch;
  let endpoints: string[] | undefined;
  const stats = new ReceiverStats({ receiverUrl: 'http://svc:8080', endpoints: () => endpoints, endpointsSource: 'Service hb/rx', intervalMs: 1000, logger, fetch: f,
    channels: () => [{ namespace: 'a', name: 'pay' }] });
  const connected = () => { const v = stats.view({ namespace: 'a', name: 'pay' }); return v.state === 'ok' ? v.stats.connected : v.state; };
  await stats.pollOnce();
  assert.equal(connected(), 'unreachable', 'endpoints not listed yet');
  assert.deepEqual(asked, [], 'the Service URL is not asked in their place');
  endpoints = ['http://10.0.0.1:8080', 'http://10.0.0.2:8080'];
  await stats.pollOnce();
  assert.equal(connected(), 3);
  assert.deepEqual(asked.sort(), endpoints);
  down.add('http://10.0.0.2:8080');
  await stats.pollOnce();
  assert.equal(connected(), 3, 'a pod still listed as ready but silent this round keeps its figures');
  endpoints = ['http://10.0.0.1:8080'];
  await stats.pollOnce();
  assert.equal(connected(), 1, 'a pod no longer listed no longer counts');
  endpoints = [];
  await stats.pollOnce();
  assert.deepEqual(stats.view({ namespace: 'a', name: 'pay' }), { state: 'unreachable', error: 'no ready receiver endpoints (Service hb/rx)' });
});
