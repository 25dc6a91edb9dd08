import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectorReadiness } from './readiness.ts';

test('ready while any stream is connected or still making its first connection', () => {
  assert.deepEqual(connectorReadiness(['connecting']), [], 'first connection: a rollout is not held up');
  assert.deepEqual(connectorReadiness(['connected']), []);
  assert.deepEqual(connectorReadiness(['reconnecting', 'connected']), [], 'one stream suffices');
  assert.deepEqual(connectorReadiness(['reconnecting', 'connecting']), []);
});

test('not ready once every stream has lost its receiver', () => {
  assert.deepEqual(connectorReadiness(['reconnecting']), ['no stream connected: the stream is reconnecting']);
  assert.deepEqual(connectorReadiness(['reconnecting', 'reconnecting']), ['no stream connected: all 2 streams are reconnecting']);
});

test('no subscriptions is ready; shutting down is not', () => {
  assert.deepEqual(connectorReadiness([]), []);
  assert.deepEqual(connectorReadiness(['connected'], true), ['shutting down']);
});
