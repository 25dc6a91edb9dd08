// The webhook destination both systems deliver to. It verifies every signature (DEST_SCHEME
// standard-webhooks or hmac-sha256 with DEST_SECRET), reads the body's stamp, and records receipt time,
// so latency is scheduled send → received here. Answers 200 at once. The orchestrator asks for figures.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readStamp } from '../lib/payload.ts';
import { verifyHmacHeader, verifyStandard } from '../lib/signatures.ts';
import { nowMs, perSecond, summarize } from '../lib/stats.ts';
import { handle, ready, requireEnv } from './ipc.ts';

const scheme = requireEnv('DEST_SCHEME');
const secret = requireEnv('DEST_SECRET');
const verify = scheme === 'hmac-sha256' ? verifyHmacHeader : verifyStandard;

let received = 0;
let badSignature = 0;
let unreadable = 0;
const firstSeen = new Map<number, { t: number; at: number }>(); // seq → scheduled t, first receipt time
let duplicates = 0;
let receipts: number[] = []; // receipt times, for throughput windows

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = nowMs();
    const body = Buffer.concat(chunks);
    received++;
    if (!verify(secret, req.headers, body)) { badSignature++; res.writeHead(400).end(); return; }
    const stamp = readStamp(body);
    if (!stamp) { unreadable++; res.writeHead(400).end(); return; }
    if (firstSeen.has(stamp.seq)) duplicates++;
    else firstSeen.set(stamp.seq, { t: stamp.t, at });
    receipts.push(at);
    res.writeHead(200).end();
  });
});
server.keepAliveTimeout = 60_000;

handle('reset', () => {
  received = badSignature = unreadable = duplicates = 0;
  firstSeen.clear();
  receipts = [];
  return {};
});

/** Throughput over [windowStart, windowEnd] and latency of messages with seq in [seqFrom, seqTo). */
handle('report', (m) => {
  const seqFrom = Number(m.seqFrom ?? 0);
  const seqTo = Number(m.seqTo ?? Number.MAX_SAFE_INTEGER);
  const windowStart = Number(m.windowStart ?? 0);
  const windowEnd = Number(m.windowEnd ?? Number.MAX_SAFE_INTEGER);
  const latencies: number[] = [];
  let lastAt = 0;
  for (const [seq, r] of firstSeen) {
    if (seq < seqFrom || seq >= seqTo) continue;
    latencies.push(r.at - r.t);
    if (r.at > lastAt) lastAt = r.at;
  }
  const inWindow = receipts.filter((at) => at >= windowStart && at <= windowEnd).length;
  return {
    received, badSignature, unreadable, duplicates, unique: firstSeen.size,
    measuredDelivered: latencies.length, lastAt,
    windowCount: inWindow, windowRate: perSecond(inWindow, windowEnd - windowStart),
    latencyMs: summarize(latencies),
  };
});

/** How many distinct measured messages arrived so far (the orchestrator polls this to wait for the drain). */
handle('count', (m) => {
  const seqFrom = Number(m.seqFrom ?? 0);
  const seqTo = Number(m.seqTo ?? Number.MAX_SAFE_INTEGER);
  let n = 0;
  for (const seq of firstSeen.keys()) if (seq >= seqFrom && seq < seqTo) n++;
  return { count: n, received };
});

server.listen(0, '127.0.0.1', () => ready({ port: (server.address() as AddressInfo).port }));
