import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { UsageError } from '../shared/process/flags.ts';
import { run } from './listen.ts';
import { formatJson, formatLine } from './listen-output.ts';
import { fromManifests, receiverBaseFromIngestUrl } from './listen-source.ts';

const at = new Date(2026, 11, 3, 9, 5, 7);

test('a terminal line: time, event type, id, status, latency, and what happens next', () => {
  assert.equal(formatLine({ id: 'm1', subscription: 'demo/echo', eventType: 'push', attempt: 1, outcome: 'success', status: 200, latencyMs: 12.4 }, at),
    `09:05:07  ${'push'.padEnd(20)} m1  → 200    12ms\n`);
  assert.equal(formatLine({ id: 'm2', subscription: 'demo/echo', attempt: 3, outcome: 'retry', status: 503, latencyMs: 8, delayMs: 25_000, reason: 'HTTP 503' }, at),
    `09:05:07  ${'-'.padEnd(20)} m2  → 503     8ms  attempt 3  retry in 25s: HTTP 503\n`);
  assert.match(formatLine({ id: 'm3', subscription: 'demo/echo', attempt: 1, outcome: 'dead', latencyMs: 0, reason: 'network error' }, at), /→ ERR .*dead: network error\n$/);
});

test('a JSON line per delivery when stdout is not a terminal', () => {
  const line = formatJson({ id: 'm2', subscription: 'demo/echo', attempt: 2, outcome: 'retry', status: 503, latencyMs: 8.6, delayMs: 5000, reason: 'HTTP 503' }, at);
  assert.ok(line.endsWith('}\n'));
  assert.deepEqual(JSON.parse(line), {
    time: at.toISOString(), id: 'm2', subscription: 'demo/echo', eventType: null, attempt: 2, outcome: 'retry', status: 503, latencyMs: 9, reason: 'HTTP 503', retryInMs: 5000,
  });
});

test('the receiver base URL comes from the channel\'s ingest URL', () => {
  assert.equal(receiverBaseFromIngestUrl('https://hooks.example.com/webhook/demo/github'), 'https://hooks.example.com');
  assert.equal(receiverBaseFromIngestUrl('https://example.com/relay/webhook/demo/github'), 'https://example.com/relay');
  assert.equal(receiverBaseFromIngestUrl('not a url'), undefined);
  assert.equal(receiverBaseFromIngestUrl(undefined), undefined);
});

test('--subscription with -f: token, signing secret, retry policy and transform from the manifests', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-listen-'));
  try {
    fs.writeFileSync(path.join(dir, 'all.yaml'), `
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: sink, namespace: shop}
spec:
  channelRef: {name: orders}
  destination: {url: "http://127.0.0.1:3000/hooks"}
  delivery: {retry: {maxAttempts: 2, schedule: [1s]}}
  transform: {format: make}
---
apiVersion: v1
kind: Secret
metadata: {name: sink-hookbridge-token, namespace: shop}
stringData: {token: hbt_abc}
---
apiVersion: v1
kind: Secret
metadata: {name: sink-hookbridge-signing, namespace: shop}
stringData: {secret: whsec_c2VjcmV0}
`);
    const src = fromManifests([dir], { namespace: 'shop', name: 'sink' });
    assert.equal(src.token, 'hbt_abc');
    assert.equal(src.signingSecret, 'whsec_c2VjcmV0');
    assert.equal(src.subscription.spec.delivery.retry.maxAttempts, 2);
    assert.deepEqual(src.subscription.spec.transform, { format: 'make' });
    assert.throws(() => fromManifests([dir], { namespace: 'shop', name: 'other' }), /no Subscription shop\/other/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hookbridge listen refuses a Standard Webhooks signing secret that is not base64, without echoing it', async () => {
  await assert.rejects(run(['--receiver', 'http://127.0.0.1:1', '--channel', 'demo/github', '--forward-to', 'http://127.0.0.1:2/', '--token', 't', '--signing-secret', 'plain text secret']),
    (e: unknown) => e instanceof UsageError && /not base64/.test(e.message) && !e.message.includes('plain text secret'));
});
