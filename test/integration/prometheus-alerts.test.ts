// A real Prometheus (Debian's) scrapes a running receiver and connector — the CLI processes, on the
// embedded buffer — while webhooks flow to a destination that always answers 503, and evaluates the
// chart's own alert rules (files/alerts.yaml, with windows shrunk from minutes to seconds and `for: 0s`
// so a test can wait for them). HookbridgeDeliveryFailureRatioHigh must fire for that subscription
// and not for its sibling whose destination answers 204; the receiver-down and no-connector alerts
// must not fire at all. Then every hookbridge_* name Prometheus saw is
// checked against docs/metrics.md.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { freePort } from '../harness/ports.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TOKENS = { billing: 'hbt_prometheus-test-billing-0123456789abcdefghijklmnopqr', audit: 'hbt_prometheus-test-audit-0123456789abcdefghijklmnopqrst' };
const DEADLINE_MS = 60_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-prometheus-'));
let destination: http.Server;
const hits = { fail: 0, ok: 0 };
let receiverUrl: string;
let prometheusUrl: string;

const children = new Map<string, ChildProcess>();

function start(name: string, cmd: string, args: string[]): void {
  const log = fs.openSync(path.join(tmp, `${name}.log`), 'a');
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  children.set(name, child);
}

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

const logTail = (name: string): string => {
  try { return fs.readFileSync(path.join(tmp, `${name}.log`), 'utf8').split('\n').slice(-30).join('\n'); } catch { return '(no log)'; }
};

/** Polls until `check` returns a value; fails with the processes' logs when the deadline passes. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    const dead = [...children].filter(([, c]) => exited(c)).map(([n]) => n);
    if (Date.now() > deadline || dead.length > 0) {
      throw new Error(`${what}: ${dead.length ? `${dead.join(', ')} exited` : `not within ${DEADLINE_MS} ms`}\n--- receiver\n${logTail('receiver')}\n--- connector\n${logTail('connector')}\n--- prometheus\n${logTail('prometheus')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// billing's destination always fails, audit's always succeeds.
const subscriptionYaml = (name: 'billing' | 'audit', url: string): string => `---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: ${name}, namespace: shop}
spec:
  channelRef: {name: payments}
  destination: {url: "${url}"}
  delivery: {retry: {maxAttempts: 100, schedule: ["1s"], jitter: 0}}
---
apiVersion: v1
kind: Secret
metadata: {name: ${name}-hookbridge-token, namespace: shop}
stringData: {token: ${TOKENS[name]}}
`;
const CHANNEL_YAML = `apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: payments, namespace: shop}
spec: {eventType: {jsonPointer: /type}}
`;

/** The chart's rules with every range and `for:` shrunk to test scale (minutes → seconds). */
function testScaleRules(): string {
  const doc = parse(fs.readFileSync(path.join(ROOT, 'charts/hookbridge/files/alerts.yaml'), 'utf8')) as { groups: { rules: { expr: string; for?: string }[] }[] };
  for (const g of doc.groups) for (const r of g.rules) {
    r.expr = r.expr.replace(/\[(\d+)m\]/g, (_m, n: string) => `[${Math.max(10, Number(n) * 2)}s]`);
    r.for = '0s';
  }
  return stringify(doc);
}

before(async () => {
  destination = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/ok') { hits.ok++; res.writeHead(204).end(); } else { hits.fail++; res.writeHead(503).end('down for maintenance'); }
  });
  await new Promise<void>((resolve) => destination.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(destination.address() as net.AddressInfo).port}`;
  const urls = { billing: `${base}/fail`, audit: `${base}/ok` };
  const [rxPort, cxPort, promPort] = [await freePort(), await freePort(), await freePort()];
  receiverUrl = `http://127.0.0.1:${rxPort}`;
  prometheusUrl = `http://127.0.0.1:${promPort}`;

  fs.mkdirSync(path.join(tmp, 'manifests'));
  fs.writeFileSync(path.join(tmp, 'manifests/shop.yaml'), CHANNEL_YAML + subscriptionYaml('billing', urls.billing) + subscriptionYaml('audit', urls.audit));
  fs.mkdirSync(path.join(tmp, 'secrets'));
  fs.writeFileSync(path.join(tmp, 'secrets/signing'), 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  for (const [name, token] of Object.entries(TOKENS)) fs.writeFileSync(path.join(tmp, `secrets/${name}-token`), token);
  fs.writeFileSync(path.join(tmp, 'connector.json'), JSON.stringify({
    receiverUrl, transport: 'websocket',
    subscriptions: (['billing', 'audit'] as const).map((name) => ({
      namespace: 'shop', name, channel: { namespace: 'shop', name: 'payments' }, tokenFile: `${name}-token`,
      destination: { url: urls[name] },
      delivery: { timeoutMs: 2000, maxAttempts: 100, retryScheduleMs: [1000], jitter: 0, concurrency: 4, ordering: 'none' },
      signing: { scheme: 'standard-webhooks', secretFiles: ['signing'] },
    })),
  }));
  fs.writeFileSync(path.join(tmp, 'rules.yaml'), testScaleRules());
  fs.writeFileSync(path.join(tmp, 'prometheus.yaml'), stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(tmp, 'rules.yaml')],
    scrape_configs: [
      { job_name: 'hookbridge-receiver', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${rxPort}`] }] },
      { job_name: 'hookbridge-connector', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${cxPort}`] }] },
    ],
  }));

  const node = process.execPath;
  const cli = path.join(ROOT, 'cli/main.ts');
  start('receiver', node, [cli, 'receiver', '-f', path.join(tmp, 'manifests'), '--port', String(rxPort), '--host', '127.0.0.1', '--admin-token', 'admin-test-token']);
  start('connector', node, [cli, 'connector', '--config', path.join(tmp, 'connector.json'), '--secrets-dir', path.join(tmp, 'secrets'), '--metrics-port', String(cxPort)]);
  start('prometheus', 'prometheus', [`--config.file=${path.join(tmp, 'prometheus.yaml')}`, `--storage.tsdb.path=${path.join(tmp, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);
  await eventually('receiver ready', async () => ((await fetch(`${receiverUrl}/readyz`)).ok ? true : undefined));
  await eventually('prometheus ready', async () => ((await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined));
});

after(async () => {
  for (const c of children.values()) {
    if (c.pid !== undefined && !exited(c)) {
      const exited = new Promise((r) => c.once('exit', r));
      try { process.kill(-c.pid, 'SIGTERM'); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(-(c.pid as number), 'SIGKILL'); } catch { /* gone */ } }, 5_000);
      await exited;
      clearTimeout(timer);
    }
  }
  await new Promise((r) => destination?.close(r));
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function promApi<T>(p: string): Promise<T> {
  const res = await fetch(`${prometheusUrl}/api/v1/${p}`);
  const body = await res.json() as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`prometheus ${p}: ${body.error}`);
  return body.data;
}

interface Alert { labels: Record<string, string>; state: string }

test('Prometheus scrapes the receiver and the connector', async () => {
  await eventually('both targets up', async () => {
    const t = await promApi<{ activeTargets: { labels: { job: string }; health: string }[] }>('targets');
    const up = new Set(t.activeTargets.filter((x) => x.health === 'up').map((x) => x.labels.job));
    return up.has('hookbridge-receiver') && up.has('hookbridge-connector') ? true : undefined;
  });
});

test('a failing destination fires HookbridgeDeliveryFailureRatioHigh, and only the alerts that should', async () => {
  let posted = 0;
  const firing = await eventually('HookbridgeDeliveryFailureRatioHigh firing', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${receiverUrl}/webhook/shop/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'invoice.paid', n: posted }) });
      assert.equal(res.status, 202, await res.text());
      posted++;
    }
    const { alerts } = await promApi<{ alerts: Alert[] }>('alerts');
    const fired = alerts.filter((a) => a.state === 'firing');
    return fired.some((a) => a.labels.alertname === 'HookbridgeDeliveryFailureRatioHigh') ? fired : undefined;
  });
  assert.ok(hits.fail > 0 && hits.ok > 0, `the connector delivered to both destinations (${JSON.stringify(hits)})`);
  const ratio = firing.filter((a) => a.labels.alertname === 'HookbridgeDeliveryFailureRatioHigh');
  assert.deepEqual(ratio.map((a) => [a.labels.namespace, a.labels.subscription, a.labels.severity]), [['shop', 'billing', 'warning']]);
  // audit's successes were scraped and evaluated by the same rule, and it stayed silent.
  const audit = await promApi<{ result: { value: [number, string] }[] }>(
    `query?query=${encodeURIComponent('sum(hookbridge_delivery_attempts_total{subscription="audit",outcome="success"})')}`);
  assert.ok(Number(audit.result[0]?.value[1]) > 0, 'Prometheus has audit\'s successful attempts');
  const names = new Set(firing.map((a) => a.labels.alertname));
  for (const quiet of ['HookbridgeReceiverDown', 'HookbridgeBufferDisconnected', 'HookbridgeBacklogWithoutConnector', 'HookbridgeQueueFull']) {
    assert.ok(!names.has(quiet), `${quiet} fired: ${JSON.stringify(firing.filter((a) => a.labels.alertname === quiet))}`);
  }
});

test('every hookbridge_* series Prometheus scraped is in docs/metrics.md', async () => {
  const contract = new Set([...fs.readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8').matchAll(/^\|\s*`(hookbridge_[a-z0-9_]+)`/gm)].map((m) => m[1]));
  const names = (await promApi<string[]>('label/__name__/values')).filter((n) => n.startsWith('hookbridge_') && !/^hookbridge_(process|nodejs)_/.test(n));
  const unknown = names.map((n) => n.replace(/_(bucket|sum|count|created)$/, '')).filter((n) => !contract.has(n));
  assert.deepEqual([...new Set(unknown)], []);
  for (const seen of ['hookbridge_ingest_requests_total', 'hookbridge_queue_messages', 'hookbridge_connected_connectors', 'hookbridge_delivery_attempts_total', 'hookbridge_delivery_duration_seconds_bucket']) {
    assert.ok(names.includes(seen), `Prometheus has no ${seen}`);
  }
});
