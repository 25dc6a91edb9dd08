// Integration-test rig: the REAL receiver (startReceiver) on a given buffer (MemoryBuffer or RabbitBuffer),
// one channel shop/orders with one subscription shop/sink, its token and signing secret written as files,
// a scripted destination, and helpers to start connectors in-process or as a separate `hookbridge
// connector` process (which a test can SIGKILL mid-delivery).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import type { MessageBuffer } from '../../receiver/buffer/types.ts';
import { startReceiver, type RunningReceiver } from '../../receiver/server.ts';
import type { ChannelConfig, ConnectorConfig, ConnectorSubscription, ReceiverConfig, Transport } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { createRegistry } from '../../shared/metrics.ts';
import { hashToken, mintToken } from '../../shared/tokens.ts';
import { startConnector, type RunningConnector } from '../connector.ts';
import type { DeliveryReport } from '../delivery/deliver.ts';
import { DevSecretsDir } from '../secrets-dir.ts';

export const SUB = { namespace: 'shop', name: 'sink' };
let rigs = 0;
const ADMIN_TOKEN = 'rig-admin-token-for-integration-tests';
export const SIGNING_SECRET = 'whsec_' + Buffer.from('integration-signing-secret-32byt').toString('base64');

export interface Reply { status: number; headers?: Record<string, string>; hang?: boolean; delayMs?: number }
export interface Received { headers: IncomingMessage['headers']; body: Buffer; at: number }

/** An HTTP destination answering per request number (1-based). */
export async function scriptedDestination(script: (n: number, req: IncomingMessage) => Reply) {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
      waiters.splice(0).forEach((w) => w());
      const r = script(received.length, req);
      if (r.hang) return;
      const answer = () => res.writeHead(r.status, r.headers).end();
      if (r.delayMs) setTimeout(answer, r.delayMs); else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    async count(n: number, timeoutMs = 20_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > until) throw new Error(`destination got ${received.length} requests, waited for ${n}`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
      }
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface RigOptions {
  buffer: MessageBuffer;
  destinationUrl: string;
  delivery?: Partial<ConnectorSubscription['delivery']>;
  channel?: Partial<ChannelConfig>;
  transport?: Transport;
}

// Every rig gets its own channel, so queues left on a shared broker by one test never leak into the next.

export async function startRig(o: RigOptions) {
  const CHANNEL = { namespace: 'shop', name: `orders-${process.pid}-${++rigs}` };
  const QUEUE = { channel: CHANNEL, subscription: SUB };
  const logLines: string[] = [];
  const logger = createLogger({ name: 'it', level: 'debug', destination: new Writable({ write(c, _e, cb) { logLines.push(String(c)); cb(); } }) });
  const registry = createRegistry({ defaults: false });
  const token = mintToken();
  const schedule = o.delivery?.retryScheduleMs ?? [200, 1000];
  const receiverConfig = (tokens: string[]): ReceiverConfig => ({
    channels: [{
      ...CHANNEL, maxQueueSize: 1000, ttlSeconds: 3600, ackTimeoutSeconds: 30, maxConnections: 5, maxPayloadBytes: 1 << 20,
      deliveryLimit: 5, deletionPolicy: 'Delete', ...o.channel,
      subscriptions: [{ ...SUB, eventTypes: [], tokens: tokens.map((t) => ({ sha256: hashToken(t) })), retryScheduleMs: schedule }],
    }],
  });
  const rx: RunningReceiver = await startReceiver({ buffer: o.buffer, port: 0, host: '127.0.0.1', logger, registry, heartbeatMs: 1000, adminToken: ADMIN_TOKEN });
  await rx.applyConfig(receiverConfig([token]));
  const secrets = new DevSecretsDir();
  const dir = secrets.namespaceDir(SUB.namespace);
  secrets.write(SUB.namespace, 'secrets/sink-hookbridge-token/token', token);
  secrets.write(SUB.namespace, 'secrets/sink-hookbridge-signing/secret', SIGNING_SECRET);
  const config: ConnectorConfig = {
    receiverUrl: rx.url, transport: o.transport ?? 'websocket',
    subscriptions: [{
      ...SUB, channel: CHANNEL, tokenFile: 'secrets/sink-hookbridge-token/token', destination: { url: o.destinationUrl },
      delivery: { timeoutMs: 2000, maxAttempts: 4, jitter: 0, concurrency: 4, ordering: 'none', ...o.delivery, retryScheduleMs: schedule },
      signing: { scheme: 'standard-webhooks', secretFiles: ['secrets/sink-hookbridge-signing/secret'] },
    }],
  };
  const reports: DeliveryReport[] = [];
  const connectors: RunningConnector[] = [];
  const children: ChildProcess[] = [];

  return {
    rx, logger, registry, token, channel: CHANNEL, config, reports, secretsDir: dir, logs: () => logLines.join(''),
    /** Replace the accepted tokens (rotation: both, then only the new one). */
    setTokens: (tokens: string[]) => rx.applyConfig(receiverConfig(tokens)),
    writeToken: (t: string) => secrets.write(SUB.namespace, 'secrets/sink-hookbridge-token/token', t),
    async connector(): Promise<RunningConnector> {
      const c = await startConnector({ config, secretsDir: dir, logger, registry, onDelivery: (r) => reports.push(r), tuning: { backoff: { baseMs: 50, capMs: 500 }, filePollMs: 200 } });
      connectors.push(c);
      return c;
    },
    /** `hookbridge connector` as its own process, so a test can SIGKILL it. */
    connectorProcess(): ChildProcess {
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify(config));
      const child = spawn(process.execPath, ['cli/main.ts', 'connector', '--config', file, '--secrets-dir', dir, '--metrics-port', '0'], {
        cwd: new URL('../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, HOOKBRIDGE_LOG_LEVEL: 'warn' },
      });
      child.stdout?.resume();
      child.stderr?.resume();
      children.push(child);
      return child;
    },
    async post(body: Buffer | string, headers: Record<string, string> = {}): Promise<string> {
      const res = await request(`${rx.url}/webhook/${CHANNEL.namespace}/${CHANNEL.name}`, { method: 'POST', body, headers });
      const json = (await res.body.json()) as { id?: string; error?: string };
      if (res.statusCode !== 202 || !json.id) throw new Error(`ingest answered ${res.statusCode} ${JSON.stringify(json)}`);
      return json.id;
    },
    deadLetters: () => o.buffer.listDeadLetters(QUEUE, { limit: 100 }),
    /** The subscription's `stats` from the receiver's admin API (GET /admin/webhook-connect/channels/{ns}/{name}). */
    async adminStats(): Promise<Record<string, unknown>> {
      const res = await request(`${rx.url}/admin/webhook-connect/channels/${CHANNEL.namespace}/${CHANNEL.name}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const json = (await res.body.json()) as { subscriptions?: { namespace: string; name: string; stats: Record<string, unknown> }[] };
      const sub = json.subscriptions?.find((s) => s.namespace === SUB.namespace && s.name === SUB.name);
      if (res.statusCode !== 200 || !sub) throw new Error(`admin API answered ${res.statusCode} ${JSON.stringify(json)}`);
      return sub.stats;
    },
    stats: () => o.buffer.stats(QUEUE),
    history: (id: string) => o.buffer.messageHistory(id),
    async close(): Promise<void> {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all(connectors.map((c) => c.close(1000)));
      await rx.close();
      secrets.remove();
    },
  };
}

export async function until<T>(probe: () => Promise<T> | T, ok: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
