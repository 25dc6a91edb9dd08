// Issue 9 item 10: a message's history keeps every attempt across redrives and shows the redrive itself,
// end to end: ingest, a stream that dead-letters it, a redrive through the admin API, delivery.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { ADMIN_TOKEN, spawnReceiver, STREAM_TOKEN, type ReceiverProcess } from './lib.ts';
import { eventually } from '../harness/eventually.ts';

let rx: ReceiverProcess;
before(async () => { rx = await spawnReceiver(); });
after(async () => { await rx.stop(); });

const adminFetch = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${rx.base}/admin/webhook-connect${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' } });

interface Frame { type: string; id?: string; attempt?: number }

test('dead-lettered, redriven, delivered: both attempts and the redrive are in the history', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${rx.port}/connect/stream/shop/orders?window=1`, { headers: { authorization: `Bearer ${STREAM_TOKEN}` } });
  const frames: Frame[] = [];
  let wake = (): void => {};
  ws.on('message', (d) => { frames.push(JSON.parse(d.toString()) as Frame); wake(); });
  const next = async (n: number): Promise<Frame> => {
    while (frames.filter((f) => f.type === 'message').length < n) await new Promise<void>((r) => { wake = r; });
    return frames.filter((f) => f.type === 'message')[n - 1];
  };
  await new Promise<void>((r) => ws.once('open', () => r()));
  const posted = await fetch(`${rx.base}/webhook/shop/orders`, { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json' } });
  const { id } = await posted.json() as { id: string };

  const first = await next(1);
  assert.deepEqual([first.id, first.attempt], [id, 1]);
  ws.send(JSON.stringify({ type: 'nack', id, action: 'dead', reason: 'max_attempts: 500', result: { statusCode: 500, latencyMs: 3 } }));
  await eventually(async () => {
    const dls = await (await adminFetch('/channels/shop/orders/dead-letters?subscription=sink')).json() as { deadLetters: { id: string }[] };
    return dls.deadLetters.some((d) => d.id === id);
  }, { message: 'the nack moved the message to the dead-letter queue', timeoutMs: 15_000 });
  assert.deepEqual(await (await adminFetch(`/channels/shop/orders/dead-letters/${id}/redrive?subscription=sink`, { method: 'POST' })).json(), { redriven: 1 });
  const again = await next(2);
  assert.deepEqual([again.id, again.attempt], [id, 1], 'a redrive counts attempts from 1 again');
  ws.send(JSON.stringify({ type: 'ack', id, result: { statusCode: 200, latencyMs: 4 } }));

  type Sub = { state: string; attempts: { attempt: number; redrive?: number; statusCode?: number }[]; redrives: { at: string }[] };
  const sub = await eventually(async () => {
    const h = await (await adminFetch(`/messages/${id}`)).json() as { subscriptions: Record<string, Sub> };
    const s = h.subscriptions['shop/sink'];
    return s.state === 'delivered' ? s : undefined;
  }, { message: 'the history shows the delivery', timeoutMs: 15_000 });
  assert.deepEqual(sub.attempts.map((a) => [a.redrive ?? 0, a.attempt, a.statusCode]), [[0, 1, 500], [1, 1, 200]], 'the first attempt is still there');
  assert.equal(sub.redrives.length, 1);
  assert.match(sub.redrives[0].at, /^\d{4}-\d\d-\d\dT/);
  ws.close();
});
