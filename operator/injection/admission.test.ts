import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Subscription } from '../../shared/api/v1alpha1.ts';
import { sub } from '../controllers/testing/fixtures.ts';
import { BadReview, review, type AdmissionReview } from './admission.ts';
import { applyJsonPatch } from './json-patch.ts';
import { INJECT_ANNOTATION, SIDECAR_CONTAINER, type JsonPatchOp } from './mutation.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const orders: Subscription = {
  ...sub({ name: 'orders', namespace: 'shop', spec: { destination: { sidecar: { port: 8080 } } } }),
  status: { conditions: [{ type: 'ChannelBound', status: 'True' }, { type: 'SecretsReady', status: 'True' }] },
};
const asked: string[] = [];
const ctx = { image: 'hookbridge:test', subscriptionsIn: (ns: string) => { asked.push(ns); return ns === 'shop' ? [orders] : []; } };

const pod = (inject?: string): Any => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { generateName: 'web-', ...(inject ? { annotations: { [INJECT_ANNOTATION]: inject } } : {}) },
  spec: { containers: [{ name: 'app', image: 'app:1' }] },
});
const req = (object: unknown, o: Record<string, unknown> = {}): AdmissionReview => ({
  apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
  request: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'shop', operation: 'CREATE', object, ...o },
});

test('a pod that asked: uid echoed, allowed, JSONPatch base64 that applies to the pod', () => {
  const p = pod('orders');
  const { review: out } = review(req(p), ctx);
  assert.equal(out.apiVersion, 'admission.k8s.io/v1');
  assert.equal(out.kind, 'AdmissionReview');
  assert.equal(out.response?.uid, '705ab4f5-6393-11e8-b7cc-42010a800002');
  assert.equal(out.response?.allowed, true);
  assert.equal(out.response?.patchType, 'JSONPatch');
  const ops = JSON.parse(Buffer.from(out.response?.patch ?? '', 'base64').toString()) as JsonPatchOp[];
  const patched = applyJsonPatch(p, ops);
  assert.equal(patched.spec.initContainers[0].name, SIDECAR_CONTAINER);
  assert.equal(out.response?.warnings, undefined);
  assert.equal(out.request, undefined, 'the request is not echoed back');
});

test('the namespace comes from the request (a pod being created often has none)', () => {
  asked.length = 0;
  review(req(pod('orders')), ctx);
  assert.deepEqual(asked, ['shop']);
  const { review: out } = review(req(pod('orders'), { namespace: 'other' }), ctx);
  assert.equal(out.response?.patchType, 'JSONPatch', 'annotations are still written');
  assert.match(out.response?.warnings?.[0] ?? '', /orders: UnknownSubscription/);
});

test('skipped: allowed with a warning per Subscription, never denied', () => {
  const { review: out, result } = review(req(pod('orders,ghost')), ctx);
  assert.equal(out.response?.allowed, true);
  assert.deepEqual(result?.injected, ['orders']);
  assert.equal(out.response?.warnings?.length, 1);
  assert.match(out.response?.warnings?.[0] ?? '', /^hookbridge: ghost: UnknownSubscription: /);
  const long = review(req(pod(`${'x'.repeat(300)}`)), ctx).review;
  assert.ok((long.response?.warnings?.[0].length ?? 0) <= 250, 'warnings stay under the apiserver\'s 256-character cap');
});

test('pods that did not ask, other operations, other resources: allowed, no patch', () => {
  for (const r of [
    req(pod()),
    req(pod('orders'), { operation: 'UPDATE' }),
    req(pod('orders'), { resource: { group: '', version: 'v1', resource: 'pods' }, subResource: 'ephemeralcontainers' }),
    req({ kind: 'Deployment' }, { resource: { group: 'apps', version: 'v1', resource: 'deployments' } }),
  ]) {
    const out = review(r, ctx).review;
    assert.equal(out.response?.allowed, true);
    assert.equal(out.response?.patch, undefined);
    assert.equal(out.response?.patchType, undefined);
  }
});

test('a malformed pod is admitted unchanged with a warning; a body without uid is a BadReview', () => {
  const out = review(req({ metadata: { annotations: { [INJECT_ANNOTATION]: 'orders' } }, spec: { containers: 'not a list' } }), ctx).review;
  assert.equal(out.response?.allowed, true);
  assert.equal(out.response?.patch, undefined);
  assert.match(out.response?.warnings?.[0] ?? '', /not injected/);
  assert.throws(() => review({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: {} }, ctx), BadReview);
  assert.throws(() => review({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1beta1', request: { uid: 'u' } }, ctx), BadReview);
  assert.throws(() => review(null, ctx), BadReview);
});
