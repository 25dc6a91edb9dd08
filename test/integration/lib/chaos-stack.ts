// The relay under fault injection: `hookbridge receiver -f <manifests> --rabbitmq-url` and two `hookbridge
// connector`s (config + mounted Secret files, as the operator would deploy them; one streams over
// WebSocket, the other over SSE with acks by POST) as separate OS processes,
// each in its own process group with stdout/stderr appended to one log per name across restarts. Each can
// be SIGKILLed and started again; an exit nobody asked for is remembered (a crash), and so are the windows
// during which the receiver was down (a connection error is only a clean refusal inside one of them).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { compileConnector, secretFilePath, signingSecretName } from '../../../shared/api/compile.ts';
import { API_VERSION, Subscription, tokenSecretName } from '../../../shared/api/v1alpha1.ts';
import { mintSigningSecret } from '../../../shared/standard-webhooks.ts';
import { mintToken } from '../../../shared/tokens.ts';
import { freePort } from '../../harness/ports.ts';

const CLI = path.resolve(import.meta.dirname, '../../../cli/main.ts');
const live = new Set<ChildProcess>();
const killGroup = (c: ChildProcess): void => {
  if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } }
};
process.once('exit', () => { for (const c of live) killGroup(c); });

export const NS = 'chaos';
export const CHANNEL = 'orders';
/** Two subscriptions on the channel, each with a connector process of its own, one per stream transport. */
export const SUBSCRIPTIONS = [{ name: 'ws-sink', transport: 'websocket' }, { name: 'sse-sink', transport: 'sse' }] as const;
export type SubscriptionName = (typeof SUBSCRIPTIONS)[number]['name'];
export type ProcessName = 'receiver' | `connector-${SubscriptionName}`;

export interface ChaosSettings {
  /** Subscription `s` delivers to `${destinationUrl}/${s}`. */
  destinationUrl: string;
  ackTimeoutSeconds: number;
  deliveryLimit: number;
  maxAttempts: number;
  retrySchedule: string[];
  concurrency: number;
}

const subscriptionDoc = (s: ChaosSettings, name: string) => ({
  apiVersion: API_VERSION, kind: 'Subscription', metadata: { name, namespace: NS },
  spec: {
    channelRef: { name: CHANNEL },
    destination: { url: `${s.destinationUrl}/${name}` },
    delivery: { concurrency: s.concurrency, timeoutSeconds: 3, retry: { maxAttempts: s.maxAttempts, schedule: s.retrySchedule, jitter: 0 } },
    signing: { scheme: 'standard-webhooks', secretRef: { name: signingSecretName(name), key: 'secret' } },
  },
});

const randomSecrets = (): Record<string, string> => {
  const out: Record<string, string> = { adminToken: `chaos-admin-${randomBytes(16).toString('hex')}` };
  for (const { name } of SUBSCRIPTIONS) {
    out[`${name} token`] = mintToken();
    out[`${name} signing secret`] = mintSigningSecret();
  }
  return out;
};

function manifests(s: ChaosSettings, secrets: Record<string, string>): string {
  const secret = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, type: 'Opaque', stringData: data });
  return [
    { apiVersion: API_VERSION, kind: 'WebhookChannel', metadata: { name: CHANNEL, namespace: NS },
      spec: { maxQueueSize: 1_000_000, ackTimeoutSeconds: s.ackTimeoutSeconds, deliveryLimit: s.deliveryLimit, maxConnections: 5 } },
    ...SUBSCRIPTIONS.flatMap(({ name }) => [
      subscriptionDoc(s, name),
      secret(tokenSecretName(name), { token: secrets[`${name} token`] }),
      secret(signingSecretName(name), { secret: secrets[`${name} signing secret`] }),
    ]),
  ].map((d) => stringify(d)).join('---\n');
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
  /** Every credential of the run by what it is: none of them may reach a log. */
  readonly secrets = randomSecrets();
  /** Exits nobody asked for: `name (code/signal)`. */
  readonly crashes: string[] = [];
  /** [killed at, ready again at] of every receiver outage (open-ended while it lasts). */
  readonly receiverDown: { from: number; to: number }[] = [];
  readonly #children = new Map<ProcessName, ChildProcess>();
  readonly #expected = new Set<ChildProcess>();
  readonly #rabbitUrl: string;
  port = 0;

  constructor(dir: string, rabbitUrl: string) { this.dir = dir; this.#rabbitUrl = rabbitUrl; }

  get receiverUrl(): string { return `http://127.0.0.1:${this.port}`; }
  get ingestUrl(): string { return `${this.receiverUrl}/webhook/${NS}/${CHANNEL}`; }
  logFile(name: ProcessName): string { return path.join(this.dir, `${name}.log`); }
  log(name: ProcessName): string { try { return fs.readFileSync(this.logFile(name), 'utf8'); } catch { return ''; } }
  /** The last lines of both logs for a failure message, runs of lines with the same `msg` collapsed. */
  tails(lines = 25): string {
    return [...this.#children.keys()].map((n) => `--- ${n}.log\n${collapse(this.log(n).trimEnd().split('\n')).slice(-lines).join('\n')}`).join('\n');
  }

  /** Writes the manifests (receiver), and each connector's config.json and Secret files. */
  async write(s: ChaosSettings): Promise<void> {
    this.port = await freePort();
    fs.mkdirSync(path.join(this.dir, 'manifests'), { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'manifests', 'chaos.yaml'), manifests(s, this.secrets));
    for (const { name, transport } of SUBSCRIPTIONS) {
      const dir = path.join(this.dir, `connector-${name}`);
      const sub = Subscription.parse(subscriptionDoc(s, name));
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(compileConnector(this.receiverUrl, [sub], transport), null, 2));
      for (const [file, value] of [[secretFilePath(tokenSecretName(name), 'token'), this.secrets[`${name} token`]], [secretFilePath(signingSecretName(name), 'secret'), this.secrets[`${name} signing secret`]]]) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), value, { mode: 0o600 });
      }
    }
  }

  startReceiver(): void {
    this.#start('receiver', ['receiver', '-f', path.join(this.dir, 'manifests'), '--rabbitmq-url', this.#rabbitUrl, '--port', String(this.port), '--host', '127.0.0.1'],
      // info whatever the test run's HOOKBRIDGE_LOG_LEVEL: the logs are searched for secrets and for what happened.
      { HOOKBRIDGE_ADMIN_TOKEN: this.secrets.adminToken, HOOKBRIDGE_LOG_LEVEL: 'info' });
  }

  startConnector(sub: SubscriptionName): void {
    const dir = path.join(this.dir, `connector-${sub}`);
    this.#start(`connector-${sub}`, ['connector', '--config', path.join(dir, 'config.json'), '--secrets-dir', dir, '--metrics-port', '0', '--metrics-host', '127.0.0.1']);
  }

  /** SIGKILL, like a crash or an OOM kill; resolves once the process is gone. */
  async kill(name: ProcessName): Promise<void> {
    const c = this.#children.get(name);
    if (!c) return;
    if (name === 'receiver') this.receiverDown.push({ from: Date.now(), to: Infinity });
    this.#expected.add(c);
    const exited = new Promise<void>((r) => { if (c.exitCode !== null || c.signalCode !== null) r(); else c.once('exit', () => r()); });
    killGroup(c);
    await exited;
  }

  /** SIGSTOP / SIGCONT: a process that hangs (alive, connections open, nothing answered) and wakes up again. */
  freeze(name: ProcessName, frozen: boolean): void {
    const c = this.#children.get(name);
    if (c?.pid !== undefined) process.kill(-c.pid, frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Marks the end of the current receiver outage (call once /readyz answers 200 again). */
  receiverUp(): void {
    const last = this.receiverDown.at(-1);
    if (last && last.to === Infinity) last.to = Date.now();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children.keys()].map((n) => this.kill(n as ProcessName)));
    this.receiverUp();
  }

  #start(name: ProcessName, args: string[], env: NodeJS.ProcessEnv = {}): void {
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
