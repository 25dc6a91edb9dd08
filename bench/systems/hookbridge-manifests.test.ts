import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { compileConnectorSubscription } from '../../shared/api/compile.ts';
import { Subscription, WebhookChannel } from '../../shared/api/v1alpha1.ts';
import { benchManifests } from './hookbridge-manifests.ts';

test('bench manifests are valid resources that compile to the intended data plane config', () => {
  const text = benchManifests({
    destinationUrl: 'http://127.0.0.1:9999/hooks', signingSecret: 'whsec_c2VjcmV0',
    tokens: { ingest: 'hbt_one', e2e: 'hbt_two' }, concurrency: 10,
  });
  const docs = parseAllDocuments(text).map((d) => d.toJSON() as { kind: string; metadata: { name: string }; stringData?: Record<string, string> });
  const channels = docs.filter((d) => d.kind === 'WebhookChannel').map((d) => WebhookChannel.parse(d));
  const subs = docs.filter((d) => d.kind === 'Subscription').map((d) => Subscription.parse(d));
  assert.deepEqual(channels.map((c) => c.metadata.name), ['ingest', 'e2e']);
  assert.ok(channels.every((c) => c.spec.maxQueueSize === 10_000_000));
  const e2e = compileConnectorSubscription(subs.find((s) => s.metadata.name === 'e2e-sink')!);
  assert.equal(e2e.destination.url, 'http://127.0.0.1:9999/hooks');
  assert.equal(e2e.delivery.concurrency, 10);
  assert.equal(e2e.signing.scheme, 'standard-webhooks');
  assert.deepEqual(e2e.signing.secretFiles, ['secrets/e2e-sink-hookbridge-signing/secret']);
  const secrets = Object.fromEntries(docs.filter((d) => d.kind === 'Secret').map((d) => [d.metadata.name, d.stringData]));
  assert.deepEqual(secrets['e2e-sink-hookbridge-token'], { token: 'hbt_two' });
  assert.deepEqual(secrets['e2e-sink-hookbridge-signing'], { secret: 'whsec_c2VjcmV0' });
});
