// `--namespaces a,b`: the operator watches and writes only there (plus the receiver's namespace).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import { getJson, must, startTestKube, startTestOperator, waitFor, type TestOperator } from '../../operator/testing/env.ts';

let kube: Kube;
let op: TestOperator;
before(async () => {
  kube = await startTestKube();
  op = await startTestOperator(kube, { namespaces: ['watched'] });
});
after(async () => { await op?.stop(); await kube?.stop(); });

const pair = (ns: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: ch, namespace: ${ns}}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: sub, namespace: ${ns}}
spec: {channelRef: {name: ch}, destination: {url: "http://x.example/"}}
`;

test('objects outside the watched namespaces are left alone', async () => {
  await must(kube, ['apply', '-f', '-'], pair('ignored'));
  await must(kube, ['apply', '-f', '-'], pair('watched'));
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=60s', '-n', 'watched', 'whc/ch', 'whsub/sub']);
  assert.equal((await getJson(kube, ['-n', 'ignored', 'whc', 'ch']))?.status, undefined);
  assert.equal((await getJson(kube, ['-n', 'ignored', 'whc', 'ch']))?.metadata.finalizers, undefined);
  assert.equal(await getJson(kube, ['-n', 'ignored', 'secret', 'sub-hookbridge-token']), undefined);
  const configs = await getJson(kube, ['-n', 'hookbridge-system', 'secret', '-l', 'hookbridge.io/receiver-config=true']);
  assert.deepEqual(configs?.items.map((s: { metadata: { name: string } }) => s.metadata.name), ['hookbridge-channel.watched.ch']);
});

test('without kube-controller-manager (no garbage collector) a deleted subscription\'s secrets are still removed', async () => {
  await must(kube, ['delete', 'whsub', 'sub', '-n', 'watched']);
  await waitFor('token and signing secrets gone', async () => {
    const left = await must(kube, ['get', 'secret,deployment,configmap,serviceaccount', '-n', 'watched', '-l', 'app.kubernetes.io/managed-by=hookbridge-operator', '-o', 'name']);
    return left.trim() === '';
  });
});
