// Manifests are read as `kubectl apply` would take them: every kind we know decoded strictly, Secrets
// decoded from data and stringData, files found under folders, and a bad document named by file and place.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseManifests, readManifestFiles } from './manifests.ts';

const CHANNEL = 'apiVersion: hookbridge.io/v1alpha1\nkind: WebhookChannel\nmetadata: {name: orders}\n';
const SUB = 'apiVersion: hookbridge.io/v1alpha1\nkind: Subscription\nmetadata: {name: sink, namespace: shop}\nspec: {channelRef: {name: orders}, destination: {url: "http://sink/"}}\n';
const SECRET = `apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\ndata: {a: ${Buffer.from('from-data').toString('base64')}}\nstringData: {b: from-stringData}\n`;

test('channels, subscriptions and secrets, with the default namespace and the API defaults', () => {
  const set = parseManifests([{ path: 'all.yaml', text: [CHANNEL, SUB, SECRET, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n', ''].join('---\n') }]);
  assert.equal(set.channels[0].metadata.namespace, 'default');
  assert.equal(set.channels[0].spec.maxQueueSize, 10000);
  assert.equal(set.subscriptions[0].spec.signing.scheme, 'standard-webhooks');
  assert.deepEqual(set.secrets.get('shop/s'), { a: 'from-data', b: 'from-stringData' });
});

test('invalid documents fail with their file and position', () => {
  assert.throws(() => parseManifests([{ path: 'bad.yaml', text: 'apiVersion: hookbridge.io/v1alpha1\nkind: WebhookChannel\nmetadata: {name: x}\nspec: {maxQueueSize: -1}\n' }]),
    /bad\.yaml \(document 1\): spec\.maxQueueSize/);
  assert.throws(() => parseManifests([{ path: 'broken.yaml', text: 'a: [1,\n' }]), /broken\.yaml \(document 1\)/);
  assert.throws(() => parseManifests([{ path: 'two.yaml', text: `${CHANNEL}---\n- a list\n` }]), /two\.yaml \(document 2\): not a Kubernetes object/);
});

test('a folder is read recursively in name order, manifests only, hidden entries skipped', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-manifests-'));
  try {
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.mkdirSync(path.join(dir, '.git'));
    for (const f of ['b.yaml', 'a.json', 'sub/c.yml', 'notes.txt', '.hidden.yaml', '.git/x.yaml']) fs.writeFileSync(path.join(dir, f), '');
    assert.deepEqual(readManifestFiles([dir]).map((f) => path.relative(dir, f.path)), ['a.json', 'b.yaml', path.join('sub', 'c.yml')]);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
