import assert from 'node:assert/strict';
import { test } from 'node:test';
import { condFalse, condTrue, condUnknown, mergeConditions, rollup } from './conditions.ts';
import { deepEqual } from '../../shared/kube/compare.ts';

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
