// Standalone manifests → ReceiverConfig: the same compile as the operator, tokens from Secrets or minted
// once, problems reported per object, and the file source re-applying on change.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ReceiverConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { hashToken } from '../../shared/tokens.ts';
import { eventually } from '../test-support.ts';
import { ManifestSource } from './file-source.ts';
import { parseManifests } from '../../shared/api/manifests.ts';
import { compileManifests } from './manifests.ts';

const GOOD = `
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: orders, namespace: shop}
spec:
  maxQueueSize: 50
  eventType: {jsonPointer: /type}
  verify: {provider: github, secretRef: {name: gh}}
---
apiVersion: v1
kind: Secret
metadata: {name: gh, namespace: shop}
stringData: {secret: github-webhook-secret}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: sink, namespace: shop}
spec:
  channelRef: {name: orders}
  eventTypes: ["invoice.*"]
  destination: {url: "http://sink.local/hook"}
  delivery: {retry: {schedule: [1s, 1m]}}
---
apiVersion: v1
kind: Secret
metadata: {name: sink-hookbridge-token, namespace: shop}
data: {token: ${Buffer.from('hbt_from-the-secret').toString('base64')}}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: audit, namespace: shop}
spec:
  channelRef: {name: orders}
  destination: {service: {name: audit, port: 8080}}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: outsider, namespace: elsewhere}
spec:
  channelRef: {name: orders, namespace: shop}
  destination: {url: "http://x.local/"}
---
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: lost, namespace: shop}
spec:
  channelRef: {name: missing}
  destination: {url: "http://x.local/"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ignored}
`;

test('compiles channels with defaults, verify secrets, globs, retry schedules and token hashes', () => {
  const minted = new Map<string, string>();
  const out = compileManifests(parseManifests([{ path: 'shop.yaml', text: GOOD }]), minted);
  assert.equal(out.config.channels.length, 1);
  const ch = out.config.channels[0];
  assert.deepEqual([ch.namespace, ch.name, ch.maxQueueSize, ch.ackTimeoutSeconds, ch.deletionPolicy], ['shop', 'orders', 50, 30, 'Delete']);
  assert.deepEqual(ch.eventType, { jsonPointer: '/type' });
  assert.deepEqual(ch.verify, { provider: 'github', secrets: ['github-webhook-secret'], toleranceSeconds: 300 });
  assert.deepEqual(ch.subscriptions.map((s) => [s.name, s.eventTypes, s.retryScheduleMs]), [['audit', [], [5000, 25000, 125000, 625000]], ['sink', ['invoice.*'], [1000, 60000]]]);
  const sink = ch.subscriptions.find((s) => s.name === 'sink');
  assert.deepEqual(sink?.tokens, [{ sha256: hashToken('hbt_from-the-secret') }]);
  const tokens = Object.fromEntries(out.tokens.map((t) => [t.subscription.name, t]));
  assert.equal(tokens.sink.minted, false);
  assert.equal(tokens.audit.minted, true);
  assert.match(tokens.audit.token, /^hbt_[A-Za-z0-9_-]{43}$/);
  assert.equal(tokens.audit.destination, 'http://audit.shop.svc:8080/');
  assert.deepEqual(out.problems.sort(), ['Subscription elsewhere/outsider: NamespaceNotAllowed on channel shop/orders', 'Subscription shop/lost: ChannelNotFound (shop/missing)']);
  const again = compileManifests(parseManifests([{ path: 'shop.yaml', text: GOOD }]), minted);
  assert.equal(again.tokens.find((t) => t.subscription.name === 'audit')?.token, tokens.audit.token, 'a re-read keeps minted tokens');
});

test('a missing verify secret fails closed and is reported', () => {
  const text = GOOD.replace('metadata: {name: gh, namespace: shop}', 'metadata: {name: other, namespace: shop}');
  const out = compileManifests(parseManifests([{ path: 'x.yaml', text }]), new Map());
  assert.deepEqual(out.config.channels[0].verify?.secrets, []);
  assert.ok(out.problems.some((p) => p.includes('verify secret gh/secret not found')));
});

test('a standard-webhooks verify secret that is not base64 is reported (it can verify nothing)', () => {
  const text = GOOD.replace('provider: github', 'provider: standard-webhooks');
  const out = compileManifests(parseManifests([{ path: 'x.yaml', text }]), new Map());
  assert.ok(out.problems.some((p) => /verify secret gh\/secret: signing secret is not base64/.test(p) && !p.includes('github-webhook-secret')), out.problems.join('\n'));
});

test('the file source applies at start, reports each minted token once, re-applies on change and keeps the config on a broken edit', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-manifests-'));
  const logger = createLogger({ name: 't', level: 'silent' });
  try {
    fs.writeFileSync(path.join(dir, 'shop.yaml'), GOOD);
    const applied: ReceiverConfig[] = [];
    const minted: string[] = [];
    const src = new ManifestSource({ paths: [dir], logger, debounceMs: 20, apply: async (c) => { applied.push(c); }, onMinted: (t) => minted.push(t.subscription.name) });
    await src.start();
    assert.deepEqual(minted, ['audit']);
    fs.writeFileSync(path.join(dir, 'shop.yaml'), GOOD.replace('maxQueueSize: 50', 'maxQueueSize: 77'));
    await eventually(() => applied.length >= 2);
    assert.equal(applied.at(-1)?.channels[0].maxQueueSize, 77);
    fs.writeFileSync(path.join(dir, 'shop.yaml'), 'kind: [');
    const before = applied.length;
    await src.reload();
    assert.equal(applied.length, before, 'a broken edit is not applied');
    fs.writeFileSync(path.join(dir, 'more.yml'), GOOD.replace('maxQueueSize: 50', 'maxQueueSize: 88').replaceAll('orders', 'refunds').replace(/name: sink-hookbridge-token/, 'name: unused'));
    fs.rmSync(path.join(dir, 'shop.yaml'));
    await eventually(() => applied.at(-1)?.channels[0]?.name === 'refunds');
    assert.deepEqual(minted.sort(), ['audit', 'sink'], 'a token minted for a new subscription is reported once');
    src.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
