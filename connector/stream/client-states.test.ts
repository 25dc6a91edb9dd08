// StreamClient's state machine driven by hand: a fake dial whose streams the test opens and closes, and a
// token source whose reads the test releases. The backoff is a minute, so any transition that should
// reconnect "now" but waits instead shows up as a missing dial.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../shared/logger.ts';
import { CloseCode, type ServerFrame } from '../../shared/protocol.ts';
import { eventually } from '../../test/harness/eventually.ts';
import { StreamClient, type Session } from './client.ts';
import type { Dial, TransportHandlers } from './transport.ts';

interface FakeStream { token: string; handlers: TransportHandlers; closed?: { code: number; reason: string } }

function fakeDial(): { dial: Dial; streams: FakeStream[] } {
  const streams: FakeStream[] = [];
  const dial: Dial = (o) => {
    const s: FakeStream = { token: o.token, handlers: o.handlers };
    streams.push(s);
    return {
      send: () => {},
      close: (code, reason) => {
        if (s.closed) return;
        s.closed = { code, reason };
        queueMicrotask(() => o.handlers.onClose(code, reason));
      },
    };
  };
  return { dial, streams };
}

/** A token file whose reads resolve only when the test says so (or at once, when `instant`). */
function fakeToken(value: string, instant = true) {
  const listeners = new Set<(v: string) => void>();
  const pending: (() => void)[] = [];
  const t = {
    value,
    instant,
    read: () => new Promise<string>((resolve) => { const go = () => resolve(t.value); if (t.instant) go(); else pending.push(go); }),
    onChange(l: (v: string) => void) { listeners.add(l); return () => listeners.delete(l); },
    rotate(v: string) { t.value = v; for (const l of listeners) l(v); },
    release() { for (const go of pending.splice(0)) go(); },
  };
  return t;
}

const hello = (session: string): ServerFrame => ({ type: 'hello', session, channel: 'demo/github', subscription: 'demo/sink', window: 4, heartbeatMs: 60_000, ackTimeoutMs: 1_000 });
const quiet = createLogger({ name: 't', level: 'fatal', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

function client(token: ReturnType<typeof fakeToken>, dial: Dial, connected: Session[] = []) {
  return new StreamClient({
    url: 'ws://receiver/connect/stream/demo/github', dial, token, logger: quiet,
    backoff: { baseMs: 60_000, capMs: 60_000, slowFloorMs: 60_000, soonCapMs: 60_000 },
    events: { onMessage: () => {}, onConnected: (s) => connected.push(s) },
  });
}

test('stopped while reading the token: stop waits for the read and leaves no stream open', async () => {
  const { dial, streams } = fakeDial();
  const token = fakeToken('hbt_a', false);
  const c = client(token, dial);
  c.start();
  let stopped = false;
  const stopping = c.stop().then(() => { stopped = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(stopped, false, 'the read is still pending');
  token.release();
  await stopping;
  assert.ok(streams.every((st) => st.closed), 'nothing dialed, or closed at once');
});

test('make-before-break: the new token\'s hello takes over, the old stream retires with 1000', async () => {
  const { dial, streams } = fakeDial();
  const token = fakeToken('hbt_a');
  const connected: Session[] = [];
  const c = client(token, dial, connected);
  c.start();
  await eventually(() => streams.length === 1);
  streams[0].handlers.onFrame(hello('s1'));
  assert.equal(c.connected, true);
  token.rotate('hbt_b');
  await eventually(() => streams.length === 2);
  assert.equal(streams[1].token, 'hbt_b');
  assert.equal(streams[0].closed, undefined, 'the old stream works until the new one is up');
  streams[1].handlers.onFrame(hello('s2'));
  await eventually(() => streams[0].closed);
  assert.deepEqual(streams[0].closed, { code: 1000, reason: 'token rotated' });
  assert.equal(c.connected, true);
  assert.deepEqual(connected.map((s) => s.hello.session), ['s1', 's2']);
  await c.stop();
  assert.deepEqual(streams[1].closed, { code: 1000, reason: 'connector shutting down' });
});

test('no room for a second stream (4003): the old stream hands over, then the new token dials without waiting', async () => {
  const { dial, streams } = fakeDial();
  const token = fakeToken('hbt_a');
  const c = client(token, dial);
  c.start();
  await eventually(() => streams.length === 1);
  streams[0].handlers.onFrame(hello('s1'));
  token.rotate('hbt_b');
  await eventually(() => streams.length === 2);
  streams[1].handlers.onClose(CloseCode.MaxConnections, 'max connections');
  await eventually(() => streams.length === 3, { message: 'a dial right after the old stream closed (the backoff is a minute)' });
  assert.deepEqual(streams[0].closed, { code: 1000, reason: 'token rotated' });
  assert.equal(streams[2].token, 'hbt_b');
  await c.stop();
});

test('a token change while backing off dials at once with the new token', async () => {
  const { dial, streams } = fakeDial();
  const token = fakeToken('hbt_revoked');
  const c = client(token, dial);
  c.start();
  await eventually(() => streams.length === 1);
  streams[0].handlers.onClose(CloseCode.InvalidToken, 'revoked');
  await new Promise((r) => setImmediate(r));
  assert.equal(streams.length, 1, 'backing off for a minute after a 4001');
  token.rotate('hbt_new');
  await eventually(() => streams.length === 2);
  assert.equal(streams[1].token, 'hbt_new');
  await c.stop();
});
