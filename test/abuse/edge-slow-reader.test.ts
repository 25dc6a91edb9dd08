// Issue 9 item 4: a stream peer that stops reading must not grow receiver memory without bound, and a
// frame must never make the receiver send something that is not JSON. The receiver runs in this process
// with a short heartbeat (the slow-reader rule counts heartbeats); the attacker is a raw socket that
// authenticates, stops reading, and floods pings.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { channel, post, route, startTest, type TestReceiver } from '../../receiver/test-support.ts';
import { rawWebSocket, serverTexts, textFrame } from './ws-raw.ts';
import { eventually } from '../harness/eventually.ts';

const TOKEN = 'hbt_slow-reader-suite-token-abcdefghijklmnopqrstuvwxyz012';
const PINGS = 400_000;
let t: TestReceiver;

before(async () => {
  t = await startTest({ channels: [channel('orders', [route('sink', { tokens: [TOKEN] })], { maxPayloadBytes: 1024 * 1024, maxConnections: 10 })] }, { heartbeatMs: 300 });
});
after(() => t.close());

const connected = async (): Promise<number> => {
  const text = await (await fetch(`${t.base}/metrics`)).text();
  return Number(/^hookbridge_connected_connectors\{[^}]*subscription="sink"\} (\d+)/m.exec(text)?.[1] ?? 0);
};

test('{"type":"ping","t":1e400} is answered with JSON (t: 0), not Infinity', async () => {
  const { sock, rest } = await rawWebSocket(Number(new URL(t.base).port), '/connect/stream/shop/orders', TOKEN);
  let got = rest;
  sock.on('data', (c: Buffer) => { got = Buffer.concat([got, c]); });
  sock.write(Buffer.concat([textFrame('{"type":"ping","t":1e400}'), textFrame('{"type":"ping","t":-1e400}'), textFrame('{"type":"ping","t":5}')]));
  const pongs = await eventually(() => {
    const p = serverTexts(got).filter((f) => f.includes('"pong"'));
    return p.length === 3 ? p : undefined;
  });
  for (const p of pongs) assert.doesNotThrow(() => JSON.parse(p), p);
  assert.deepEqual(pongs.map((p) => (JSON.parse(p) as { t: number }).t), [0, 0, 5]);
  sock.destroy();
  await eventually(async () => (await connected()) === 0);
});

test(`${PINGS} pings from a peer that never reads: memory stays bounded and the peer is dropped as a slow reader`, async (tc) => {
  const drops = (): number => t.logs().split('stream peer is not reading; dropped').length - 1;
  const dropsBefore = drops();
  const rssBefore = process.memoryUsage().rss;
  const { sock } = await rawWebSocket(Number(new URL(t.base).port), '/connect/stream/shop/orders', TOKEN);
  sock.pause(); // never read again; the pings keep the peer alive as far as heartbeats go
  sock.on('error', () => {});
  const batch = Buffer.concat(Array.from({ length: 1000 }, (_, i) => textFrame(`{"type":"ping","t":${1e15 + i}}`)));
  let peak = rssBefore;
  let sent = 0;
  for (let i = 0; i < PINGS / 1000 && !sock.destroyed; i++) {
    if (!sock.write(batch)) await new Promise<void>((r) => { sock.once('drain', r); sock.once('close', r); });
    sent += 1000;
    if (i % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  tc.diagnostic(`after ${sent} pings: RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(peak / 2 ** 20).toFixed(1)} MiB`);
  // Keep pinging (bounded) until the receiver has dropped the peer.
  await eventually(async () => {
    if (!sock.destroyed) sock.write(batch);
    peak = Math.max(peak, process.memoryUsage().rss);
    return drops() > dropsBefore;
  }, { timeoutMs: 20_000 });
  await eventually(async () => (await connected()) === 0);
  const grewMb = (peak - rssBefore) / 2 ** 20;
  tc.diagnostic(`pings sent: ${sent}; RSS before ${(rssBefore / 2 ** 20).toFixed(1)} MiB, peak during the attack ${(peak / 2 ** 20).toFixed(1)} MiB (+${grewMb.toFixed(1)} MiB)`);
  assert.ok(grewMb < 48, `RSS grew by ${grewMb.toFixed(1)} MiB`);
  sock.destroy();
});

test('an SSE reader that stops reading while messages wait is dropped, and its messages go back to the queue', async () => {
  const port = Number(new URL(t.base).port);
  const drops = (): number => t.logs().split('stream peer is not reading; dropped').length - 1;
  const dropsBefore = drops();
  const req = http.request({ host: '127.0.0.1', port, path: '/connect/stream/shop/orders/sse?window=20', headers: { authorization: `Bearer ${TOKEN}` } });
  req.end();
  const res = await new Promise<http.IncomingMessage>((r) => req.once('response', r));
  assert.equal(res.statusCode, 200);
  res.socket.pause(); // the headers are in; nothing more is read
  res.on('error', () => {});
  const body = Buffer.alloc(1024 * 1024 - 16, 'a');
  for (let i = 0; i < 20; i++) assert.equal((await post(t.base, '/webhook/shop/orders', body)).status, 202);
  // The peer stays alive as far as heartbeats go (pings on the ack endpoint) but reads nothing.
  await eventually(async () => {
    await post(t.base, '/connect/ack/shop/orders', '{"type":"ping","t":1}', { authorization: `Bearer ${TOKEN}` });
    return drops() > dropsBefore;
  }, { timeoutMs: 20_000 });
  await eventually(async () => (await connected()) === 0);
  assert.equal(drops(), dropsBefore + 1, 'dropped as a slow reader');
  const queue = { channel: { namespace: 'shop', name: 'orders' }, subscription: { namespace: 'shop', name: 'sink' } };
  await eventually(async () => (await t.buffer.stats(queue)).messagesInFlight === 0);
  assert.equal((await t.buffer.stats(queue)).messagesQueued, 20, 'every message is back in the queue');
  res.destroy();
});
