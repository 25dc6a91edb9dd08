// The whole flow on a real kube-apiserver (+ kube-controller-manager) and a real RabbitMQ: the chart's
// CRDs, the operator, the receiver and the connector as local processes (no kubelet: the connector runs
// from exactly what the operator wrote into the API, materialised by test/e2e/lib/kubelet.ts), a
// destination in this process. kubectl apply → webhooks arrive byte-identical and signed → the token
// rotates under load with nothing lost → backlog and CONNECTED in `kubectl get whc` follow the connector.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startKube, type Kube } from '../harness/kube.ts';
import { startRabbit, type Rabbit } from '../harness/rabbitmq.ts';
import { tokenSecretName } from '../../shared/api/v1alpha1.ts';
import type { ConnectorConfig } from '../../shared/config.ts';
import { CloseCode } from '../../shared/protocol.ts';
import { StreamClient } from '../../receiver/test-support.ts';
import { Destination, type Received } from './lib/destination.ts';
import { ContinuousPoster, postWebhook } from './lib/ingest.ts';
import { Kubelet } from './lib/kubelet.ts';
import { freePort, Processes, ROOT } from './lib/processes.ts';
import { verifyStandardWebhook } from './lib/standard-webhooks.ts';
import { eventually, within, type WaitOptions } from './lib/wait.ts';
import { columns, metricSum } from './lib/views.ts';

const RX_NS = 'hookbridge-system';
const NS = 'demo';
const CHANNEL = 'orders';
const SUB = 'sink';
const CONNECTOR = 'hookbridge-connector';
const GRACE_S = 20;
const N = 50;
const M = 20;

let kube: Kube;
let rabbit: Rabbit;
let tmp: string;
let procs: Processes;
let dest: Destination;
let kubelet: Kubelet | undefined;
let poster: ContinuousPoster | undefined;
let rxUrl: string;
let ingestUrl: string;
let connectorMetricsUrl: string;
let signingSecret: string;
let broken: string | undefined;

const abort = (): string | undefined => {
  const dead = procs.exited();
  return dead.length > 0 ? `${dead.join(', ')} exited unexpectedly` : undefined;
};
const until = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, o: WaitOptions = {}): Promise<T> =>
  eventually(what, probe, { abort, ...o });

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await kube.kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
const getJson = async (args: string[]): Promise<any> => JSON.parse(await kubectl(['get', ...args, '-o', 'json'])); // eslint-disable-line @typescript-eslint/no-explicit-any
const secretValue = async (name: string, key: string): Promise<string> =>
  Buffer.from((await getJson(['-n', NS, 'secret', name])).data[key], 'base64').toString('utf8');
const channelStatus = async (): Promise<{ backlog?: number; connectedConnectors?: number; url?: string }> =>
  (await getJson(['-n', NS, 'whc', CHANNEL])).status ?? {};
/** The printer columns of `kubectl get whc` (what a person reads). */
const whcColumns = async (): Promise<Record<string, string>> => columns(await kubectl(['get', 'whc', CHANNEL, '-n', NS]));
const connectorMetric = async (name: string): Promise<number> => metricSum(await (await fetch(connectorMetricsUrl)).text(), name);

async function startConnector(): Promise<void> {
  assert.ok(kubelet, 'the kubelet stand-in runs');
  // The Deployment's args with the mount paths made local; only the metrics port is changed (9090 in the
  // pod, a free loopback port here so parallel test runs do not collide).
  const args = [...kubelet.args];
  const port = await freePort();
  const i = args.indexOf('--metrics-port');
  if (i >= 0) args.splice(i, 2);
  procs.start('connector', [...args, '--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
  connectorMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  await until('connector connected (hookbridge_connector_connected 1)', async () => (await connectorMetric('hookbridge_connector_connected')) === 1);
}

/** Every request for `ids` arrived with its exact bytes, content type and a valid Standard Webhooks signature. */
function assertDelivered(sent: Map<string, { body: Buffer; contentType: string }>): void {
  const got = dest.byId();
  for (const [id, s] of sent) {
    const r = got.get(id) as Received;
    assert.ok(r, `message ${id} delivered`);
    assert.ok(r.body.equals(s.body), `message ${id}: body byte-identical`);
    assert.equal(r.headers['content-type'], s.contentType, `message ${id}: content type relayed`);
    assert.equal(r.path, '/hooks');
    verifyStandardWebhook(signingSecret, r.headers, r.body, r.at);
  }
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-e2e-'));
  procs = new Processes(tmp);
  const [k, r] = await Promise.allSettled([startKube({ controllerManager: true }), startRabbit()]);
  if (k.status === 'fulfilled') kube = k.value;
  if (r.status === 'fulfilled') rabbit = r.value;
  if (k.status === 'rejected') throw k.reason;
  if (r.status === 'rejected') throw r.reason;
  await kube.applyCrds(path.join(ROOT, 'charts/hookbridge/crds'));
  await kubectl(['create', 'namespace', RX_NS]);
  await kubectl(['create', 'namespace', NS]);
  dest = await new Destination().listen();

  const adminTokenFile = path.join(tmp, 'admin-token');
  fs.writeFileSync(adminTokenFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const [rxPort, opPort] = [await freePort(), await freePort()];
  rxUrl = `http://127.0.0.1:${rxPort}`;
  procs.start('receiver', ['receiver', `--port=${rxPort}`, '--host=127.0.0.1', `--kube-namespace=${RX_NS}`,
    `--kubeconfig=${kube.kubeconfigPath}`, `--rabbitmq-url=${rabbit.url}`, `--admin-token-file=${adminTokenFile}`]);
  // The receiver is a local process, so its in-cluster URL and its public URL are the same loopback URL.
  procs.start('operator', ['operator', `--kubeconfig=${kube.kubeconfigPath}`, `--receiver-namespace=${RX_NS}`,
    `--public-url=${rxUrl}`, `--receiver-url=${rxUrl}`, `--receiver-admin-token-file=${adminTokenFile}`,
    `--metrics-port=${opPort}`, '--stats-interval=1', '--connector-image=hookbridge:e2e']);
  try {
    await until('receiver ready', async () => (await fetch(`${rxUrl}/readyz`)).ok);
    await until('operator ready', async () => (await fetch(`http://127.0.0.1:${opPort}/readyz`)).ok);
  } catch (err) {
    broken = 'start-up';
    process.stderr.write(`\n=== start-up failed\n${procs.tails()}\n`);
    throw err;
  }
});


after(async () => {
  await poster?.stop().catch(() => {});
  await procs?.stopAll();
  await kubelet?.stop();
  await dest?.close();
  await rabbit?.dispose();
  await kube?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** One step of the flow: runs only on the world the previous steps built; on failure, shows the logs. */
function step(name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    assert.equal(broken, undefined, `an earlier step failed (${broken})`);
    try {
      await fn();
    } catch (err) {
      broken = name;
      process.stderr.write(`\n=== step failed: ${name}\n${procs.tails()}\n`);
      throw err;
    }
  });
}

step('kubectl apply a channel and a subscription → Ready; the connector runs from what the operator wrote', async () => {
  await kubectl(['apply', '-f', '-'], `
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: ${CHANNEL}, namespace: ${NS}}
spec:
  eventType: {jsonPointer: /type}
  tokenRotation: {interval: 720h, gracePeriod: ${GRACE_S}s}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: ${SUB}, namespace: ${NS}}
spec:
  channelRef: {name: ${CHANNEL}}
  destination: {url: "${dest.url}/hooks"}
`);
  await kubectl(['wait', '--for=condition=Ready', '--timeout=90s', '-n', NS, `whc/${CHANNEL}`, `whsub/${SUB}`]);
  const status = await channelStatus();
  assert.equal(status.url, `${rxUrl}/webhook/${NS}/${CHANNEL}`);
  ingestUrl = status.url as string;

  const config = JSON.parse((await getJson(['-n', NS, 'configmap', CONNECTOR])).data['config.json']) as ConnectorConfig;
  assert.equal(config.receiverUrl, rxUrl, 'connectors dial the receiver URL the operator was given');
  assert.equal(config.subscriptions.length, 1);
  const sub = config.subscriptions[0];
  assert.deepEqual([sub.namespace, sub.name, sub.channel], [NS, SUB, { namespace: NS, name: CHANNEL }]);
  assert.equal(sub.destination.url, `${dest.url}/hooks`);
  assert.equal(sub.signing.scheme, 'standard-webhooks');

  // The signing secret is the Secret the Deployment projects at the config's signing path.
  const dep = await getJson(['-n', NS, 'deployment', CONNECTOR]);
  const sources = dep.spec.template.spec.volumes.flatMap((v: any) => v.projected?.sources ?? []); // eslint-disable-line @typescript-eslint/no-explicit-any
  const signing = sources.map((s: any) => ({ name: s.secret?.name, item: s.secret?.items?.find((i: any) => i.path === sub.signing.secretFiles[0]) })) // eslint-disable-line @typescript-eslint/no-explicit-any
    .find((s: { item?: unknown }) => s.item);
  assert.ok(signing, `a projected Secret provides ${sub.signing.secretFiles[0]}`);
  signingSecret = await secretValue(signing.name, signing.item.key);
  assert.match(signingSecret, /^whsec_/);
  assert.ok(sources.some((s: any) => s.secret?.name === tokenSecretName(SUB)), 'the token Secret is projected'); // eslint-disable-line @typescript-eslint/no-explicit-any

  kubelet = new Kubelet({ kubeconfig: kube.kubeconfigPath, namespace: NS, deployment: CONNECTOR, root: path.join(tmp, 'pod') });
  await kubelet.start();
  assert.equal(kubelet.args[0], 'connector');
  await startConnector();
  await until('CONNECTED 1 in the channel status', async () => (await channelStatus()).connectedConnectors === 1);
});

step(`${N} JSON webhooks and a binary one: all 202, all delivered byte-identical with a valid Standard Webhooks signature`, async () => {
  const sent = new Map<string, { body: Buffer; contentType: string }>();
  const bodies = Array.from({ length: N }, (_, i) => ({
    body: Buffer.from(JSON.stringify({ type: 'invoice.paid', n: i, note: 'ünïcødé ✓', pad: 'x'.repeat(i * 37) })),
    contentType: 'application/json',
  }));
  bodies.push({ body: Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80, 0x0d, 0x0a]), randomBytes(4096)]), contentType: 'application/octet-stream' });
  for (let i = 0; i < bodies.length; i += 10) {
    await Promise.all(bodies.slice(i, i + 10).map(async (b) => {
      const r = await postWebhook(ingestUrl, b.body, b.contentType);
      assert.equal(r.status, 202, r.body);
      assert.ok(r.id);
      sent.set(r.id, b);
    }));
  }
  assert.equal(sent.size, N + 1);
  await until(`all ${N + 1} at the destination`, () => [...sent.keys()].every((id) => dest.byId().has(id)));
  assertDelivered(sent);
  assert.deepEqual([...dest.byId().keys()].filter((id) => !sent.has(id)), [], 'nothing else arrived');
  const first = dest.byId().get([...sent.keys()][0]) as Received;
  assert.equal(first.headers['x-hookbridge-event-type'], 'invoice.paid');
  assert.throws(() => verifyStandardWebhook(signingSecret, first.headers, Buffer.concat([first.body, Buffer.from(' ')]), first.at), /no v1 signature/,
    'the verifier is not vacuous: a changed body fails');
});

step(`rotate the token with the annotation under load: old token accepted for the ${GRACE_S}s grace, then 4001; nothing lost`, async () => {
  const oldToken = await secretValue(tokenSecretName(SUB), 'token');
  const reconnectsBefore = await connectorMetric('hookbridge_connector_reconnects_total');
  const writesBefore = kubelet?.writes.length ?? 0;
  poster = new ContinuousPoster().start(ingestUrl, (n) => Buffer.from(JSON.stringify({ type: 'invoice.paid', phase: 'rotation', n })));
  await until('webhooks flowing before the rotation', () => poster?.accepted.size !== undefined && poster.accepted.size >= 10);

  await kubectl(['annotate', 'whc', CHANNEL, '-n', NS, 'hookbridge.io/rotate-token=e2e-1']);
  const newToken = await until('the token Secret changes', async () => { const t = await secretValue(tokenSecretName(SUB), 'token'); return t !== oldToken && t; });
  assert.match(newToken, /^hbt_/);
  await until('the kubelet stand-in rewrote the projected token', () => kubelet?.writes.slice(writesBefore).some((w) => w.volume === 'secrets'));
  await until('the connector reconnected with the new token', async () =>
    (await connectorMetric('hookbridge_connector_reconnects_total')) > reconnectsBefore && (await connectorMetric('hookbridge_connector_connected')) === 1);
  assert.match(procs.log('connector'), /token file changed: reconnecting with the new token/);

  // During the grace period the old token still opens a stream; when it ends, that stream is closed with 4001.
  const ws = `${rxUrl.replace('http', 'ws')}/connect/stream/${NS}/${CHANNEL}?window=1`;
  const held = new StreamClient(ws, oldToken);
  await within('hello on a stream with the old token', held.until((c) => c.frames[0]?.type === 'hello'), 10_000);
  assert.equal((held.frames[0] as { subscription?: string }).subscription, `${NS}/${SUB}`);
  const closed = await within('the old-token stream closed after the grace period', held.closed, (GRACE_S + 45) * 1000);
  assert.equal(closed.code, CloseCode.InvalidToken);
  const late = new StreamClient(ws, oldToken);
  assert.equal((await within('a new stream with the old token refused', late.closed, 10_000)).code, CloseCode.InvalidToken);
  const fresh = new StreamClient(ws, newToken);
  await within('the new token opens a stream', fresh.until((c) => c.frames[0]?.type === 'hello'), 10_000);
  fresh.close();
  await fresh.closed;

  const postedAtRevocation = poster.accepted.size;
  await until('webhooks keep flowing after the revocation', () => (poster?.accepted.size ?? 0) >= postedAtRevocation + 20);
  await poster.stop();
  const accepted = poster.accepted;
  poster = undefined;
  assert.equal(accepted.size > 100, true, `a continuous stream of webhooks across the rotation (${accepted.size})`);
  await until(`all ${accepted.size} webhooks posted during the rotation delivered`, () => [...accepted.keys()].every((id) => dest.byId().has(id)));
  assertDelivered(new Map([...accepted].map(([id, body]) => [id, { body, contentType: 'application/json' }])));
  assert.equal(await connectorMetric('hookbridge_connector_connected'), 1, 'the connector stayed on its new token');
  assert.doesNotMatch(procs.log('connector'), /invalid or revoked token \(4001\)/, 'the connector never used a revoked token');
});

step(`connector stopped: ${M} webhooks wait as backlog with CONNECTED 0; restarted: the backlog drains, CONNECTED 1`, async () => {
  assert.equal(await procs.stop('connector'), 0, 'the connector exits 0 on SIGTERM');
  await until('CONNECTED 0 in the channel status', async () => (await channelStatus()).connectedConnectors === 0);
  const sent = new Map<string, { body: Buffer; contentType: string }>();
  for (let i = 0; i < M; i++) {
    const body = Buffer.from(JSON.stringify({ type: 'invoice.paid', phase: 'backlog', n: i }));
    const r = await postWebhook(ingestUrl, body, 'application/json');
    assert.equal(r.status, 202, r.body);
    sent.set(r.id as string, { body, contentType: 'application/json' });
  }
  const waiting = await until(`BACKLOG >= ${M} in kubectl get whc`, async () => {
    const st = await channelStatus();
    return (st.backlog ?? 0) >= M && st.connectedConnectors === 0 && st;
  });
  assert.equal(waiting.connectedConnectors, 0);
  const cols = await whcColumns();
  assert.equal(cols.CONNECTED, '0');
  assert.ok(Number(cols.BACKLOG) >= M, `BACKLOG column ${cols.BACKLOG}`);
  assert.equal(cols.READY, 'True');
  assert.equal([...sent.keys()].filter((id) => dest.byId().has(id)).length, 0, 'nothing delivered without a connector');

  await startConnector();
  await until('backlog drained to 0 with CONNECTED 1', async () => {
    const st = await channelStatus();
    return st.backlog === 0 && st.connectedConnectors === 1;
  });
  await until(`all ${M} delivered`, () => [...sent.keys()].every((id) => dest.byId().has(id)));
  assertDelivered(sent);
  const drained = await whcColumns();
  assert.deepEqual([drained.CONNECTED, drained.BACKLOG, drained.DLQ], ['1', '0', '0']);
  assert.equal((await getJson(['-n', NS, 'whsub', SUB])).status.backlog, 0);
});
