// A fake receiver for the stream client's unit tests only (integration tests use the real receiver):
// speaks shared/protocol.ts over WebSocket and SSE, accepts a set of tokens, records what it was sent.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseClientFrame, type ClientFrame, type HelloFrame, type MessageFrame, type ServerFrame } from '../../shared/protocol.ts';

export interface FakeConnection {
  token: string;
  url: string;
  frames: ClientFrame[];
  send(frame: ServerFrame): void;
  close(code: number, reason?: string): void;
  closed: Promise<{ code: number }>;
}

export interface FakeReceiverOptions {
  tokens: Set<string>;
  heartbeatMs?: number;
  ackTimeoutMs?: number;
  /** Refuse bad tokens before the upgrade (HTTP 401) instead of accepting and closing with 4001. */
  rejectUpgrade?: boolean;
  /** Never answer pings (a silent server). */
  silent?: boolean;
}

export async function startFakeReceiver(o: FakeReceiverOptions) {
  const connections: FakeConnection[] = [];
  const waiters: ((c: FakeConnection) => void)[] = [];
  let sessions = 0;
  const hello = (): HelloFrame => ({
    type: 'hello', session: `s${++sessions}`, channel: 'demo/github', subscription: 'team-a/sink', window: 4,
    heartbeatMs: o.heartbeatMs ?? 60_000, ackTimeoutMs: o.ackTimeoutMs ?? 30_000,
  });
  const tokenOf = (req: IncomingMessage) => (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const added = (c: FakeConnection) => { connections.push(c); waiters.splice(0).forEach((w) => w(c)); };
  const sse = new Map<string, FakeConnection>();

  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url.includes('/sse')) return sseStream(req, res);
    if (req.method === 'POST' && url.startsWith('/connect/ack/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const session = new URL(url, 'http://x').searchParams.get('session') ?? '';
        const c = sse.get(session);
        if (!c || c.token !== tokenOf(req)) { res.writeHead(404).end(); return; }
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { frames?: unknown[] };
        for (const f of body.frames ?? [body]) { const p = parseClientFrame(JSON.stringify(f)); if (p) c.frames.push(p); }
        res.writeHead(204).end();
      });
      return;
    }
    res.writeHead(404).end();
  });

  function sseStream(req: IncomingMessage, res: ServerResponse) {
    const token = tokenOf(req);
    if (!o.tokens.has(token)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_token', message: 'token not accepted', code: 4001 }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let resolveClosed!: (v: { code: number }) => void;
    const h = hello();
    const c: FakeConnection = {
      token, url: req.url ?? '', frames: [],
      send: (f) => res.write(`event: ${f.type}\ndata: ${JSON.stringify(f)}\n\n`),
      close: (code) => { res.end(); resolveClosed({ code }); },
      closed: new Promise((r) => { resolveClosed = r; }),
    };
    req.on('close', () => resolveClosed({ code: 1006 }));
    sse.set(h.session, c);
    c.send(h);
    added(c);
  }

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const token = tokenOf(req);
    if (o.rejectUpgrade && !o.tokens.has(token)) {
      const body = JSON.stringify({ error: 'invalid_token', message: 'token not accepted' });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      let resolveClosed!: (v: { code: number }) => void;
      const c: FakeConnection = {
        token, url: req.url ?? '', frames: [],
        send: (f) => ws.send(JSON.stringify(f)),
        close: (code, reason) => ws.close(code, reason),
        closed: new Promise((r) => { resolveClosed = r; }),
      };
      ws.on('close', (code) => resolveClosed({ code }));
      if (!o.tokens.has(token)) { ws.close(4001, 'invalid or revoked token'); added(c); return; }
      ws.on('message', (data) => {
        const f = parseClientFrame(String(data));
        if (!f) return;
        c.frames.push(f);
        if (f.type === 'ping' && !o.silent) ws.send(JSON.stringify({ type: 'pong', t: f.t }));
      });
      c.send(hello());
      added(c);
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    connections,
    /** Resolves with the n-th connection (1-based), now or when it arrives. */
    async connection(n: number): Promise<FakeConnection> {
      while (connections.length < n) await new Promise<FakeConnection>((r) => waiters.push(r));
      return connections[n - 1];
    },
    async close(): Promise<void> {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let seq = 0;
export const messageFrame = (over: Partial<MessageFrame> = {}): MessageFrame => ({
  type: 'message', id: `msg_${++seq}`, subscription: 'team-a/sink', attempt: 1, deliveryCount: 0,
  receivedAt: new Date().toISOString(), headers: {}, body: Buffer.from('{"hello":"world"}').toString('base64'), ...over,
});

