// Token switches under load, against the fake receiver with a broker behind it (testing/pump.ts): the
// new token's stream opens before the old one closes, the old one settles what it holds on itself, and
// nothing is delivered twice or left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logger.ts';
import { WatchedFile } from '../watched-file.ts';
import { StreamClient } from './client.ts';
import { dialSse } from './sse.ts';
import { ackUrl, sseUrl, websocketUrl } from './url.ts';
import { dialWebSocket } from './websocket.ts';
import { startPump } from './testing/pump.ts';
import { messageFrame, startFakeReceiver } from '../testing/fake-receiver.ts';
import { writeSecretVolume } from '../testing/kubelet-secret.ts';
import { track } from '../testing/cleanup.ts';
import { eventually } from '../../test/harness/eventually.ts';

const channel = { namespace: 'demo', name: 'github' };
const WINDOW = 4;
const CAP_MS = 100; // ordinary reconnects wait less than this
const SLOW_MS = 2 * CAP_MS; // the auth (slow) class waits exactly this, with a floor far above it

/** A stream client whose "deliveries" take `deliverMs` and then ack on the session they came on. */
function client(receiverUrl: string, o: { sse?: boolean; token: string; deliverMs?: number; settle?: boolean; drainTimeoutMs?: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'hb-rotate-'));
  const secretDir = join(dir, 'token');
  writeSecretVolume(secretDir, { token: o.token });
  const token = new WatchedFile(join(secretDir, 'token'), { pollMs: 50 });
  token.start();
  const logs: string[] = [];
  const logger = createLogger({ name: 't', level: 'debug', destination: new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }) });
  const got: { id: string; session: string; at: number }[] = [];
  const events = { connected: 0, disconnected: 0 };
  const c = new StreamClient({
    url: o.sse ? sseUrl(receiverUrl, channel, WINDOW) : websocketUrl(receiverUrl, channel, WINDOW),
    ackUrl: ackUrl(receiverUrl, channel),
    dial: o.sse ? dialSse : dialWebSocket,
    token, logger,
    backoff: { baseMs: 20, capMs: CAP_MS, slowFloorMs: 10_000 },
    drainTimeoutMs: o.drainTimeoutMs,
    events: {
      onMessage: (frame, session) => {
        got.push({ id: frame.id, session: session.hello.session, at: performance.now() });
        if (o.settle !== false) setTimeout(() => session.send({ type: 'ack', id: frame.id }), o.deliverMs ?? 15);
      },
      onConnected: () => { events.connected++; },
      onDisconnected: () => { events.disconnected++; },
    },
  });
  return track({
    client: c, got, logs, events,
    rotate: (t: string) => writeSecretVolume(secretDir, { token: t }),
    /** The longest pause between two consecutive deliveries. */
    maxGapMs: () => Math.max(0, ...got.slice(1).map((g, i) => g.at - got[i].at)),
    delays: () => logs.map((l) => JSON.parse(l) as { msg: string; retryInMs?: number }).filter((l) => l.retryInMs !== undefined),
    async close() { await c.stop(); token.stop(); rmSync(dir, { recursive: true, force: true }); },
  });
}

function assertEachOnce(got: { id: string }[], settled: Map<string, number>, messages: number): void {
  const ids = got.map((g) => g.id);
  assert.equal(new Set(ids).size, ids.length, 'nothing delivered twice');
  assert.equal(ids.length, messages, 'everything delivered');
  assert.equal(settled.size, messages, 'everything settled');
}

for (const transport of ['websocket', 'sse'] as const) {
  test(`${transport}: a token change under load is make-before-break — no gap, nothing twice, the old stream settles then closes`, async () => {
    const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_old', 'hbt_new']) }));
    const pump = track(startPump(rx.connections, { window: WINDOW, messages: 240 }));
    const h = client(rx.url, { token: 'hbt_old', sse: transport === 'sse' });
    h.client.start();
    const first = await rx.connection(1);
    await eventually(() => h.got.length >= 40, { message: 'deliveries on the first stream' });
    h.rotate('hbt_new');
    const second = await rx.connection(2);
    assert.equal(second.token, 'hbt_new');
    const closed = await first.closed;
    if (transport === 'websocket') assert.equal(closed.code, 1000);
    await eventually(() => pump.done, { message: 'every message settled', timeoutMs: 10_000 });

    assertEachOnce(h.got, pump.settled, 240);
    assert.deepEqual(pump.stray, [], 'every settlement came on the stream holding the message, before it closed');
    const onFirst = h.got.filter((g) => g.session === h.got[0].session).map((g) => g.id);
    assert.ok(onFirst.every((id) => pump.settled.get(id) === 1), 'what the old stream took was acked on the old stream');
    assert.ok(h.got.slice(onFirst.length).every((g) => pump.settled.get(g.id) === 2), 'the rest went to the new stream');
    assert.ok(h.maxGapMs() < 500, `deliveries kept flowing across the switch (longest gap ${Math.round(h.maxGapMs())}ms)`);
    assert.equal(rx.connections.length, 2, 'one new connection, no reconnect storm');
    assert.deepEqual(h.events, { connected: 2, disconnected: 0 }, 'the stream never looked down');
    assert.ok(!h.logs.join('').includes('hbt_'), 'tokens never logged');
  });
}

test('a refused new token keeps the old stream working and is retried at the ordinary pace until accepted', async () => {
  const tokens = new Set(['hbt_old']);
  const rx = track(await startFakeReceiver({ tokens }));
  const pump = track(startPump(rx.connections, { window: WINDOW, messages: 400 }));
  const h = client(rx.url, { token: 'hbt_old' });
  h.client.start();
  const first = await rx.connection(1);
  h.rotate('hbt_new');
  assert.equal((await (await rx.connection(2)).closed).code, 4001);
  assert.equal((await (await rx.connection(3)).closed).code, 4001, 'retried');
  const before = h.got.length;
  await eventually(() => h.got.length > before + 10, { message: 'deliveries continue on the old stream' });
  assert.ok(h.client.connected);
  tokens.add('hbt_new');
  await eventually(() => rx.connections.some((c) => c.token === 'hbt_new' && pump.sentOn[rx.connections.indexOf(c) + 1] > 0), { message: 'the new token accepted and used' });
  await first.closed;
  await eventually(() => pump.done, { message: 'every message settled', timeoutMs: 10_000 });

  assertEachOnce(h.got, pump.settled, 400);
  assert.deepEqual(pump.stray, []);
  assert.match(h.logs.join(''), /new token's stream closed: invalid or revoked token \(4001\).*the current stream keeps working/);
  const refusals = h.delays().filter((l) => l.msg.startsWith("new token's stream closed"));
  assert.ok(refusals.length >= 2 && refusals.every((l) => (l.retryInMs as number) < CAP_MS), 'no auth floor while the old stream works');
  assert.deepEqual(h.events.disconnected, 0);
});

test('a 4001 on a stream whose token did not change still waits the long auth backoff', async () => {
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_same']) }));
  const h = client(rx.url, { token: 'hbt_same' });
  h.client.start();
  (await rx.connection(1)).close(4001, 'token revoked');
  await eventually(() => h.delays().length === 1, { message: 'the reconnect is scheduled' });
  assert.equal(h.delays()[0].retryInMs, SLOW_MS);
  assert.equal(h.client.connected, false);
});

test('the old token revoked while the new one is still being retried: the new one is tried at once, not after the auth backoff', async () => {
  const tokens = new Set(['hbt_a']);
  const rx = track(await startFakeReceiver({ tokens }));
  const h = client(rx.url, { token: 'hbt_a' });
  h.client.start();
  const first = await rx.connection(1);
  await eventually(() => h.client.connected, { message: 'connected' });
  h.rotate('hbt_b');
  assert.equal((await (await rx.connection(2)).closed).code, 4001, 'the new token is not accepted yet');
  tokens.add('hbt_b');
  tokens.delete('hbt_a');
  first.close(4001, 'token revoked');
  await eventually(() => h.client.connected && rx.connections.at(-1)?.token === 'hbt_b', { message: 'connected with the new token' });
  assert.ok(h.delays().every((l) => (l.retryInMs as number) < CAP_MS), 'never waited the auth backoff');
});

test('a retired stream whose messages never settle is closed after the drain timeout (the receiver requeues them)', async () => {
  const rx = track(await startFakeReceiver({ tokens: new Set(['hbt_old', 'hbt_new']) }));
  const h = client(rx.url, { token: 'hbt_old', settle: false, drainTimeoutMs: 100 });
  h.client.start();
  const first = await rx.connection(1);
  first.send(messageFrame());
  await eventually(() => h.got.length === 1, { message: 'a message taken on the old stream' });
  h.rotate('hbt_new');
  await rx.connection(2);
  assert.equal((await first.closed).code, 1000);
  assert.match(h.logs.join(''), /old stream still holds unsettled messages after the ack timeout: closing it/);
  assert.ok(h.client.connected, 'the new stream carries on');
});
