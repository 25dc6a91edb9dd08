import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainPod } from './explain.ts';

const pod = (annotations: Record<string, string>) => ({ metadata: { name: 'api-1', namespace: 'shop', annotations } });

test('a pod that did not ask, or got every sidecar it asked for, needs no explanation', () => {
  assert.deepEqual(explainPod(pod({})), []);
  assert.deepEqual(explainPod(pod({ 'hookbridge.io/inject': ' , ' })), []);
  assert.deepEqual(explainPod(pod({ 'hookbridge.io/inject': 'orders,refunds', 'hookbridge.io/injected': 'orders,refunds' })), []);
});

test('each Subscription the webhook skipped gets a SidecarSkipped with its reason; one it never heard of a SidecarMissing', () => {
  const out = explainPod(pod({
    'hookbridge.io/inject': 'orders,ordrs,other/x,refunds',
    'hookbridge.io/injected': 'orders',
    'hookbridge.io/inject-skipped': 'ordrs: UnknownSubscription, other/x: OtherNamespace',
  }));
  assert.deepEqual(out.map((e) => [e.reason, e.subscription]), [['SidecarSkipped', 'ordrs'], ['SidecarSkipped', 'other/x'], ['SidecarMissing', 'refunds']]);
  assert.match(out[0].note, /ordrs: UnknownSubscription: no Subscription of that name/);
  assert.match(out[2].note, /webhook did not answer/);
});

test('a pod the webhook never saw (down, failurePolicy Ignore): every name is missing', () => {
  const out = explainPod(pod({ 'hookbridge.io/inject': 'orders, refunds' }));
  assert.deepEqual(out.map((e) => `${e.reason} ${e.subscription}`), ['SidecarMissing orders', 'SidecarMissing refunds']);
});
