import assert from 'node:assert/strict';
import { test } from 'node:test';
import { condFalse, condTrue, condUnknown, mergeConditions, rollup } from './conditions.ts';
import { deepEqual, isSubset, needsApply } from './compare.ts';

const t0 = new Date('2030-01-01T00:00:00Z');
const t1 = new Date('2030-01-01T01:00:00Z');

test('lastTransitionTime is kept while status stays, and moves when status changes', () => {
  const first = mergeConditions(undefined, [condTrue('A', 'Ok'), condFalse('Ready', 'Nope', 'x')], 1, t0);
  assert.equal(first[0].type, 'Ready', 'Ready first');
  const second = mergeConditions(first, [condTrue('A', 'StillOk', 'new message'), condTrue('Ready', 'Ready')], 2, t1);
  const a = second.find((c) => c.type === 'A');
  const ready = second.find((c) => c.type === 'Ready');
  assert.equal(a?.lastTransitionTime, '2030-01-01T00:00:00Z');
  assert.equal(a?.reason, 'StillOk');
  assert.equal(a?.observedGeneration, 2);
  assert.equal(ready?.lastTransitionTime, '2030-01-01T01:00:00Z');
  assert.ok(deepEqual(mergeConditions(second, [condTrue('A', 'StillOk', 'new message'), condTrue('Ready', 'Ready')], 2, new Date()), second),
    'recomputing the same state yields an equal list (no status write)');
});

test('Ready rolls up: first False wins, Unknown next, informational Unknown ignored', () => {
  assert.deepEqual(rollup([condTrue('A', 'Ok'), condFalse('B', 'Broken', 'fix b'), condFalse('C', 'Other', 'c')], 'Ready', 'ok'),
    { type: 'Ready', status: 'False', reason: 'Broken', message: 'fix b' });
  assert.equal(rollup([condTrue('A', 'Ok'), condUnknown('B', 'Waiting', 'w')], 'Ready', 'ok').status, 'Unknown');
  assert.equal(rollup([condTrue('A', 'Ok'), condUnknown('B', 'Waiting', 'w')], 'Ready', 'ok', ['B']).status, 'True');
});

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
