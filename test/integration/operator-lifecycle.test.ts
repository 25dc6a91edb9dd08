// The operator against a real kube-apiserver (+ kube-controller-manager for garbage collection):
// kubectl apply a channel and a subscription → everything the data plane needs, Ready with columns.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import type { ChannelConfig, ConnectorConfig } from '../../shared/config.ts';
import { hashToken } from '../../shared/tokens.ts';
import { decode, getJson, must, PUBLIC_URL, RECEIVER_NS, startTestKube, startTestOperator, waitFor, type TestOperator } from '../../operator/testing/env.ts';

let kube: Kube;
let op: TestOperator;

before(async () => {
  kube = await startTestKube({ controllerManager: true });
  op = await startTestOperator(kube);
});
after(async () => {
  await op?.stop();
  await kube?.stop();
});

const example = (ns: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: payments, namespace: ${ns}}
spec:
  eventType: {jsonPointer: /type}
  tokenRotation: {interval: 720h, gracePeriod: 1h}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: sink, namespace: ${ns}}
spec:
  channelRef: {name: payments}
  eventTypes: ["invoice.*"]
  destination: {service: {name: sink, port: 8080, path: /hooks}}
`;

test('kubectl apply channel + subscription → token, receiver config, connector; Ready with printer columns', async () => {
  const ns = 'team-a';
  await must(kube, ['apply', '-f', '-'], example(ns));
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=60s', '-n', ns, 'whc/payments', 'whsub/sink']);

  const tokenSecret = await getJson(kube, ['-n', ns, 'secret', 'sink-hookbridge-token']);
  const token = decode(tokenSecret?.data.token);
  assert.match(token, /^hbt_[A-Za-z0-9_-]{43,}$/);
  assert.equal(tokenSecret?.metadata.ownerReferences[0].kind, 'Subscription');

  const configs = await getJson(kube, ['-n', RECEIVER_NS, 'secret', '-l', 'hookbridge.io/receiver-config=true']);
  assert.equal(configs?.items.length, 1);
  const channel = JSON.parse(decode(configs?.items[0].data['channel.json'])) as ChannelConfig;
  assert.equal(channel.name, 'payments');
  assert.equal(channel.maxQueueSize, 10000);
  assert.deepEqual(channel.eventType, { jsonPointer: '/type' });
  assert.deepEqual(channel.subscriptions.map((s) => [s.namespace, s.name, s.eventTypes]), [[ns, 'sink', ['invoice.*']]]);
  assert.deepEqual(channel.subscriptions[0].tokens, [{ sha256: hashToken(token) }], 'the receiver gets the hash, never the token');
  assert.ok(!decode(configs?.items[0].data['channel.json']).includes(token));

  const cm = await getJson(kube, ['-n', ns, 'configmap', 'hookbridge-connector']);
  const cfg = JSON.parse(cm?.data['config.json']) as ConnectorConfig;
  assert.equal(cfg.subscriptions[0].destination.url, `http://sink.${ns}.svc:8080/hooks`);
  assert.equal(cfg.subscriptions[0].tokenFile, 'secrets/sink-hookbridge-token/token');
  const dep = await getJson(kube, ['-n', ns, 'deployment', 'hookbridge-connector']);
  const pod = dep?.spec.template.spec;
  assert.equal(pod.containers[0].image, 'hookbridge:test');
  const projected = pod.volumes.find((v: { name: string }) => v.name === 'secrets').projected.sources.map((s: { secret: { name: string } }) => s.secret.name).sort();
  assert.deepEqual(projected, ['sink-hookbridge-signing', 'sink-hookbridge-token']);
  assert.ok(await getJson(kube, ['-n', ns, 'serviceaccount', 'hookbridge-connector']));
  const signing = await getJson(kube, ['-n', ns, 'secret', 'sink-hookbridge-signing']);
  assert.match(decode(signing?.data.secret), /^whsec_/);

  const whc = await getJson(kube, ['-n', ns, 'whc', 'payments']);
  assert.equal(whc?.status.url, `${PUBLIC_URL}/webhook/${ns}/payments`);
  assert.equal(whc?.status.subscriptions, 1);
  assert.equal(whc?.status.observedGeneration, whc?.metadata.generation);
  assert.ok(whc?.metadata.finalizers.includes('hookbridge.io/cleanup'));
  assert.ok(whc?.status.nextTokenRotationAt > whc?.status.tokenRotatedAt);
  const sub = await getJson(kube, ['-n', ns, 'whsub', 'sink']);
  assert.deepEqual(sub?.status.tokenSecretRef, { name: 'sink-hookbridge-token', key: 'token' });
  assert.equal(sub?.status.connector, 'hookbridge-connector');
  const conds = Object.fromEntries(sub?.status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]));
  assert.deepEqual(conds, { Ready: 'True', ChannelBound: 'True', SecretsReady: 'True', ConnectorReady: 'True' });

  const table = await must(kube, ['get', 'whc,whsub', '-n', ns]);
  assert.match(table, /NAME\s+READY\s+URL\s+SUBSCRIPTIONS\s+CONNECTED\s+BACKLOG\s+DLQ\s+AGE/);
  assert.match(table, new RegExp(`webhookchannel.hookbridge.io/payments\\s+True\\s+${PUBLIC_URL}/webhook/${ns}/payments\\s+1`));
  assert.match(table, /NAME\s+READY\s+CHANNEL\s+DESTINATION\s+BACKLOG\s+DLQ\s+AGE/);
  assert.match(table, new RegExp(`subscription.hookbridge.io/sink\\s+True\\s+payments\\s+http://sink.${ns}.svc:8080/hooks`));
  assert.ok(!op.logs.join('').includes(token), 'the token never reaches a log line');
});
