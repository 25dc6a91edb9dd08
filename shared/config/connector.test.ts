import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileConnector } from '../api/compile.ts';
import { Subscription } from '../api/v1alpha1.ts';
import { parseConnectorConfig } from './connector.ts';

const sub = (spec: Record<string, unknown>) => Subscription.parse({
  apiVersion: 'hookbridge.io/v1alpha1', kind: 'Subscription', metadata: { name: 'echo', namespace: 'demo' },
  spec: { channelRef: { name: 'github' }, destination: { url: 'http://echo.demo.svc/' }, ...spec },
});

test('what the operator compiles is what the connector accepts, unchanged: every enum value of the API', () => {
  for (const spec of [
    { signing: { scheme: 'hmac-sha256' }, transform: { format: 'zapier', includeMessageId: true } },
    { delivery: { ordering: 'perKey', keyFrom: { jsonPointer: '/id' } }, transform: { format: 'template', template: '{}' } },
    { transform: { format: 'convertkit' } }, { transform: { format: 'make' } }, {},
  ]) {
    const compiled = compileConnector('https://hooks.example.com', [sub(spec)], 'sse');
    assert.deepEqual(parseConnectorConfig(JSON.parse(JSON.stringify(compiled))), compiled, JSON.stringify(spec));
  }
});

test('transport defaults to websocket', () => {
  assert.equal(parseConnectorConfig({ receiverUrl: 'wss://hooks.example.com', subscriptions: [] }).transport, 'websocket');
});

test('every problem is named by its path', () => {
  const compiled = compileConnector('https://hooks.example.com', [sub({})]);
  const broken = { ...compiled, receiverUrl: 'ftp://x', subscriptions: [{ ...compiled.subscriptions[0], destination: { url: 'file:///etc/passwd' }, signing: { scheme: 'md5', secretFiles: [] } }] };
  assert.throws(() => parseConnectorConfig(broken), (err: Error) => {
    assert.match(err.message, /^invalid connector config: /);
    for (const path of ['receiverUrl', 'subscriptions.0.destination.url', 'subscriptions.0.signing.scheme']) assert.ok(err.message.includes(`${path}:`), path);
    return true;
  });
});
