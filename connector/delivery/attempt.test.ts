import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpSender } from './attempt.ts';
import { track } from '../testing/cleanup.ts';

async function serve(handler: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void) {
  const sockets = new Set<unknown>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return track({ url, sockets, close: () => { server.closeAllConnections(); return new Promise((r) => server.close(r)); } });
}

test('POSTs the exact bytes and headers; keep-alive reuses one connection', async () => {
  const seen: { path?: string; body: Buffer; headers: IncomingMessage['headers'] }[] = [];
  const s = await serve((req, body, res) => { seen.push({ path: req.url, body, headers: req.headers }); res.end('ok'); });
  const sender = track(new HttpSender({ connections: 1 }));
  const body = Buffer.from([0, 1, 2, 0xff, 0xfe]);
  for (let i = 0; i < 3; i++) {
    const r = await sender.send({ url: `${s.url}/hooks?x=1`, headers: { 'content-type': 'application/octet-stream', 'x-a': 'b' }, body, timeoutMs: 2000 });
    assert.equal(r.status, 200);
  }
  assert.equal(seen.length, 3);
  assert.equal(seen[0].path, '/hooks?x=1');
  assert.deepEqual(seen[0].body, body);
  assert.equal(seen[0].headers['x-a'], 'b');
  assert.equal(s.sockets.size, 1, 'one pooled keep-alive connection');
  await sender.close();
  await s.close();
});

test('redirects are not followed: the 3xx comes back as the status', async () => {
  let targetHits = 0;
  const target = await serve((_q, _b, res) => { targetHits++; res.end('moved here'); });
  const s = await serve((_q, _b, res) => { res.writeHead(307, { location: `${target.url}/new` }).end(); });
  const sender = track(new HttpSender({ connections: 2 }));
  const r = await sender.send({ url: `${s.url}/old`, headers: {}, body: Buffer.from('{}'), timeoutMs: 2000 });
  assert.equal(r.status, 307);
  assert.equal(targetHits, 0);
  await sender.close();
  await s.close();
  await target.close();
});

test('Retry-After is returned', async () => {
  const s = await serve((_q, _b, res) => { res.writeHead(429, { 'retry-after': '17' }).end(); });
  const sender = track(new HttpSender({ connections: 1 }));
  const r = await sender.send({ url: s.url, headers: {}, body: Buffer.alloc(0), timeoutMs: 2000 });
  assert.deepEqual({ status: r.status, retryAfter: r.retryAfter }, { status: 429, retryAfter: '17' });
  await sender.close();
  await s.close();
});

test('a destination slower than the timeout is a timeout error, not a status', async () => {
  const s = await serve(() => { /* never answers */ });
  const sender = track(new HttpSender({ connections: 1 }));
  const r = await sender.send({ url: s.url, headers: {}, body: Buffer.from('x'), timeoutMs: 150 });
  assert.equal(r.status, undefined);
  assert.match(r.error ?? '', /timeout after 150ms/);
  await sender.close();
  await s.close();
});

test('connection refused is a network error', async () => {
  const s = await serve(() => {});
  const url = s.url;
  await s.close();
  const sender = track(new HttpSender({ connections: 1 }));
  const r = await sender.send({ url, headers: {}, body: Buffer.from('x'), timeoutMs: 2000 });
  assert.equal(r.status, undefined);
  assert.match(r.error ?? '', /network error: ECONNREFUSED/);
  await sender.close();
});

test('an abort signal (shutdown) cuts an attempt short', async () => {
  const s = await serve(() => {});
  const sender = track(new HttpSender({ connections: 1 }));
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const r = await sender.send({ url: s.url, headers: {}, body: Buffer.from('x'), timeoutMs: 10_000, signal: ac.signal });
  assert.match(r.error ?? '', /aborted/);
  await sender.close();
  await s.close();
});
