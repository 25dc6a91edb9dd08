import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAddresses } from '../../connector/delivery/guard.ts';
import { parseConnectorConfig } from '../../shared/config/connector.ts';
import { sub } from '../controllers/testing/fixtures.ts';
import { buildSidecarConfigMap, SIDECAR_ALLOWED_DESTINATIONS } from './sidecar-config.ts';
import { secretPaths } from './mutation.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const orders = sub({ name: 'orders', namespace: 'shop', spec: { destination: { sidecar: { port: 8080, path: '/hooks' } } } });
const billing = sub({ name: 'billing', namespace: 'shop', spec: { destination: { sidecar: { port: 3000 } } } });
const viaService = sub({ name: 'audit', namespace: 'shop', spec: { destination: { service: { name: 'audit' } } } });

test('the sidecar ConfigMap lists the sidecar Subscriptions only, delivering to localhost, in a config the connector accepts', () => {
  const cm = buildSidecarConfigMap('shop', [orders, viaService, billing], 'http://hookbridge-receiver.hookbridge.svc:8080') as Any;
  assert.equal(cm.metadata.name, 'hookbridge-sidecar');
  assert.equal(cm.metadata.labels['app.kubernetes.io/managed-by'], 'hookbridge-operator');
  assert.equal(cm.metadata.labels['app.kubernetes.io/component'], 'connector', 'the chart\'s write policy admits it under this component');
  const cfg = parseConnectorConfig(JSON.parse(cm.data['config.json']));
  assert.deepEqual(cfg.subscriptions.map((s) => [s.name, s.destination.url]), [['billing', 'http://localhost:3000/'], ['orders', 'http://localhost:8080/hooks']]);
  assert.deepEqual(cfg.allowedDestinations, SIDECAR_ALLOWED_DESTINATIONS);
  assert.deepEqual(cfg.subscriptions.find((s) => s.name === 'orders')?.tokenFile, secretPaths(orders)[0], 'the token path the injected volume provides');
  assert.deepEqual(cm.metadata.ownerReferences.map((r: Any) => r.name), ['billing', 'orders']);
});

test('the sidecar allowlist admits the pod\'s loopback and nothing else outside the namespace', () => {
  const o = { namespace: 'shop', allowed: SIDECAR_ALLOWED_DESTINATIONS, allowLoopback: true };
  assert.equal(checkAddresses('localhost', ['127.0.0.1'], o).ok, true);
  assert.equal(checkAddresses('localhost', ['::1'], o).ok, true);
  assert.equal(checkAddresses('api.example.com', ['93.184.216.34'], o).ok, false);
  assert.equal(checkAddresses('10.1.2.3', ['10.1.2.3'], o).ok, false);
});
