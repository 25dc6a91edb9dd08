// The chart's RBAC is enough, not only small: the real operator and receiver processes run against a
// real kube-apiserver with nothing but the chart's ServiceAccounts (tokens from the TokenRequest API)
// and do their whole job — the operator leads through its Lease, mints the token Secret, writes the
// connector Deployment and the receiver config Secret, and reports status; the receiver loads its
// configuration from the Secret and accepts a webhook. Neither is ever refused by the authorizer, nor the
// operator by the chart's ValidatingAdmissionPolicy (test/abuse/rbac.test.ts shows what that policy refuses).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { startKube, type Kube } from '../harness/kube.ts';
import { freePort } from '../harness/ports.ts';
import { eventually } from '../harness/eventually.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NS = 'hookbridge';
const DEADLINE_MS = 60_000;

let kube: Kube;
let tmp: string;
let receiverUrl: string;
let operatorUrl: string;
const children = new Map<string, ChildProcess>();

async function must(p: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const r = await p;
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const log = (name: string): string => { try { return fs.readFileSync(path.join(tmp, `${name}.log`), 'utf8'); } catch { return ''; } };

function start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const fd = fs.openSync(path.join(tmp, `${name}.log`), 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'cli/main.ts'), ...args], { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  fs.closeSync(fd);
  children.set(name, child);
}

const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => eventually(check, {
  timeoutMs: DEADLINE_MS, intervalMs: 250,
  abort: () => {
    const dead = [...children].filter(([, c]) => c.exitCode !== null || c.signalCode !== null).map(([n]) => n);
    return dead.length ? `${dead.join(', ')} exited` : undefined;
  },
  message: () => {
    const tail = (n: string): string => log(n).split('\n').slice(-25).join('\n');
    return `${what}\n--- operator\n${tail('operator')}\n--- receiver\n${tail('receiver')}\n`;
  },
});

/** A kubeconfig that authenticates as the chart's ServiceAccount `sa`, with a TokenRequest token. */
async function serviceAccountKubeconfig(sa: string): Promise<string> {
  const token = (await must(kube.kubectl(['-n', NS, 'create', 'token', sa, '--duration=1h']))).trim();
  const admin = parse(fs.readFileSync(kube.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  const file = path.join(tmp, `${sa}.kubeconfig`);
  fs.writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'sa',
    clusters: [{ name: 'test', cluster: admin.clusters[0].cluster }],
    users: [{ name: sa, user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: 'test', user: sa, namespace: NS } }],
  }));
  return file;
}

before(async () => {
  kube = await startKube();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-chart-rbac-'));
  const helmEnv = { ...process.env, ...kube.env, HELM_CACHE_HOME: path.join(tmp, 'helm'), HELM_CONFIG_HOME: path.join(tmp, 'helm'), HELM_DATA_HOME: path.join(tmp, 'helm') };
  await must(kube.kubectl(['create', 'namespace', NS]));
  await must(kube.kubectl(['-n', NS, 'create', 'secret', 'generic', 'hookbridge-rabbitmq', '--from-literal=url=amqp://unused']));
  const installed = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(path.join(kube.binDir, 'helm'), ['install', 'hookbridge', path.join(ROOT, 'charts/hookbridge'), '-n', NS, '--set', 'operator.connectorImage=ghcr.io/hookbridge/hookbridge:test'], { env: helmEnv });
    let stdout = ''; let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d; });
    c.stderr.on('data', (d: Buffer) => { stderr += d; });
    c.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
  assert.equal(installed.code, 0, installed.stderr);

  const adminToken = Buffer.from(await must(kube.kubectl(['-n', NS, 'get', 'secret', 'hookbridge-admin', '-o', 'jsonpath={.data.token}'])), 'base64').toString();
  const adminTokenFile = path.join(tmp, 'admin-token');
  fs.writeFileSync(adminTokenFile, adminToken);
  const [rxPort, opPort] = [await freePort(), await freePort()];
  receiverUrl = `http://127.0.0.1:${rxPort}`;
  operatorUrl = `http://127.0.0.1:${opPort}`;
  // The chart's command lines, with a kubeconfig instead of the in-cluster service account.
  start('receiver', ['receiver', `--port=${rxPort}`, '--host=127.0.0.1', `--kube-namespace=${NS}`, `--admin-token-file=${adminTokenFile}`,
    `--kubeconfig=${await serviceAccountKubeconfig('hookbridge-receiver')}`]);
  start('operator', ['operator', `--receiver-namespace=${NS}`, '--public-url=https://hooks.example.com', `--receiver-url=${receiverUrl}`,
    `--receiver-admin-token-file=${adminTokenFile}`, '--connector-image=ghcr.io/hookbridge/hookbridge:test', `--metrics-port=${opPort}`,
    '--leader-elect', '--stats-interval=1', `--kubeconfig=${await serviceAccountKubeconfig('hookbridge-operator')}`],
  { POD_NAMESPACE: NS, POD_NAME: 'hookbridge-operator-test' });
  await until('operator ready', async () => ((await fetch(`${operatorUrl}/readyz`)).ok ? true : undefined));
});

after(async () => {
  for (const c of children.values()) {
    if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    try { process.kill(-c.pid, 'SIGTERM'); } catch { /* gone */ }
    const timer = setTimeout(() => { try { process.kill(-(c.pid as number), 'SIGKILL'); } catch { /* gone */ } }, 5_000);
    await exited;
    clearTimeout(timer);
  }
  await kube?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const get = async (args: string[]): Promise<string | undefined> => {
  const r = await kube.kubectl(['get', ...args]);
  return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
};

test('the operator leads through a Lease in the release namespace', async () => {
  await until('Lease held', () => get(['-n', NS, 'lease', 'hookbridge-operator', '-o', 'jsonpath={.spec.holderIdentity}']));
  const metrics = await until('hookbridge_leader 1', async () => {
    const text = await (await fetch(`${operatorUrl}/metrics`)).text();
    return /^hookbridge_leader 1$/m.test(text) ? text : undefined;
  });
  assert.match(metrics, /^hookbridge_reconcile_total/m);
});

test('with the chart\'s RBAC the operator reconciles a channel and subscription, and the receiver serves it', async () => {
  await must(kube.kubectl(['create', 'namespace', 'shop']));
  await must(kube.kubectl(['apply', '-f', '-'], `apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: payments, namespace: shop}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: billing, namespace: shop}
spec:
  channelRef: {name: payments}
  destination: {url: "http://billing.shop.svc:8080/hooks"}
`));
  await until('token Secret', () => get(['-n', 'shop', 'secret', 'billing-hookbridge-token', '-o', 'name']));
  await until('connector Deployment', () => get(['-n', 'shop', 'deployment', 'hookbridge-connector', '-o', 'name']));
  await until('receiver config Secret', () => get(['-n', NS, 'secret', '-l', 'hookbridge.io/receiver-config=true', '-o', 'name']));
  const url = await until('channel status.url', () => get(['-n', 'shop', 'whc', 'payments', '-o', 'jsonpath={.status.url}']));
  assert.equal(url, 'https://hooks.example.com/webhook/shop/payments');

  // The receiver, reading Secrets with its own ServiceAccount, now has the channel and stores webhooks.
  const res = await until('202 from the receiver', async () => {
    const r = await fetch(`${receiverUrl}/webhook/shop/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"invoice.paid"}' });
    return r.status === 202 ? r : undefined;
  });
  assert.match(await res.text(), /^\{"id":"[^"]+"\}$/);
  await until('backlog in status', () => get(['-n', 'shop', 'whsub', 'billing', '-o', 'jsonpath={.status.backlog}']).then((b) => (b === '1' ? b : undefined)));
});

test('the operator may list and watch the receiver Service\'s EndpointSlices in the release namespace, nothing more', async () => {
  const can = async (verb: string, ns: string) => (await kube.kubectl(['auth', 'can-i', verb, 'endpointslices.discovery.k8s.io', '-n', ns,
    `--as=system:serviceaccount:${NS}:hookbridge-operator`])).stdout.trim();
  assert.deepEqual([await can('list', NS), await can('watch', NS)], ['yes', 'yes']);
  assert.deepEqual([await can('list', 'shop'), await can('create', NS), await can('delete', NS)], ['no', 'no', 'no']);
});

test('nothing was refused by the authorizer', () => {
  for (const name of ['operator', 'receiver']) {
    const refused = log(name).split('\n').filter((l) => /forbidden|\b403\b/i.test(l));
    assert.deepEqual(refused, [], `${name} was refused`);
  }
});
