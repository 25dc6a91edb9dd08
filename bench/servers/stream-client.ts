// Many idle connector streams from one process (not the bench's own): opens WebSocket streams to a
// receiver, a bounded number of handshakes at a time, and counts the ones that got their hello frame. The
// `ws` client answers the receiver's WebSocket pings by itself, which is all an idle connector does.
// Requests: open {url, targets: [{channel, token, count}], window, parallel} → {hello, failed, heartbeatMs,
// failures}; status → {open, closed}; close → {} once every socket is closed.
import WebSocket from 'ws';
import { handle, ready } from './ipc.ts';

interface Target { channel: string; token: string; count: number }
interface Stream { ws: WebSocket; hello: boolean; closed?: string }

const streams: Stream[] = [];
const bump = (m: Record<string, number>, k: string): void => { m[k] = (m[k] ?? 0) + 1; };

/** Resolves true once the hello frame arrived, false when the stream ended (or timed out) before it. */
function openOne(base: string, t: Target, window: number, heartbeat: { ms?: number }, failures: Record<string, number>): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base}/connect/stream/bench/${t.channel}?window=${window}`, {
      headers: { authorization: `Bearer ${t.token}` }, perMessageDeflate: false, handshakeTimeout: 60_000,
    });
    const s: Stream = { ws, hello: false };
    streams.push(s);
    let settled = false;
    const done = (ok: boolean, why?: string): void => {
      if (settled) return;
      settled = true;
      if (!ok && why) bump(failures, why);
      resolve(ok);
    };
    ws.on('message', (data) => {
      if (s.hello) return;
      let frame: { type?: string; heartbeatMs?: number } = {};
      try { frame = JSON.parse(data.toString()) as typeof frame; } catch { /* not a frame: ignored */ }
      if (frame.type !== 'hello') return;
      s.hello = true;
      heartbeat.ms ??= frame.heartbeatMs;
      done(true);
    });
    ws.on('unexpected-response', (_req, res) => { done(false, `HTTP ${res.statusCode}`); ws.terminate(); });
    ws.on('error', (err) => done(false, `error: ${err.message}`));
    ws.on('close', (code, reason) => {
      s.closed = `${code} ${reason.toString()}`.trim();
      done(false, `closed before hello: ${s.closed}`);
    });
  });
}

handle('open', async (m) => {
  const base = String(m.url).replace(/^http/, 'ws');
  const targets = m.targets as Target[];
  const window = Number(m.window ?? 10);
  const parallel = Math.max(1, Number(m.parallel ?? 100));
  const queue = targets.flatMap((t) => Array.from({ length: t.count }, () => t));
  const failures: Record<string, number> = {};
  const heartbeat: { ms?: number } = {};
  let hello = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      if (await openOne(base, t, window, heartbeat, failures)) hello++; else failed++;
    }
  }));
  return { hello, failed, failures, heartbeatMs: heartbeat.ms };
});

/** Streams that had their hello and are still open; how the others that had one ended. */
handle('status', () => {
  let open = 0;
  const closed: Record<string, number> = {};
  for (const s of streams) {
    if (!s.hello) continue;
    if (s.closed === undefined && s.ws.readyState === WebSocket.OPEN) open++;
    else bump(closed, s.closed ?? `readyState ${s.ws.readyState}`);
  }
  return { open, closed };
});

handle('close', async () => {
  await Promise.all(streams.map((s) => new Promise<void>((resolve) => {
    if (s.ws.readyState === WebSocket.CLOSED) { resolve(); return; }
    const timer = setTimeout(() => { s.ws.terminate(); resolve(); }, 10_000);
    s.ws.once('close', () => { clearTimeout(timer); resolve(); });
    s.ws.close(1000, 'bench done');
  })));
  streams.length = 0;
  return {};
});

ready();
