// Helpers for the receiver's unit tests: a receiver on an ephemeral port over MemoryBuffer, config builders,
// a WebSocket client that records frames and its close code, and captured log output.
import http from 'node:http';
import { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import type { ChannelConfig, ReceiverConfig, SubscriptionRoute } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { createRegistry } from '../shared/metrics.ts';
import type { ServerFrame } from '../shared/protocol.ts';
import { hashToken } from '../shared/tokens.ts';
import { MemoryBuffer } from './buffer/memory/index.ts';
import { startReceiver, type ReceiverOptions, type RunningReceiver } from './server.ts';

export function route(name: string, opts: { namespace?: string; eventTypes?: string[]; tokens?: string[]; notAfter?: string } = {}): SubscriptionRoute {
  return {
    namespace: opts.namespace ?? 'shop', name, eventTypes: opts.eventTypes ?? [],
    tokens: (opts.tokens ?? []).map((t) => ({ sha256: hashToken(t), ...(opts.notAfter && { notAfter: opts.notAfter }) })),
    retryScheduleMs: [50, 100],
  };
}

export function channel(name: string, subscriptions: SubscriptionRoute[], over: Partial<ChannelConfig> = {}): ChannelConfig {
  return {
    namespace: 'shop', name, maxQueueSize: 100, ttlSeconds: 3600, ackTimeoutSeconds: 30, maxConnections: 2,
    maxPayloadBytes: 1024, deliveryLimit: 3, deletionPolicy: 'Delete', subscriptions, ...over,
  };
}

export interface TestReceiver {
  rx: RunningReceiver;
  buffer: MemoryBuffer;
  base: string;
  ws: string;
  logs(): string;
  close(): Promise<void>;
}

export async function startTest(cfg: ReceiverConfig, opts: Partial<ReceiverOptions> = {}): Promise<TestReceiver> {
  let out = '';
  const logger = createLogger({ name: 'receiver-test', level: 'debug', destination: new Writable({ write(c, _e, cb) { out += String(c); cb(); } }) });
  const buffer = new MemoryBuffer({ sweepIntervalMs: 10 });
  const rx = await startReceiver({ buffer, port: 0, host: '127.0.0.1', logger, registry: createRegistry({ defaults: false }), heartbeatMs: 1000, ...opts });
  await rx.applyConfig(cfg);
  return {
    rx, buffer, base: rx.url, ws: rx.url.replace('http', 'ws'),
    logs: () => out,
    close: async () => { await rx.close(); await buffer.close(); },
  };
}

/** A WebSocket stream client that keeps every frame and resolves waits as frames arrive. */
export class StreamClient {
  readonly frames: ServerFrame[] = [];
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(url: string, token: string | undefined, opts: { autoPong?: boolean } = {}) {
    this.ws = new WebSocket(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, autoPong: opts.autoPong ?? true });
    this.opened = new Promise((resolve, reject) => { this.ws.once('open', () => resolve()); this.ws.once('unexpected-response', (_r, res) => reject(new Error(`HTTP ${res.statusCode}`))); });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  messages(): Extract<ServerFrame, { type: 'message' }>[] {
    return this.frames.filter((f) => f.type === 'message');
  }

  /** Resolves once `pred` holds over the frames received so far. */
  async until(pred: (c: StreamClient) => boolean): Promise<void> {
    while (!pred(this)) {
      const closedEarly = await Promise.race([new Promise<false>((r) => this.#waiters.push(() => r(false))), this.closed.then(() => true)]);
      if (closedEarly && !pred(this)) throw new Error(`stream closed while waiting; frames: ${JSON.stringify(this.frames.map((f) => f.type))}`);
    }
  }

  send(frame: object): void { this.ws.send(JSON.stringify(frame)); }
  close(): void { this.ws.close(); }
}

export interface HttpAnswer { status: number; json: Record<string, unknown>; headers: http.IncomingHttpHeaders }

/** A plain node:http request (fetch refuses some of the headers these tests must send). */
export function request(method: string, url: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try { json = text ? (JSON.parse(text) as Record<string, unknown>) : {}; } catch { json = { text }; }
        resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const post = (base: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<HttpAnswer> =>
  request('POST', base + path, body, headers);

