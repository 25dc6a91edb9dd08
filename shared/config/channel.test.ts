import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileChannel } from '../api/compile.ts';
import { WebhookChannel, Subscription } from '../api/v1alpha1.ts';
import { parseChannelConfig } from './channel.ts';

const channel = WebhookChannel.parse({
  apiVersion: 'hookbridge.io/v1alpha1', kind: 'WebhookChannel', metadata: { name: 'github', namespace: 'demo' },
  spec: { eventType: { header: 'X-GitHub-Event' }, verify: { provider: 'github', secretRef: { name: 'gh' } }, deletionPolicy: 'Retain' },
});
const sub = Subscription.parse({
  apiVersion: 'hookbridge.io/v1alpha1', kind: 'Subscription', metadata: { name: 'echo', namespace: 'demo' },
  spec: { channelRef: { name: 'github' }, eventTypes: ['push'], destination: { url: 'http://echo.demo.svc/' } },
});

test('what the operator compiles is what the receiver accepts, unchanged', () => {
  const compiled = compileChannel(channel, [{ subscription: sub, tokens: [{ sha256: 'a'.repeat(64) }] }], ['s3cret']);
  const r = parseChannelConfig(JSON.stringify(compiled));
  assert.ok(r.ok);
  assert.deepEqual(r.config, compiled);
});

test('defaults fill what an older operator left out', () => {
  const r = parseChannelConfig(JSON.stringify({
    namespace: 'demo', name: 'github', maxQueueSize: 10, ttlSeconds: 60, ackTimeoutSeconds: 30, maxConnections: 1, maxPayloadBytes: 1024, deliveryLimit: 3,
    verify: { provider: 'stripe', secrets: ['x'] },
  }));
  assert.ok(r.ok);
  assert.equal(r.config.deletionPolicy, 'Delete');
  assert.deepEqual(r.config.subscriptions, []);
  assert.equal(r.config.verify?.toleranceSeconds, 300);
});

test('a malformed channel is refused with a reason, not thrown', () => {
  assert.match((parseChannelConfig('{') as { error: string }).error, /^not JSON/);
  const bad = parseChannelConfig(JSON.stringify({ namespace: 'demo', name: 'github', maxQueueSize: 0 }));
  assert.equal(bad.ok, false);
  assert.match((bad as { error: string }).error, /maxQueueSize/);
  const badPolicy = parseChannelConfig(JSON.stringify({
    namespace: 'demo', name: 'github', maxQueueSize: 10, ttlSeconds: 60, ackTimeoutSeconds: 30, maxConnections: 1, maxPayloadBytes: 1024, deliveryLimit: 3, deletionPolicy: 'Orphan',
  }));
  assert.equal(badPolicy.ok, false, 'deletionPolicy is the API\'s enum');
});
