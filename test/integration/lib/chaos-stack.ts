// The relay under fault injection: `hookbridge receiver -f <manifests> --rabbitmq-url` and `hookbridge
// connector` (config + mounted Secret files, as the operator would deploy it) as separate OS processes,
// each in its own process group with stdout/stderr appended to one log per name across restarts. Each can
// be SIGKILLed and started again; an exit nobody asked for is remembered (a crash), and so are the windows
// during which the receiver was down (a connection error is only a clean refusal inside one of them).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { compileConnector, secretFilePath, signingSecretName } from '../../../shared/api/compile.ts';
import { API_VERSION, Subscription, tokenSecretName } from '../../../shared/api/v1alpha1.ts';

const CLI = path.resolve(import.meta.dirname, '../../../cli/main.ts');
const live = new Set<ChildProcess>();
const killGroup = (c: ChildProcess): void => {
  if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } }
};
process.once('exit', () => { for (const c of live) killGroup(c); });

export const NS = 'chaos';
export const CHANNEL = 'orders';
export const SUB = 'sink';

export interface ChaosSettings {
  destinationUrl: string;
  ackTimeoutSeconds: number;
  deliveryLimit: number;
  maxAttempts: number;
  retrySchedule: string[];
  concurrency: number;
}

/** The secrets of one run: every one of them must stay out of the logs. */
export interface Secrets { streamToken: string; signingSecret: string; adminToken: string }

const subscriptionDoc = (s: ChaosSettings) => ({
  apiVersion: API_VERSION, kind: 'Subscription', metadata: { name: SUB, namespace: NS },
  spec: {
    channelRef: { name: CHANNEL },
    destination: { url: s.destinationUrl },
    delivery: { concurrency: s.concurrency, timeoutSeconds: 5, retry: { maxAttempts: s.maxAttempts, schedule: s.retrySchedule, jitter: 0 } },
    signing: { scheme: 'standard-webhooks', secretRef: { name: signingSecretName(SUB), key: 'secret' } },
  },
});

function manifests(s: ChaosSettings, secrets: Secrets): string {
  const secret = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, type: 'Opaque', stringData: data });
  return [
    { apiVersion: API_VERSION, kind: 'WebhookChannel', metadata: { name: CHANNEL, namespace: NS },
      spec: { maxQueueSize: 1_000_000, ackTimeoutSeconds: s.ackTimeoutSeconds, deliveryLimit: s.deliveryLimit, maxConnections: 5 } },
    subscriptionDoc(s),
    secret(tokenSecretName(SUB), { token: secrets.streamToken }),
    secret(signingSecretName(SUB), { secret: secrets.signingSecret }),
  ].map((d) => stringify(d)).join('---\n');
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.listen(0, '127.0.0.1', resolve).once('error', reject));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function collapse(lines: string[]): string[] {
  const out: string[] = [];
  let last = '';
  let repeats = 0;
  const flush = (): void => { if (repeats > 0) out.push(`  ... ${repeats} more like it`); repeats = 0; };
  for (const line of lines) {
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line;
    if (msg === last) { repeats++; continue; }
    flush();
    out.push(line);
    last = msg;
  }
  flush();
  return out;
}

export class ChaosStack {
  readonly dir: string;
  readonly secrets: Secrets = {
    streamToken: `hbt_${randomBytes(32).toString('base64url')}`,
    signingSecret: `whsec_${randomBytes(24).toString('base64')}`,
    adminToken: `chaos-admin-${randomBytes(16).toString('hex')}`,
  };
  /** Exits nobody asked for: `name (code/signal)`. */
  readonly crashes: string[] = [];
  /** [killed at, ready again at] of every receiver outage (open-ended while it lasts). */
  readonly receiverDown: { from: number; to: number }[] = [];
  readonly #children = new Map<string, ChildProcess>();
  readonly #expected = new Set<ChildProcess>();
  readonly #rabbitUrl: string;
  port = 0;

  constructor(dir: string, rabbitUrl: string) { this.dir = dir; this.#rabbitUrl = rabbitUrl; }

  get receiverUrl(): string { return `http://127.0.0.1:${this.port}`; }
  get ingestUrl(): string { return `${this.receiverUrl}/webhook/${NS}/${CHANNEL}`; }
  logFile(name: string): string { return path.join(this.dir, `${name}.log`); }
  log(name: string): string { try { return fs.readFileSync(this.logFile(name), 'utf8'); } catch { return ''; } }
  /** The last lines of both logs for a failure message, runs of lines with the same `msg` collapsed. */
  tails(lines = 25): string {
    return ['receiver', 'connector'].map((n) => `--- ${n}.log\n${collapse(this.log(n).trimEnd().split('\n')).slice(-lines).join('\n')}`).join('\n');
  }

  /** Writes the manifests (receiver) and the connector's config.json + Secret files. */
  async write(s: ChaosSettings): Promise<void> {
    this.port = await freePort();
    const yaml = manifests(s, this.secrets);
    fs.mkdirSync(path.join(this.dir, 'manifests'), { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'manifests', 'chaos.yaml'), yaml);
    const sub = Subscription.parse(subscriptionDoc(s));
    fs.writeFileSync(path.join(this.dir, 'connector.json'), JSON.stringify(compileConnector(this.receiverUrl, [sub], 'websocket'), null, 2));
    for (const [file, value] of [[secretFilePath(tokenSecretName(SUB), 'token'), this.secrets.streamToken], [secretFilePath(signingSecretName(SUB), 'secret'), this.secrets.signingSecret]]) {
      fs.mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
      fs.writeFileSync(path.join(this.dir, file), value, { mode: 0o600 });
    }
  }

  startReceiver(): void {
    this.#start('receiver', ['receiver', '-f', path.join(this.dir, 'manifests'), '--rabbitmq-url', this.#rabbitUrl, '--port', String(this.port), '--host', '127.0.0.1'],
      { HOOKBRIDGE_ADMIN_TOKEN: this.secrets.adminToken });
  }

  startConnector(): void {
    this.#start('connector', ['connector', '--config', path.join(this.dir, 'connector.json'), '--secrets-dir', this.dir, '--metrics-port', '0', '--metrics-host', '127.0.0.1']);
  }

  /** SIGKILL, like a crash or an OOM kill; resolves once the process is gone. */
  async kill(name: 'receiver' | 'connector'): Promise<void> {
    const c = this.#children.get(name);
    if (!c) return;
    if (name === 'receiver') this.receiverDown.push({ from: Date.now(), to: Infinity });
    this.#expected.add(c);
    const exited = new Promise<void>((r) => { if (c.exitCode !== null || c.signalCode !== null) r(); else c.once('exit', () => r()); });
    killGroup(c);
    await exited;
  }

  /** Marks the end of the current receiver outage (call once /readyz answers 200 again). */
  receiverUp(): void {
    const last = this.receiverDown.at(-1);
    if (last && last.to === Infinity) last.to = Date.now();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children.keys()].map((n) => this.kill(n as 'receiver' | 'connector')));
    this.receiverUp();
  }

  #start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
    const fd = fs.openSync(this.logFile(name), 'a');
    fs.writeSync(fd, `--- ${new Date().toISOString()} start: hookbridge ${args.join(' ')}\n`);
    const child = spawn(process.execPath, [CLI, ...args], { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    fs.closeSync(fd);
    live.add(child);
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (!this.#expected.has(child)) this.crashes.push(`${name} (${code ?? signal})`);
    });
    this.#children.set(name, child);
  }
}
