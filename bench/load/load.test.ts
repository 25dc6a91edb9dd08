import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { BODY_BYTES, readStamp } from '../lib/payload.ts';
import { closedLoop } from './closed.ts';
import { openLoop } from './open.ts';

// A server that records every body it gets and answers 503 for sequence numbers divisible by 5.
const seen: number[] = [];
let badBodies = 0;
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const stamp = readStamp(body);
    if (!stamp || body.length !== BODY_BYTES || req.url !== '/webhook/ns/ch') { badBodies++; res.writeHead(400).end(); return; }
    seen.push(stamp.seq);
    res.writeHead(stamp.seq % 5 === 0 ? 503 : 202).end('{}');
  });
});
let url = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/ns/ch`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('closed loop sends 1 KiB bodies with fresh sequence numbers and classifies answers', async () => {
  seen.length = 0;
  const r = await closedLoop({ url, clients: 4, warmupMs: 50, durationMs: 200, seqStart: 1000 });
  assert.equal(badBodies, 0);
  assert.equal(seen.length, r.sent);
  assert.equal(new Set(seen).size, seen.length, 'no sequence number reused');
  assert.equal(Math.min(...seen), 1000);
  assert.equal(r.seqEnd, 1000 + r.sent);
  assert.ok(r.ok > 0 && r.rejected['503'] > 0, JSON.stringify(r));
  assert.equal(r.errors, 0);
  assert.ok(r.ok + r.rejected['503'] <= r.sent);
  assert.equal(r.latencyMs.count, r.ok);
});

test('closed loop with stopAfterOk stops at exactly that many accepted answers, rejected ones not counted', async () => {
  seen.length = 0;
  const r = await closedLoop({ url, clients: 4, warmupMs: 0, durationMs: 30_000, seqStart: 2000, stopAfterOk: 50 });
  assert.equal(r.ok, 50);
  assert.equal(seen.filter((seq) => seq % 5 !== 0).length, 50, 'the server accepted exactly 50');
  assert.ok(r.rejected['503'] > 0, JSON.stringify(r));
  assert.equal(r.sent, seen.length);
  assert.ok(r.windowMs > 0 && r.windowMs < 30_000);
  assert.equal(r.rate, (r.ok * 1000) / r.windowMs);
});

test('open loop sends exactly rate × time requests, each stamped with its schedule', async () => {
  seen.length = 0;
  const r = await openLoop({ url, rate: 500, warmupMs: 100, durationMs: 400, connections: 8, seqStart: 0 });
  assert.equal(badBodies, 0);
  assert.equal(r.seqEnd, 250);
  assert.equal(r.measuredFrom, 50);
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 250 }, (_, i) => i));
  assert.equal(r.sent, 200);
  assert.equal(r.rejected['503'], 40); // seq 50..249 divisible by 5
  assert.equal(r.accepted, 160);
  assert.equal(r.errors, 0);
  assert.equal(r.lastScheduledAt - r.firstScheduledAt, 199 * 2);
});

test('open loop counts refused connections as errors, not as answers', async () => {
  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const r = await openLoop({ url: `http://127.0.0.1:${port}/x`, rate: 200, warmupMs: 0, durationMs: 100, connections: 2 });
  assert.equal(r.sent, 20);
  assert.equal(r.errors, 20);
  assert.equal(r.accepted, 0);
});
