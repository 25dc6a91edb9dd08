import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logger.ts';
import { verifyWithSecrets } from '../../shared/standard-webhooks.ts';
import { createRegistry } from '../../shared/metrics.ts';
import type { ConnectorSubscription } from '../../shared/config.ts';
import type { MessageFrame } from '../../shared/protocol.ts';
import { systemClock } from '../clock.ts';
import { connectorMetrics } from '../metrics.ts';
import { HttpSender } from './attempt.ts';
import { Deliverer } from './deliver.ts';
import { DestinationGuard } from './guard.ts';
import { track } from '../testing/cleanup.ts';

const SECRET = 'whsec_' + Buffer.from('a-32-byte-long-signing-secret!!!').toString('base64');

type Reply = { status: number; headers?: Record<string, string> };
async function destination(replies: (n: number) => Reply) {
  const got: { headers: IncomingMessage['headers']; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const r = replies(got.length);
      res.writeHead(r.status, r.headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return track({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, close: () => { server.closeAllConnections(); return new Promise((r) => server.close(r)); } });
}

function setup(url: string, delivery: Partial<ConnectorSubscription['delivery']> = {}, secrets = [SECRET]) {
  const sub: ConnectorSubscription = {
    namespace: 'team-a', name: 'sink', channel: { namespace: 'demo', name: 'github' }, tokenFile: 'x',
    destination: { url },
    delivery: { timeoutMs: 2000, maxAttempts: 3, retryScheduleMs: [5000, 25000], jitter: 0, concurrency: 4, ordering: 'none', ...delivery },
    signing: { scheme: 'standard-webhooks', secretFiles: [] },
  };
  const registry = createRegistry({ defaults: false });
  const logs: string[] = [];
  const logger = createLogger({ name: 't', level: 'debug', destination: new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }) });
  const sender = track(new HttpSender({ connections: 4 }));
  const d = new Deliverer({ sub, signingSecrets: () => secrets, guard: new DestinationGuard({ namespace: 'team-a' }), sender, clock: systemClock, metrics: connectorMetrics(registry), logger });
  return { d, registry, logs, sender };
}

let seq = 0;
const frame = (over: Partial<MessageFrame> = {}): MessageFrame => ({
  type: 'message', id: `msg_${++seq}`, subscription: 'team-a/sink', attempt: 1, deliveryCount: 0, eventType: 'push',
  receivedAt: new Date().toISOString(), contentType: 'application/octet-stream',
  headers: { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=abc', host: 'evil', 'content-length': '999' },
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  body: Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7b]).toString('base64'), ...over,
});
const ctx = () => ({ signal: new AbortController().signal, ackTimeoutMs: 30_000 });

test('success: exact bytes, relayed provider headers, trace, attempt, event type and a verifiable signature', async () => {
  const dest = await destination(() => ({ status: 204 }));
  const { d, sender, registry } = setup(dest.url);
  const m = frame();
  const s = await d.deliver(m, ctx());
  assert.deepEqual(s.frame?.type, 'ack');
  assert.equal(dest.got.length, 1);
  const { headers: h, body } = dest.got[0];
  assert.deepEqual(body, Buffer.from(m.body, 'base64'));
  assert.equal(h['content-type'], 'application/octet-stream');
  assert.equal(h['x-github-event'], 'push');
  assert.equal(h['x-hub-signature-256'], 'sha256=abc');
  assert.equal(h['traceparent'], m.traceparent);
  assert.equal(h['x-hookbridge-attempt'], '1');
  assert.equal(h['x-hookbridge-event-type'], 'push');
  assert.equal(h['content-length'], '5');
  assert.notEqual(h.host, 'evil');
  assert.equal(h['webhook-id'], m.id);
  assert.deepEqual(verifyWithSecrets([SECRET], h, body, Date.now()), { ok: true });
  assert.match(await registry.metrics(), /hookbridge_delivery_attempts_total\{namespace="team-a",subscription="sink",outcome="success",code_class="2xx"\} 1/);
  await sender.close();
  await dest.close();
});

test('a Standard Webhooks secret that is not base64: nothing is sent unsigned or mis-signed; the message waits (retry)', async () => {
  const dest = await destination(() => ({ status: 200 }));
  const { d, sender, logs } = setup(dest.url, {}, ['plain-text-secret']);
  const s = await d.deliver(frame(), ctx());
  assert.equal(s.frame?.type === 'nack' && s.frame.action, 'retry');
  assert.match(s.report.reason ?? '', /not base64/);
  assert.equal(dest.got.length, 0);
  assert.ok(!logs.join('').includes('plain-text-secret'), 'the secret is not logged');
  await sender.close();
  await dest.close();
});

test('5xx → nack retry on the schedule; Retry-After wins; last attempt → dead with status and count', async () => {
  const dest = await destination((n) => (n === 2 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 503 }));
  const { d, sender, registry } = setup(dest.url);
  const a = await d.deliver(frame({ attempt: 1 }), ctx());
  assert.deepEqual(a.frame, { type: 'nack', id: a.report.id, action: 'retry', delayMs: 5000, result: a.frame?.result });
  assert.equal(a.frame?.result?.statusCode, 503);
  const b = await d.deliver(frame({ attempt: 2 }), ctx());
  assert.equal(b.frame?.type === 'nack' && b.frame.delayMs, 3000);
  const c = await d.deliver(frame({ attempt: 3 }), ctx());
  assert.equal(c.frame?.type === 'nack' && c.frame.action, 'dead');
  assert.match(c.frame?.type === 'nack' ? (c.frame.reason ?? '') : '', /max attempts reached \(3\/3\): HTTP 503/);
  const text = await registry.metrics();
  assert.match(text, /hookbridge_delivery_retries_total\{namespace="team-a",subscription="sink"\} 2/);
  assert.match(text, /hookbridge_delivery_attempts_total\{namespace="team-a",subscription="sink",outcome="dead",code_class="5xx"\} 1/);
  await sender.close();
  await dest.close();
});

test('4xx is dead at once; 410 is dead and reported as gone', async () => {
  const dest = await destination((n) => ({ status: n === 1 ? 404 : 410 }));
  const { d, sender } = setup(dest.url);
  const a = await d.deliver(frame(), ctx());
  assert.equal(a.frame?.type === 'nack' && a.frame.action, 'dead');
  assert.equal(a.report.gone, false);
  const b = await d.deliver(frame(), ctx());
  assert.equal(b.frame?.type === 'nack' && b.frame.action, 'dead');
  assert.equal(b.report.gone, true);
  await sender.close();
  await dest.close();
});

test('duplicates: a redelivered id is acked without re-sending; concurrent copies share one request', async () => {
  const dest = await destination(() => ({ status: 200 }));
  const { d, sender } = setup(dest.url);
  const m = frame();
  const [x, y] = await Promise.all([d.deliver(m, ctx()), d.deliver({ ...m, deliveryCount: 1 }, ctx())]);
  assert.equal(x.frame?.type, 'ack');
  assert.equal(y.frame?.type, 'ack');
  const z = await d.deliver({ ...m, deliveryCount: 2 }, ctx());
  assert.equal(z.frame?.type, 'ack');
  assert.equal(z.report.outcome, 'duplicate');
  assert.equal(dest.got.length, 1);
  await sender.close();
  await dest.close();
});

test('a refused destination is dead without any request', async () => {
  const { d, sender } = setup('http://169.254.169.254/latest/meta-data/');
  const s = await d.deliver(frame(), ctx());
  assert.equal(s.frame?.type === 'nack' && s.frame.action, 'dead');
  assert.match(s.frame?.type === 'nack' ? (s.frame.reason ?? '') : '', /destination refused: .*metadata/);
  await sender.close();
});

test('circuit open: holds while the ack timeout allows (no attempt burnt), else hands back with the open time', async () => {
  let failing = true;
  const dest = await destination(() => ({ status: failing ? 500 : 200 }));
  const { d, sender } = setup(dest.url, { maxAttempts: 10, circuitBreaker: { failureRatio: 0.5, minRequests: 2, openMs: 300 } });
  await d.deliver(frame(), ctx());
  await d.deliver(frame(), ctx());
  assert.equal(d.circuit?.current(), 'open');
  // ack timeout too short to hold: nack retry with (about) the remaining open time, nothing sent
  const quick = await d.deliver(frame(), { signal: new AbortController().signal, ackTimeoutMs: 1000 });
  assert.equal(quick.frame?.type === 'nack' && quick.frame.action, 'retry');
  assert.ok(quick.frame?.type === 'nack' && (quick.frame.delayMs ?? 0) > 0 && (quick.frame.delayMs ?? 0) <= 300);
  assert.ok(quick.frame?.type === 'nack' && quick.frame.attempted === false && quick.frame.reason === 'circuit open', 'not attempted: the receiver keeps the attempt number');
  assert.equal(dest.got.length, 2);
  // long ack timeout: held until half-open, then delivered as the probe
  failing = false;
  const held = await d.deliver(frame(), ctx());
  assert.equal(held.frame?.type, 'ack');
  assert.equal(dest.got.length, 3);
  assert.equal(d.circuit?.current(), 'closed');
  await sender.close();
  await dest.close();
});

test('shutdown while an attempt runs: nack retry at once, whatever the attempt number, marked not attempted', async () => {
  const server = createServer(() => { /* hang */ });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { d, sender } = setup(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { maxAttempts: 1, timeoutMs: 10_000 });
  const ac = new AbortController();
  const p = d.deliver(frame(), { signal: ac.signal, ackTimeoutMs: 30_000 });
  setTimeout(() => ac.abort(), 50);
  const s = await p;
  assert.deepEqual(s.frame?.type === 'nack' && [s.frame.action, s.frame.delayMs], ['retry', 0]);
  assert.equal(s.frame?.type === 'nack' && s.frame.attempted, false, 'cut short by our shutdown: does not count against maxAttempts');
  assert.match(s.frame?.type === 'nack' ? (s.frame.reason ?? '') : '', /connector shutting down/);
  await sender.close();
  server.closeAllConnections();
  server.close();
});

test('rate limit spaces deliveries; nothing is dropped', async () => {
  const dest = await destination(() => ({ status: 200 }));
  const { d, sender } = setup(dest.url, { rateLimitPerSecond: 20 });
  const results = await Promise.all(Array.from({ length: 25 }, () => d.deliver(frame(), ctx())));
  assert.ok(results.every((r) => r.frame?.type === 'ack'));
  assert.equal(dest.got.length, 25);
  await sender.close();
  await dest.close();
});

test('no secret reaches the log output', async () => {
  const dest = await destination(() => ({ status: 500 }));
  const { d, sender, logs } = setup(dest.url);
  await d.deliver(frame(), ctx());
  const all = logs.join('');
  assert.ok(all.length > 0);
  assert.ok(!all.includes(SECRET.slice(6)), 'signing secret leaked');
  assert.match(all, /"messageId":"msg_\d+".*"traceId":"0af7651916cd43dd8448eb211c80319c"/);
  await sender.close();
  await dest.close();
});
