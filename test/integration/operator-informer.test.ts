// The watch survives: client-node's ListWatch stops on errors other than 410; ours restarts it with
// backoff. Here the watched resource does not exist yet (404), then appears; the informer recovers
// on its own, reports unhealthy meanwhile (/readyz) and delivers objects afterwards. A periodic
// relist re-delivers every object (a resync) and serves reads from the fresh cache.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { startKube, type Kube } from '../harness/kube.ts';
import { createLogger } from '../../shared/logger.ts';
import { Informer } from '../../shared/kube/informer.ts';
import { KubeClient, type KubeObject, type ResourceType } from '../../shared/kube/client.ts';
import { must, waitFor } from '../harness/operator-env.ts';

let kube: Kube;
let tmp: string;
before(async () => { kube = await startKube(); tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-crd-')); });
after(async () => { await kube?.stop(); fs.rmSync(tmp, { recursive: true, force: true }); });

const Widgets: ResourceType = { group: 'example.com', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
`;

test('an informer whose resource is missing keeps retrying, turns healthy once it exists, then delivers', async () => {
  const warnings: string[] = [];
  const logger = createLogger({ name: 't', destination: new Writable({ write(c, _e, cb) { warnings.push(String(c)); cb(); } }) });
  const client = KubeClient.load(kube.kubeconfigPath);
  const informer = new Informer<KubeObject>(client, Widgets, { logger, minBackoffMs: 100, maxBackoffMs: 400, relistMs: 60_000 });
  const seen: string[] = [];
  informer.onChange((o) => seen.push(o.metadata.name));
  const started = informer.start();
  await waitFor('list failures logged', async () => warnings.filter((w) => w.includes('watch failed')).length >= 2);
  assert.equal(informer.healthy(), false, 'unhealthy while it cannot list (wired into /readyz)');

  fs.writeFileSync(path.join(tmp, 'widgets.yaml'), crd);
  await kube.applyCrds(tmp);
  await started;
  assert.equal(informer.healthy(), true);
  await must(kube, ['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\n');
  await waitFor('w1 delivered', async () => seen.includes('w1'));
  assert.equal(informer.get('default', 'w1')?.metadata.name, 'w1');

  await must(kube, ['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2, namespace: default}\n');
  await waitFor('w2 delivered', async () => seen.includes('w2'));
  seen.length = 0;
  await must(kube, ['delete', 'widget', 'w1', '-n', 'default']);
  await waitFor('w1 deletion delivered', async () => seen.includes('w1') && !informer.get('default', 'w1'));
  seen.length = 0;
  await informer.relist();
  assert.deepEqual(seen, ['w2'], 'a relist re-delivers everything there is (a resync)');
  assert.deepEqual(informer.list().map((o) => o.metadata.name), ['w2']);
  await must(kube, ['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w3, namespace: default}\n');
  await waitFor('the relisted watch delivers', async () => informer.get('default', 'w3'));
  await informer.stop();
});
