import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sub } from '../controllers/testing/fixtures.ts';
import { applyJsonPatch } from './json-patch.ts';
import { buildInjection, INJECT_ANNOTATION, SIDECAR_CONTAINER, type PodLike } from './mutation.ts';
import { countSidecars, sidecarReady, skippedOf, unexplained, type PodStatusLike } from './status.ts';

const ready = { conditions: [{ type: 'ChannelBound', status: 'True' }, { type: 'SecretsReady', status: 'True' }] };
const subs = ['orders', 'billing'].map((name) => ({ ...sub({ name, namespace: 'shop', spec: { destination: { sidecar: { port: 8080 } } } }), status: ready }));

/** A pod as the webhook leaves it, then as the kubelet reports it. */
function pod(name: string, inject: string, o: { running?: boolean; sidecarReady?: boolean; deleting?: boolean } = {}): PodStatusLike {
  const p: PodLike = { metadata: { name, annotations: { [INJECT_ANNOTATION]: inject } }, spec: { containers: [{ name: 'app' }] } };
  const injected = applyJsonPatch(p, buildInjection({ pod: p, namespace: 'shop', subscriptions: subs, image: 'i' }).patch) as PodStatusLike;
  return {
    metadata: { ...injected.metadata, name, ...(o.deleting ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) },
    status: { phase: o.running === false ? 'Pending' : 'Running', initContainerStatuses: [{ name: SIDECAR_CONTAINER, ready: o.sidecarReady ?? true, started: true }] },
  };
}

test('status.sidecars counts pods whose sidecar is running and ready, per Subscription', () => {
  const pods = [
    pod('a', 'orders,billing'), pod('b', 'orders'), pod('c', 'orders', { sidecarReady: false }),
    pod('d', 'orders', { running: false }), pod('e', 'billing', { deleting: true }), pod('f', 'ghost'),
  ];
  assert.deepEqual(Object.fromEntries(countSidecars(pods)), { orders: 2, billing: 1 });
  assert.equal(sidecarReady(pods[0]), true);
  assert.equal(sidecarReady({ metadata: { name: 'x' }, status: { phase: 'Running', initContainerStatuses: [] } }), false, 'no sidecar, not counted');
});

test('skipped names are read back from the pod; what neither served nor skipped is unexplained (webhook not called)', () => {
  assert.deepEqual(skippedOf(pod('f', 'ghost,orders')), [{ subscription: 'ghost', reason: 'UnknownSubscription' }]);
  assert.deepEqual(unexplained(pod('f', 'ghost,orders')), []);
  const notCalled: PodStatusLike = { metadata: { name: 'g', annotations: { [INJECT_ANNOTATION]: 'orders, billing' } } };
  assert.deepEqual(unexplained(notCalled), ['orders', 'billing']);
  assert.deepEqual(skippedOf({ metadata: { name: 'h', annotations: { 'hookbridge.io/inject-skipped': 'x: Bogus, other/y: OtherNamespace' } } }), [{ subscription: 'other/y', reason: 'OtherNamespace' }]);
});
