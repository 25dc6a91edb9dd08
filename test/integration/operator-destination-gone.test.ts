// A destination that answers 410 Gone shows on its Subscription, with real parts only: the real
// kube-apiserver, the operator (in-process) polling the real receiver's admin API, the receiver (memory
// buffer, config from the operator's Secrets) and the connector as processes — the connector run from
// exactly what the operator wrote (test/e2e/lib/kubelet.ts) — and a destination in this process.
// 410 → Ready=False DestinationGone (+ event) → a later delivery → Ready=True DestinationRecovered →
// 410 again, then spec.destination changed → DestinationChanged, Ready=True → a delivery there → recovered.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import { Kubelet } from '../e2e/lib/kubelet.ts';
import { Processes } from '../e2e/lib/processes.ts';
import { freePort } from '../harness/ports.ts';
import { condition, getJson, must, readyReason, RECEIVER_NS, startTestKube, startTestOperator, waitFor, type Cond, type TestOperator } from '../harness/operator-env.ts';
import { applyChannelAndSubscription } from '../harness/operator-apply.ts';

const NS = 'team-gone';
const CHANNEL = 'orders';
const SUB = 'sink';

let kube: Kube;
let op: TestOperator;
let procs: Processes;
let kubelet: Kubelet | undefined;
let receiverUrl: string;
/** What the destination answers; every request's path is recorded. */
let answer = 410;
const hits: string[] = [];
const destination = http.createServer((req, res) => {
  req.resume().on('end', () => { hits.push(req.url ?? ''); res.writeHead(answer).end(); });
});
let destUrl: string;

before(async () => {
  await new Promise<void>((r) => destination.listen(0, '127.0.0.1', r));
  destUrl = `http://127.0.0.1:${(destination.address() as AddressInfo).port}`;
  kube = await startTestKube();
  procs = new Processes(fs.mkdtempSync(path.join(os.tmpdir(), 'hb-gone-')));
  const adminTokenFile = path.join(procs.dir, 'admin-token');
  fs.writeFileSync(adminTokenFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const port = await freePort();
  receiverUrl = `http://127.0.0.1:${port}`;
  procs.start('receiver', ['receiver', `--port=${port}`, '--host=127.0.0.1', '--buffer=memory', `--kube-namespace=${RECEIVER_NS}`,
    `--kubeconfig=${kube.kubeconfigPath}`, `--admin-token-file=${adminTokenFile}`]);
  await until('receiver ready', async () => (await fetch(`${receiverUrl}/readyz`)).ok);
  op = await startTestOperator(kube, {
    receiverUrl, receiverAdminTokenFile: adminTokenFile, statsIntervalMs: 200, publicUrl: receiverUrl, connectorReceiverUrl: receiverUrl,
    // The connector runs as a local process and the destination listens on loopback.
    connectorAllowLoopback: true, destinationAllow: ['127.0.0.0/8'],
  });
});

after(async () => {
  await kubelet?.stop();
  await procs?.stopAll();
  await op?.stop();
  await kube?.stop();
  destination.closeAllConnections();
  await new Promise((r) => destination.close(r));
  if (procs) fs.rmSync(procs.dir, { recursive: true, force: true });
});

/** waitFor that shows the processes' logs when it gives up. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  try {
    return await waitFor(what, probe);
  } catch (err) {
    process.stderr.write(`\n${procs.tails()}\n`);
    throw err;
  }
}

const status = async (): Promise<Record<string, any>> => (await getJson(kube, ['-n', NS, 'whsub', SUB]))?.status ?? {}; // eslint-disable-line @typescript-eslint/no-explicit-any
const health = (): Promise<Cond | undefined> => condition(kube, NS, 'whsub', SUB, 'DestinationHealthy');
const healthIs = (s: string, reason: string) => until(`DestinationHealthy=${s} ${reason}`, async () => {
  const c = await health();
  return c?.status === s && c.reason === reason ? c : undefined;
});

async function post(n: number): Promise<void> {
  const r = await fetch(`${receiverUrl}/webhook/${NS}/${CHANNEL}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'order.created', n }) });
  assert.equal(r.status, 202, await r.text());
}

test('the connector runs from what the operator wrote and connects', async () => {
  await applyChannelAndSubscription(kube, { ns: NS, channel: CHANNEL, subscription: SUB, subscriptionSpec: { destination: { url: `${destUrl}/hooks` } } });
  kubelet = new Kubelet({ kubeconfig: kube.kubeconfigPath, namespace: NS, deployment: 'hookbridge-connector', root: path.join(procs.dir, 'pod') });
  await kubelet.start();
  const args = [...kubelet.args];
  args.splice(args.indexOf('--metrics-port'), 2);
  procs.start('connector', [...args, '--metrics-port', String(await freePort()), '--metrics-host', '127.0.0.1']);
  await until('the connector connected (whc status.connectedConnectors 1)', async () =>
    (await getJson(kube, ['-n', NS, 'whc', CHANNEL]))?.status?.connectedConnectors === 1);
  const h = await healthIs('True', 'NoGoneAnswer');
  assert.equal(h.message, 'The destination has not answered 410 Gone');
});

test('410 Gone → Ready=False DestinationGone with when and what to do, status.destinationGoneAt, a Warning event', async () => {
  const before = Date.now();
  await post(1);
  const ready = await readyReason(kube, NS, 'whsub', SUB, 'DestinationGone');
  assert.match(ready.message, /^The destination answered 410 Gone at \S+; its messages are dead-lettered — fix the destination \(then redrive the dead letters\) or delete the Subscription$/);
  const h = await health();
  assert.deepEqual([h?.status, h?.reason, h?.message], ['False', 'DestinationGone', ready.message]);
  const st = await status();
  assert.ok(Date.parse(st.destinationGoneAt) >= before - 1000, `destinationGoneAt ${st.destinationGoneAt}`);
  assert.ok(ready.message.includes(st.destinationGoneAt));
  assert.deepEqual(hits, ['/hooks'], 'one attempt: a 410 is not retried');
  await until('deadLettered 1 in status', async () => (await status()).deadLettered === 1);
  const events = await getJson(kube, ['-n', NS, 'events.events.k8s.io']);
  const gone = events?.items.filter((e: { reason: string; regarding: { name: string } }) => e.reason === 'DestinationGone' && e.regarding.name === SUB);
  assert.equal(gone.length, 1);
  assert.equal(gone[0].type, 'Warning');
  const wide = await must(kube, ['get', 'whsub', SUB, '-n', NS, '-o', 'wide']);
  assert.match(wide.split('\n')[1], /\bFalse\b.*\bDestinationGone\b/, wide);
});

test('a later successful delivery clears it: Ready=True, DestinationRecovered; destinationGoneAt stays as history', async () => {
  const goneAt = (await status()).destinationGoneAt as string;
  answer = 204;
  await post(2);
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=30s', '-n', NS, `whsub/${SUB}`]);
  const h = await healthIs('True', 'DestinationRecovered');
  const st = await status();
  assert.equal(st.destinationGoneAt, goneAt);
  assert.ok(Date.parse(st.lastDeliveryAt) > Date.parse(goneAt));
  assert.equal(h.message, `The destination accepted a delivery at ${st.lastDeliveryAt} after answering 410 Gone at ${goneAt}`);
  const events = await getJson(kube, ['-n', NS, 'events.events.k8s.io']);
  assert.ok(events?.items.some((e: { reason: string; type: string }) => e.reason === 'DestinationRecovered' && e.type === 'Normal'));
});

test('gone again, then spec.destination changed: DestinationChanged (Unknown), Ready=True while the new one is untried; its first delivery settles it', async () => {
  const recoveredGoneAt = (await status()).destinationGoneAt as string;
  answer = 410;
  await post(3);
  await readyReason(kube, NS, 'whsub', SUB, 'DestinationGone');
  assert.ok(Date.parse((await status()).destinationGoneAt) > Date.parse(recoveredGoneAt), 'the newer 410');
  await must(kube, ['patch', 'whsub', SUB, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { destination: { url: `${destUrl}/v2` } } })]);
  const h = await healthIs('Unknown', 'DestinationChanged');
  assert.match(h.message, new RegExp(`^The destination changed to ${destUrl}/v2 after the previous one answered 410 Gone at `));
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=30s', '-n', NS, `whsub/${SUB}`]);
  // The connector takes the new destination from its ConfigMap; its first delivery there settles it.
  await until('the connector applied the new config', async () => procs.log('connector').includes('config changed: applying'));
  answer = 204;
  await post(4);
  await healthIs('True', 'DestinationRecovered');
  assert.equal(hits.at(-1), '/v2');
});
