import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ConnectorConfig } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createRegistry } from '../shared/metrics.ts';
import { startConnector } from './connector.ts';
import type { DeliveryReport } from './delivery/deliver.ts';
import { eventually, messageFrame, startFakeReceiver } from './testing/fake-receiver.ts';
import { writeSecretVolume } from './testing/kubelet-secret.ts';
import { track } from './testing/cleanup.ts';

const SECRET = 'whsec_' + Buffer.from('connector-test-signing-secret-32').toString('base64');

async function destination(handler: (req: IncomingMessage, n: number) => number | Promise<number>) {
  let n = 0;
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => { bodies.push(Buffer.concat(chunks)); res.writeHead(await handler(req, ++n)).end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return track({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, bodies, close: () => { server.closeAllConnections(); return new Promise((r) => server.close(r)); } });
}

async function setup(destUrl: string, receiverUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'hb-conn-'));
  writeSecretVolume(join(dir, 'secrets/sink-hookbridge-token'), { token: 'hbt_good' });
  writeSecretVolume(join(dir, 'secrets/sink-hookbridge-signing'), { secret: SECRET });
  const config: ConnectorConfig = {
    receiverUrl, transport: 'websocket',
    subscriptions: [{
      namespace: 'team-a', name: 'sink', channel: { namespace: 'demo', name: 'github' },
      tokenFile: 'secrets/sink-hookbridge-token/token', destination: { url: destUrl },
      delivery: { timeoutMs: 5000, maxAttempts: 5, retryScheduleMs: [1000], jitter: 0, concurrency: 4, ordering: 'none' },
      signing: { scheme: 'standard-webhooks', secretFiles: ['secrets/sink-hookbridge-signing/secret'] },
    }],
  };
  const logs: string[] = [];
  const logger = createLogger({ name: 't', level: 'debug', destination: new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }) });
  const registry = createRegistry({ defaults: false });
  const reports: DeliveryReport[] = [];
  const connector = await startConnector({ config, secretsDir: dir, logger, registry, onDelivery: (r) => reports.push(r), tuning: { backoff: { baseMs: 20, capMs: 100 } } });
  track({ close: () => connector.close(100) });
  return { dir, config, logs, registry, reports, connector, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('end to end against a fake receiver: delivered, signed, acked, metrics up', async () => {
  const dest = await destination(() => 200);
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const s = await setup(dest.url, rx.url);
  const c = await rx.connection(1);
  assert.equal(c.url, '/connect/stream/demo/github?window=4');
  const m = messageFrame();
  c.send(m);
  await eventually(() => c.frames.some((f) => f.type === 'ack' && f.id === m.id), 'ack');
  assert.deepEqual(dest.bodies[0], Buffer.from(m.body, 'base64'));
  assert.equal(s.reports[0].outcome, 'success');
  const text = await s.registry.metrics();
  assert.match(text, /hookbridge_connector_connected\{namespace="team-a",channel="github",subscription="sink"\} 1/);
  assert.match(text, /hookbridge_delivery_attempts_total\{namespace="team-a",subscription="sink",outcome="success",code_class="2xx"\} 1/);
  await s.connector.close();
  assert.match(await s.registry.metrics(), /hookbridge_connector_connected\{namespace="team-a",channel="github",subscription="sink"\} 0/);
  assert.ok(!s.logs.join('').includes('hbt_good') && !s.logs.join('').includes(SECRET.slice(6)), 'no secret in logs');
  s.cleanup();
  await rx.close();
  await dest.close();
});

test('graceful shutdown: in-flight deliveries finish and are acked before the stream closes', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const dest = await destination(async () => { await gate; return 200; });
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const s = await setup(dest.url, rx.url);
  const c = await rx.connection(1);
  const m = messageFrame();
  c.send(m);
  await eventually(() => dest.bodies.length === 1, 'delivery started');
  const closing = s.connector.close(5000);
  const late = messageFrame();
  c.send(late); // arrives while draining: not started, left for the receiver to requeue
  setTimeout(release, 50);
  await closing;
  assert.deepEqual(c.frames.filter((f) => f.type === 'ack' || f.type === 'nack'), [{ type: 'ack', id: m.id, result: (c.frames.find((f) => f.type === 'ack') as { result: unknown }).result }]);
  assert.equal((await c.closed).code, 1000);
  assert.equal(dest.bodies.length, 1, 'the late message was not delivered');
  s.cleanup();
  await rx.close();
  await dest.close();
});

test('graceful shutdown past the deadline: the slow delivery is cut short and nacked for retry', async () => {
  const dest = await destination(() => new Promise<number>(() => { /* never answers */ }));
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const s = await setup(dest.url, rx.url);
  const c = await rx.connection(1);
  const m = messageFrame();
  c.send(m);
  await eventually(() => dest.bodies.length === 1, 'delivery started');
  await s.connector.close(100);
  const nack = c.frames.find((f) => f.type === 'nack');
  assert.deepEqual(nack && { type: nack.type, id: nack.id, action: nack.type === 'nack' && nack.action, delayMs: nack.type === 'nack' && nack.delayMs }, { type: 'nack', id: m.id, action: 'retry', delayMs: 0 });
  assert.equal(nack?.type === 'nack' && nack.attempted, false, 'the cut-short attempt does not count against maxAttempts');
  s.cleanup();
  await rx.close();
  await dest.close();
});

test('update(): a changed destination restarts only that subscription', async () => {
  const a = await destination(() => 200);
  const b = await destination(() => 200);
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const s = await setup(a.url, rx.url);
  const first = await rx.connection(1);
  await s.connector.update({ ...s.config, subscriptions: [{ ...s.config.subscriptions[0], destination: { url: b.url } }] });
  assert.equal((await first.closed).code, 1000);
  const second = await rx.connection(2);
  second.send(messageFrame());
  await eventually(() => b.bodies.length === 1, 'delivered to the new destination');
  assert.equal(a.bodies.length, 0);
  await s.connector.update({ ...s.config, subscriptions: [{ ...s.config.subscriptions[0], destination: { url: b.url } }] });
  assert.equal(rx.connections.length, 2, 'an unchanged config does not reconnect');
  await s.connector.close();
  s.cleanup();
  await rx.close();
  await a.close();
  await b.close();
});

test('readiness: ready while making the first connection and while connected, not once the receiver is gone, not while closing', async () => {
  const dest = await destination(() => 200);
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const s = await setup(dest.url, rx.url);
  assert.deepEqual(s.connector.readiness(), [], 'first connection under way');
  await rx.connection(1);
  await eventually(() => s.logs.some((l) => l.includes('"msg":"connected"')), 'connected');
  assert.deepEqual(s.connector.readiness(), []);
  await rx.close();
  await eventually(() => s.connector.readiness().length > 0, 'not ready once the stream is lost');
  assert.deepEqual(s.connector.readiness(), ['no stream connected: the stream is reconnecting']);
  await s.connector.close(100);
  assert.deepEqual(s.connector.readiness(), ['shutting down']);
  s.cleanup();
  await dest.close();
});
