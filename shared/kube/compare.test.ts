import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSubset, needsApply } from './compare.ts';

test('isSubset ignores server defaults and foreign owners, but not changed or missing list members', () => {
  const live = { metadata: { labels: { a: '1', other: 'x' }, ownerReferences: [{ uid: 'u2' }, { uid: 'u1', kind: 'S' }] }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } };
  assert.ok(isSubset({ metadata: { labels: { a: '1' }, ownerReferences: [{ uid: 'u1' }] }, spec: { ports: [{ port: 80 }] } }, live));
  assert.ok(!isSubset({ metadata: { labels: { a: '2' } } }, live));
  assert.ok(!isSubset({ spec: { ports: [{ port: 80 }, { port: 81 }] } }, live));
  assert.ok(!isSubset({ metadata: { ownerReferences: [{ uid: 'u3' }] } }, live));
  assert.ok(needsApply(undefined, {}));
  assert.ok(!needsApply(live, { spec: {} }));
  assert.ok(!needsApply(live, { apiVersion: 'v1', kind: 'Secret', spec: {} }), 'LIST items carry no apiVersion/kind');
});
