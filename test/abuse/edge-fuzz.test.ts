// Issue 9 item 1: property-based fuzzing of the public edge with fast-check, against `hookbridge receiver`
// as its own process on loopback. Methods, request targets (including ones that are not URLs), headers,
// bodies and, on an authenticated stream, WebSocket frames. The properties: the process stays up, every
// answer is a sane HTTP answer (never a 500), every server frame is JSON, and a 2xx from ingest always
// names a message the receiver stored (its history exists) — never one it did not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { ADMIN_TOKEN, rawRequest, SIGNING_SECRET, spawnReceiver, STREAM_TOKEN, type ReceiverProcess } from './lib.ts';

const HTTP_RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 600);
const WS_RUNS = Number(process.env.FUZZ_WS_RUNS ?? 120);

let rx: ReceiverProcess;
before(async () => { rx = await spawnReceiver({ env: { HOOKBRIDGE_LOG_LEVEL: 'debug' } }); });
after(async () => { await rx.stop(); });

const PATHS = [
  '/webhook/shop/orders', '/webhook/shop/signed', '/webhook/shop/missing', '/webhook/shop', '/webhook/%E0%A4%A/orders',
  '/connect/stream/shop/orders', '/connect/stream/shop/orders/sse', '/connect/stream/shop/signed', '/connect/ack/shop/orders',
  '/health', '/healthz', '/readyz', '/metrics', '/admin/webhook-connect/channels', '/admin/webhook-connect/channels/shop/orders',
  '/admin/webhook-connect/channels/shop/orders/dead-letters', '/admin/webhook-connect/messages/x', '/', '*',
];
const PREFIXES = ['', '', '', '//', '//[', 'http://%%', 'http://[::1', 'http://x', 'https://[', '/..', '\\\\'];
const URLISH = fc.string({ unit: fc.constantFrom(...'%[]?#/:@!$&\'()*+,;=.~-_azAZ09é\u0000\u00ff'.split('')), maxLength: 12 });

// Weighted towards requests the HTTP parser accepts, so most of them reach the routes.
const target = fc.oneof(
  { arbitrary: fc.constantFrom(...PATHS), weight: 4 },
  { arbitrary: fc.constant('/webhook/shop/orders'), weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom(...PREFIXES), fc.constantFrom(...PATHS), URLISH).map(([p, path, tail]) => p + path + tail), weight: 4 },
  { arbitrary: URLISH.map((s) => s || '/'), weight: 1 },
  { arbitrary: fc.string({ maxLength: 40 }).map((s) => s.replace(/[\s]/g, '') || '/'), weight: 1 },
);
const method = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'), weight: 9 },
  { arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,12}$/), weight: 1 },
);
const headerName = fc.oneof(
  fc.constantFrom('content-type', 'content-length', 'transfer-encoding', 'authorization', 'x-forwarded-for', 'x-signature', 'x-github-event',
    'x-hub-signature-256', 'webhook-signature', 'webhook-timestamp', 'traceparent', 'expect', 'cookie', 'sec-websocket-protocol', 'range'),
  fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
);
const headerValue = fc.oneof(
  fc.constantFrom('application/json', 'Bearer ' + STREAM_TOKEN, 'Bearer ' + ADMIN_TOKEN),
  fc.constantFrom('Bearer ' + STREAM_TOKEN, 'Bearer ' + ADMIN_TOKEN, 'Bearer x', 'chunked', '100-continue', '-1', '99999999999', '1e400', 'NaN',
    'application/json', 'sha256=00', '1.2.3.4, 999.1.1.1, ::1, [::1]:80, garbage'),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b)),
  fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
  fc.constant(Buffer.alloc(0)),
);
const request = fc.record({
  method, target, body,
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
  upgrade: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
  contentLength: fc.oneof({ arbitrary: fc.constant('exact'), weight: 8 }, { arbitrary: fc.constant('none'), weight: 1 }, { arbitrary: fc.integer({ min: -2, max: 4000 }).map(String), weight: 1 }),
});
type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

function encode(r: Req): Buffer {
  const lines = [`${r.method} ${r.target} HTTP/1.1`, 'Host: 127.0.0.1'];
  if (r.upgrade) lines.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13');
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  if (r.contentLength === 'exact') lines.push(`Content-Length: ${r.body.length}`);
  else if (r.contentLength !== 'none') lines.push(`Content-Length: ${r.contentLength}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), r.body]);
}

const accepted: string[] = [];
const statuses = new Map<string, number>();

test(`HTTP fuzz (${HTTP_RUNS} requests): the receiver stays up, never answers 500, and every 2xx ingest names a stored message`, async (t) => {
  let tried = 0;
  await fc.assert(fc.asyncProperty(request, async (r) => {
    tried++;
    const a = await rawRequest(rx.port, encode(r));
    statuses.set(String(a.status ?? 'closed'), (statuses.get(String(a.status ?? 'closed')) ?? 0) + 1);
    assert.ok(rx.alive(), `the receiver exited after ${JSON.stringify(r.method)} ${JSON.stringify(r.target)}:\n${rx.output().slice(-2000)}`);
    if (a.status === undefined) return; // the request never completed (e.g. a body shorter than its Content-Length)
    assert.ok(a.status >= 100 && a.status <= 599, `status ${a.status}`);
    assert.notEqual(a.status, 500, `500 for ${r.method} ${JSON.stringify(r.target)}: ${a.body}`);
    if (a.status >= 200 && a.status < 300 && /"id":"[^"]+"/.test(a.body)) {
      assert.equal(a.status, 202, `an ingest answer is 202: ${a.head}`);
      accepted.push(JSON.parse(a.body).id as string);
    }
  }), { numRuns: HTTP_RUNS, endOnFailure: true, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) });
  const healthy = await fetch(`${rx.base}/healthz`);
  assert.equal(healthy.status, 200);
  t.diagnostic(`requests tried: ${tried}, crashes: ${rx.alive() ? 0 : 1}, accepted: ${accepted.length}, statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  for (const id of accepted) {
    const h = await fetch(`${rx.base}/admin/webhook-connect/messages/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(h.status, 200, `history of accepted message ${id}`);
    const doc = await h.json() as { channel: string };
    assert.equal(doc.channel, 'shop/orders', 'only the unsigned channel can accept fuzzed requests');
  }
});

/** Frames a confused or hostile connector could send: valid-looking ones with hostile values, and junk. */
const frame = fc.oneof(
  fc.constantFrom('{"type":"ping","t":1e400}', '{"type":"ping","t":-1e400}', '{"type":"ping","t":"x"}', '{"type":"ping","t":{"a":1}}',
    '{"type":"ack"}', '{"type":"ack","id":5}', '{"type":"nack","id":"x","action":"retry","delayMs":1e400}', '{"type":"nack","id":"x","action":"dead","reason":{}}',
    '{"type":"pong","t":null}', '[]', 'null', '"ping"', '{"type":"__proto__"}', '{"__proto__":{"type":"ping"}}'),
  fc.record({ type: fc.constantFrom('ping', 'pong', 'ack', 'nack', 'hello', 'x'), t: fc.oneof(fc.double(), fc.string(), fc.constant(null)), id: fc.oneof(fc.string(), fc.integer()), action: fc.constantFrom('retry', 'dead', 'x'), delayMs: fc.double(), result: fc.anything() }, { requiredKeys: ['type'] })
    .map((f) => JSON.stringify(f) ?? 'null'),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
);

test(`WebSocket frame fuzz (${WS_RUNS} streams): every server frame is JSON and the receiver stays up`, async (t) => {
  let frames = 0;
  await fc.assert(fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 20 }), async (list) => {
    const ws = new WebSocket(`ws://127.0.0.1:${rx.port}/connect/stream/shop/orders?window=1`, { headers: { authorization: `Bearer ${STREAM_TOKEN}` } });
    const received: string[] = [];
    ws.on('message', (d, binary) => { if (!binary) received.push(d.toString()); });
    ws.on('error', () => {});
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('close', () => reject(new Error(`stream closed before it opened; receiver alive: ${rx.alive()}`)));
    });
    for (const f of list) ws.send(f);
    frames += list.length;
    ws.send('{"type":"ping","t":42}'); // the answer to this one shows every frame before it was handled
    while (!received.some((m) => m === '{"type":"pong","t":42}') && ws.readyState === ws.OPEN) await new Promise<void>((r) => ws.once('message', () => r()));
    ws.close();
    await closed;
    for (const m of received) assert.doesNotThrow(() => JSON.parse(m), `server frame is not JSON: ${m.slice(0, 200)}`);
    assert.ok(rx.alive(), `the receiver exited:\n${rx.output().slice(-2000)}`);
  }), { numRuns: WS_RUNS, endOnFailure: true, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) });
  t.diagnostic(`streams: ${WS_RUNS}, frames sent: ${frames}, crashes: ${rx.alive() ? 0 : 1}`);
});

test('no token or secret the fuzzers sent reached a log line (debug level)', () => {
  const out = rx.output();
  assert.ok(out.length > 0);
  for (const secret of [STREAM_TOKEN, ADMIN_TOKEN, SIGNING_SECRET]) assert.ok(!out.includes(secret), 'a secret in the log output');
});
