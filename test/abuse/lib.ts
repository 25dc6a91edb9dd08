// The abuse suite's receiver: `hookbridge receiver` as its own process (so a crash is a dead process, not a
// failed test runner) on loopback, over the memory buffer unless a RabbitMQ URL is given, with known tokens.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../harness/eventually.ts';
import { freePort } from '../harness/ports.ts';

const CLI = path.join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

export const STREAM_TOKEN = 'hbt_abuse-suite-stream-token-0123456789abcdefghijklmnop';
export const ADMIN_TOKEN = 'abuse-suite-admin-token-0123456789';
export const SIGNING_SECRET = 'abuse-suite-hmac-secret';

/** shop/orders (no signature check), shop/signed (hmac), one subscription on each, tokens from Secrets. */
export const MANIFESTS = `
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: orders, namespace: shop}
spec: {maxQueueSize: 100000, maxConnections: 50}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: sink, namespace: shop}
spec:
  channelRef: {name: orders}
  destination: {url: "http://127.0.0.1:9/hook"}
---
apiVersion: v1
kind: Secret
metadata: {name: sink-hookbridge-token, namespace: shop}
stringData: {token: ${STREAM_TOKEN}}
---
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: signed, namespace: shop}
spec:
  verify: {provider: hmac, secretRef: {name: signed-verify, key: secret}}
---
apiVersion: v1
kind: Secret
metadata: {name: signed-verify, namespace: shop}
stringData: {secret: ${SIGNING_SECRET}}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: signed-sink, namespace: shop}
spec:
  channelRef: {name: signed}
  destination: {url: "http://127.0.0.1:9/hook"}
---
apiVersion: v1
kind: Secret
metadata: {name: signed-sink-hookbridge-token, namespace: shop}
stringData: {token: ${STREAM_TOKEN}-signed}
`;

/** The X-Signature header the shop/signed channel accepts for `body`. */
export const sign = (body: string | Buffer): string => `sha256=${createHmac('sha256', SIGNING_SECRET).update(body).digest('hex')}`;

export interface ReceiverProcess {
  base: string;
  port: number;
  child: ChildProcess;
  /** True while the process has not exited. */
  alive(): boolean;
  /** stdout + stderr so far. */
  output(): string;
  /** Resident set size of the process in bytes (from /proc). */
  rss(): number;
  stop(): Promise<void>;
}

export async function spawnReceiver(opts: { args?: string[]; env?: Record<string, string>; manifests?: string } = {}): Promise<ReceiverProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-abuse-'));
  fs.writeFileSync(path.join(dir, 'shop.yaml'), opts.manifests ?? MANIFESTS);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'receiver', '-f', dir, '--host', '127.0.0.1', '--port', String(port), '--admin-token', ADMIN_TOKEN, ...(opts.args ?? [])], {
    env: { ...process.env, HOOKBRIDGE_LOG_LEVEL: 'warn', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c) => { out += String(c); });
  child.stderr?.on('data', (c) => { out += String(c); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const base = `http://127.0.0.1:${port}`;
  await eventually(() => ready(base), { timeoutMs: 30_000, intervalMs: 50, message: () => `receiver ready (output:\n${out}\n)`, abort: () => (alive() ? undefined : 'it exited') })
    .catch((err: unknown) => { child.kill('SIGKILL'); throw err; });
  return {
    base, port, child, alive, output: () => out,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    stop: async () => {
      if (alive()) { child.kill('SIGTERM'); await exited; }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ready(base: string): Promise<boolean> {
  try { return (await fetch(`${base}/readyz`)).status === 200; } catch { return false; }
}

export interface RawAnswer { status: number | undefined; head: string; body: string; bytes: number }

/**
 * Writes raw bytes to the receiver and reads until it closes the connection (or `maxBytes` arrived), so
 * any request line, target or header can be sent as is. The status is that of the first response. A
 * stream's head is answer enough (the socket is dropped then) unless `untilClose`.
 */
export function rawRequest(port: number, bytes: Buffer | string, opts: { maxBytes?: number; halfClose?: boolean; untilClose?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (): void => {
      const all = Buffer.concat(chunks).toString('latin1');
      const end = all.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(all);
      resolve({ status: m ? Number(m[1]) : undefined, head: end < 0 ? all : all.slice(0, end), body: end < 0 ? '' : all.slice(end + 4), bytes: got });
    };
    // A stream (101 or text/event-stream) stays open: its head is the answer. The cap only bounds a stuck read.
    const cap = setTimeout(() => sock.destroy(), 10_000);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      const head = Buffer.concat(chunks).toString('latin1');
      const stream = head.includes('\r\n\r\n') && (/^HTTP\/1\.1 101/.test(head) || /\r\ncontent-type: text\/event-stream/i.test(head));
      if ((stream && !opts.untilClose) || got >= (opts.maxBytes ?? 1 << 20)) sock.destroy();
    });
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(cap); done(); });
    sock.write(bytes);
    if (opts.halfClose ?? true) sock.end();
  });
}

