// Status is summed over every receiver pod (issue 8): with two receivers — real processes' code on real
// RabbitMQ, configured from the real apiserver — a connector stream on each, deliveries acked on one and a
// 410 on the other, the channel shows CONNECTED 2 and the whole backlog, the Subscription the delivery
// and DestinationGone. The operator finds the pods through the receiver Service's EndpointSlice, read from
// the real apiserver. The apiserver refuses loopback endpoint addresses (checked below), so the slice
// lists pod-like addresses and the operator's stats client routes each to its loopback receiver: the one
// thing a kubelet-less apiserver cannot give (routing to pods) is what the real-node tier covers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import type { Kube } from '../harness/kube.ts';
import { startRabbit, type Rabbit } from '../harness/rabbitmq.ts';
import { freePorts } from '../harness/ports.ts';
import { createLogger } from '../../shared/logger.ts';
import { createRegistry } from '../../shared/metrics.ts';
import { RabbitBuffer } from '../../receiver/buffer/rabbitmq/index.ts';
import { KubeConfigSource } from '../../receiver/config/kube.ts';
import { startReceiver, type RunningReceiver } from '../../receiver/server.ts';
import { post, StreamClient } from '../../receiver/test-support.ts';
import { condition, decode, getJson, must, RECEIVER_NS, startTestKube, startTestOperator, waitFor, type TestOperator } from '../harness/operator-env.ts';
import { applyChannelAndSubscription } from '../harness/operator-apply.ts';

const NS = 'team-pods';
const SERVICE = 'hookbridge-receiver';
const POD_IPS = ['10.244.0.10', '10.244.0.11'];

let kube: Kube;
let rabbit: Rabbit;
let op: TestOperator;
let tmp: string;
const receivers: { rx: RunningReceiver; buffer: RabbitBuffer; source: KubeConfigSource }[] = [];
const streams: StreamClient[] = [];
/** Which pod addresses the operator asked (through the routing below). */
const asked = new Set<string>();

const slice = (ready: boolean[], addresses = POD_IPS) => stringify({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: { name: `${SERVICE}-abcde`, namespace: RECEIVER_NS, labels: { 'kubernetes.io/service-name': SERVICE } },
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: addresses.map((ip, i) => ({ addresses: [ip], conditions: { ready: ready[i] } })),
});

before(async () => {
  [kube, rabbit] = await Promise.all([startTestKube(), startRabbit()]);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-rx-pods-'));
  const adminToken = randomBytes(24).toString('hex');
  fs.writeFileSync(path.join(tmp, 'admin-token'), adminToken, { mode: 0o600 });
  const logger = createLogger({ name: 'rx', level: 'silent' });
  const ports = await freePorts(2);
  for (const port of ports) {
    const buffer = new RabbitBuffer({ url: rabbit.url, logger });
    const rx = await startReceiver({ buffer, port, host: '127.0.0.1', adminToken, logger, registry: createRegistry({ defaults: false }), heartbeatMs: 1000 });
    const source = new KubeConfigSource({ namespace: RECEIVER_NS, kubeconfig: kube.kubeconfigPath, apply: rx.applyConfig, logger, debounceMs: 20 });
    await source.start();
    receivers.push({ rx, buffer, source });
  }
  await must(kube, ['apply', '-f', '-'], stringify({
    apiVersion: 'v1', kind: 'Service', metadata: { name: SERVICE, namespace: RECEIVER_NS },
    spec: { ports: [{ name: 'http', port: 8080, targetPort: 'http' }], selector: { app: 'receiver' } },
  }));
  await must(kube, ['apply', '-f', '-'], slice([true, true]));
  // Pod address → the loopback receiver standing for that pod.
  const route = new Map(POD_IPS.map((ip, i) => [`${ip}:8080`, receivers[i].rx.url]));
  const statsFetch = ((url: string | URL, init?: RequestInit) => {
    const u = new URL(String(url));
    asked.add(u.host);
    const to = route.get(u.host);
    if (!to) return Promise.reject(new TypeError(`no route to ${u.host}`));
    return fetch(`${to}${u.pathname}${u.search}`, init);
  }) as typeof fetch;
  op = await startTestOperator(kube, {
    receiverUrl: `http://${SERVICE}.${RECEIVER_NS}.svc:8080`, receiverService: SERVICE,
    receiverAdminTokenFile: path.join(tmp, 'admin-token'), statsIntervalMs: 200, statsFetch,
  });
});

after(async () => {
  for (const s of streams) s.close();
  await op?.stop();
  for (const r of receivers) { await r.source.stop(); await r.rx.close(); await r.buffer.close(); }
  await Promise.all([kube?.stop(), rabbit?.dispose()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const channelStatus = async () => (await getJson(kube, ['-n', NS, 'whc', 'orders']))?.status ?? {};
const subStatus = async () => (await getJson(kube, ['-n', NS, 'whsub', 'sink']))?.status ?? {};

test('the apiserver refuses loopback addresses in an EndpointSlice (why the pods are routed here)', async () => {
  const r = await kube.kubectl(['apply', '--dry-run=server', '-f', '-'], slice([true], ['127.0.0.1']));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /loopback/);
});

test('CONNECTED, backlog, lastDeliveryAt and DestinationGone count every receiver pod', async () => {
  await applyChannelAndSubscription(kube, { ns: NS, channel: 'orders', subscription: 'sink' });
  const token = decode(await waitFor('token', async () => (await getJson(kube, ['-n', NS, 'secret', 'sink-hookbridge-token']))?.data?.token));
  for (const { rx } of receivers) {
    await waitFor('channel loaded by every receiver', async () => (await post(rx.url, `/webhook/${NS}/nowhere`, '')).status === 404
      && (await fetch(`${rx.url}/admin/webhook-connect/channels/${NS}/orders`, { headers: { authorization: `Bearer ${fs.readFileSync(path.join(tmp, 'admin-token'), 'utf8')}` } })).ok);
  }
  // One connector stream on each receiver, one message in flight on each.
  for (const { rx } of receivers) {
    const s = new StreamClient(`${rx.url.replace('http', 'ws')}/connect/stream/${NS}/orders?window=1`, token);
    streams.push(s);
    await s.until((c) => c.frames.some((f) => f.type === 'hello'));
  }
  await waitFor('CONNECTED 2', async () => (await channelStatus()).connectedConnectors === 2);
  assert.deepEqual([...asked].sort(), POD_IPS.map((ip) => `${ip}:8080`), 'every ready pod is asked, not the Service');

  for (let i = 0; i < 5; i++) assert.equal((await post(receivers[0].rx.url, `/webhook/${NS}/orders`, `{"n":${i}}`)).status, 202);
  const [a, b] = streams;
  await a.until((c) => c.messages().length === 1);
  await b.until((c) => c.messages().length === 1);
  // Held by the two receivers (in flight and read ahead) plus whatever the broker still has: all five.
  await waitFor('backlog 5', async () => (await channelStatus()).backlog === 5);

  // A delivery acked through the second receiver, then a 410 through the first.
  b.send({ type: 'ack', id: b.messages()[0].id, result: { statusCode: 200, latencyMs: 3 } });
  const delivered = await waitFor('lastDeliveryAt from the second receiver', async () => (await subStatus()).lastDeliveryAt as string | undefined);
  assert.ok(Date.parse(delivered) > 0);
  a.send({ type: 'nack', id: a.messages()[0].id, action: 'dead', reason: 'gone: 410 Gone', result: { statusCode: 410, latencyMs: 2 } });
  await waitFor('DestinationGone from the first receiver', async () => (await condition(kube, NS, 'whsub', 'sink', 'DestinationHealthy'))?.reason === 'DestinationGone');
  await waitFor('backlog 3, one dead letter', async () => { const s = await channelStatus(); return s.backlog === 3 && s.deadLettered === 1; });

  // The second pod stops being ready: only the first is counted.
  await must(kube, ['apply', '-f', '-'], slice([true, false]));
  await waitFor('CONNECTED 1', async () => (await channelStatus()).connectedConnectors === 1);
});
