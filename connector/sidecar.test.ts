import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConnectorConfig } from '../shared/config/connector.ts';
import { narrowToSubscriptions, parseSubscriptionList } from './sidecar.ts';
import { sidecarConfigJson } from '../operator/injection/sidecar-config.ts';
import { sub } from '../operator/controllers/testing/fixtures.ts';

const all = ['orders', 'billing', 'audit'].map((name, i) => sub({ name, namespace: 'shop', spec: { destination: { sidecar: { port: 8080 + i } } } }));
const config = parseConnectorConfig(JSON.parse(sidecarConfigJson('http://receiver:8080', all)));

test('a sidecar serves only the Subscriptions its pod named', () => {
  const n = narrowToSubscriptions(config, parseSubscriptionList(' orders, billing ,orders'));
  assert.deepEqual(n.config.subscriptions.map((s) => s.name).sort(), ['billing', 'orders']);
  assert.deepEqual(n.missing, []);
  assert.equal(n.config.receiverUrl, 'http://receiver:8080');
  assert.equal(config.subscriptions.length, 3, 'the loaded config is not changed');
});

test('names the config does not list are reported, not invented', () => {
  const n = narrowToSubscriptions(config, ['orders', 'gone']);
  assert.deepEqual(n.config.subscriptions.map((s) => s.name), ['orders']);
  assert.deepEqual(n.missing, ['gone']);
  assert.deepEqual(narrowToSubscriptions(config, []).config.subscriptions, []);
});
