import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logger.ts';
import type { MessageFrame } from '../../shared/protocol.ts';
import { WatchedFile } from '../watched-file.ts';
import { StreamClient, type Session } from './client.ts';
import { dialSse } from './sse.ts';
import { ackUrl, sseUrl, websocketUrl } from './url.ts';
import { dialWebSocket } from './websocket.ts';
import { messageFrame, startFakeReceiver } from '../testing/fake-receiver.ts';
import { writeSecretVolume } from '../testing/kubelet-secret.ts';
import { track } from '../testing/cleanup.ts';
import { eventually } from '../../test/harness/eventually.ts';

const channel = { namespace: 'demo', name: 'github' };

function harness(receiverUrl: string, opts: { sse?: boolean; token?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hb-stream-'));
  const secretDir = join(dir, 'secrets', 'sink-hookbridge-token');
  writeSecretVolume(secretDir, { token: opts.token ?? 'hbt_good' });
  const token = new WatchedFile(join(secretDir, 'token'), { pollMs: 100 });
  token.start();
  const logs: string[] = [];
  const logger = createLogger({ name: 't', level: 'debug', destination: new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }) });
  const got: { frame: MessageFrame; session: Session }[] = [];
  let reconnects = 0;
  const client = new StreamClient({
    url: opts.sse ? sseUrl(receiverUrl, channel, 4) : websocketUrl(receiverUrl, channel, 4),
    ackUrl: ackUrl(receiverUrl, channel),
    dial: opts.sse ? dialSse : dialWebSocket,
    token,
    logger,
    backoff: { baseMs: 20, capMs: 100, slowFloorMs: 50 },
    events: { onMessage: (frame, session) => got.push({ frame, session }) },
    onReconnectAttempt: () => { reconnects++; },
  });
  return track({
    client, got, logs, secretDir, get reconnects() { return reconnects; },
    rotate: (t: string) => writeSecretVolume(secretDir, { token: t }),
    async close() { await client.stop(); token.stop(); rmSync(dir, { recursive: true, force: true }); },
  });
}

test('websocket: bearer token, window, hello, messages in, acks out, pings answered', async () => {
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const h = harness(rx.url);
  h.client.start();
  const c = await rx.connection(1);
  assert.equal(c.token, 'hbt_good');
  assert.equal(c.url, '/connect/stream/demo/github?window=4');
  await eventually(() => h.client.connected, { message: 'connected' });
  const m = messageFrame();
  c.send(m);
  c.send({ type: 'ping', t: 42 });
  await eventually(() => h.got.length === 1, { message: 'message' });
  assert.deepEqual(h.got[0].frame, m);
  assert.ok(h.got[0].session.send({ type: 'ack', id: m.id }));
  await eventually(() => c.frames.some((f) => f.type === 'ack'), { message: 'ack' });
  assert.deepEqual(c.frames.filter((f) => f.type !== 'ping'), [{ type: 'pong', t: 42 }, { type: 'ack', id: m.id }]);
  await h.close();
  assert.equal(h.got[0].session.open, false);
  assert.equal(h.got[0].session.send({ type: 'ack', id: m.id }), false, 'a closed session sends nothing');
  assert.ok(!h.logs.join('').includes('hbt_good'), 'token never logged');
  await rx.close();
});

test('reconnects with backoff after the server drops the stream, forever', async () => {
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const h = harness(rx.url);
  h.client.start();
  for (let i = 1; i <= 3; i++) (await rx.connection(i)).close(1011, 'server restart');
  await rx.connection(4);
  assert.equal(h.reconnects, 3);
  await eventually(() => h.client.connected, { message: 'connected again' });
  await h.close();
  await rx.close();
});

test('token file swapped kubelet-style → reconnects with the new token', async () => {
  const tokens = new Set(['hbt_old', 'hbt_new']);
  const rx = track(await startFakeReceiver({ tokens }));
  const h = harness(rx.url, { token: 'hbt_old' });
  h.client.start();
  const first = await rx.connection(1);
  assert.equal(first.token, 'hbt_old');
  h.rotate('hbt_new');
  const second = await rx.connection(2);
  assert.equal(second.token, 'hbt_new');
  assert.equal((await first.closed).code, 1000);
  await h.close();
  await rx.close();
});

test('4001 is logged clearly and retried until a rotated token works', async () => {
  const tokens = new Set(['hbt_new']);
  const rx = track(await startFakeReceiver({ tokens }));
  const h = harness(rx.url, { token: 'hbt_revoked' });
  h.client.start();
  await rx.connection(2); // refused, and tried again
  assert.match(h.logs.join(''), /"level":"error".*invalid or revoked token \(4001\)/);
  assert.equal(h.client.connected, false);
  h.rotate('hbt_new');
  await eventually(() => h.client.connected, { message: 'connected with the rotated token' });
  assert.equal(rx.connections.at(-1)?.token, 'hbt_new');
  await h.close();
  await rx.close();
});

test('an upgrade refused with HTTP 401 maps to 4001', async () => {
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_new']), rejectUpgrade: true }));
  const h = harness(rx.url, { token: 'hbt_bad' });
  h.client.start();
  await eventually(() => /invalid or revoked token \(4001\).*token not accepted/.test(h.logs.join('')), { message: '4001 log' });
  await h.close();
  await rx.close();
});

test('a silent server is dropped after 3 heartbeat intervals and the client reconnects', async () => {
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']), heartbeatMs: 40, silent: true }));
  const h = harness(rx.url);
  h.client.start();
  const first = await rx.connection(1);
  assert.ok((first.frames.length >= 0));
  assert.equal((await first.closed).code, 4008);
  await rx.connection(2);
  assert.ok(first.frames.some((f) => f.type === 'ping'), 'the client sent pings');
  assert.match(h.logs.join(''), /silent for 3 heartbeat intervals/);
  await h.close();
  await rx.close();
});

test('sse: hello and messages as events, acks POSTed with the session', async () => {
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const h = harness(rx.url, { sse: true });
  h.client.start();
  const c = await rx.connection(1);
  assert.equal(c.url, '/connect/stream/demo/github/sse?window=4');
  const m1 = messageFrame({ body: Buffer.from([0xff, 0x00]).toString('base64') });
  const m2 = messageFrame();
  c.send(m1);
  c.send(m2);
  await eventually(() => h.got.length === 2, { message: 'messages' });
  assert.deepEqual(h.got.map((g) => g.frame), [m1, m2]);
  h.got[0].session.send({ type: 'ack', id: m1.id });
  h.got[1].session.send({ type: 'nack', id: m2.id, action: 'retry', delayMs: 5000 });
  await eventually(() => c.frames.length === 2, { message: 'acks posted' });
  assert.deepEqual(c.frames, [{ type: 'ack', id: m1.id }, { type: 'nack', id: m2.id, action: 'retry', delayMs: 5000 }]);
  c.close(1000);
  await rx.connection(2);
  await h.close();
  await rx.close();
});

test('sse: 401 with {code: 4001} is a 4001', async () => {
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_good']) }));
  const h = harness(rx.url, { sse: true, token: 'hbt_bad' });
  h.client.start();
  await eventually(() => /invalid or revoked token \(4001\)/.test(h.logs.join('')), { message: '4001 log' });
  await h.close();
  await rx.close();
});
