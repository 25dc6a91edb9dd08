// Proves the test bed is a real control plane: CRDs are served, the garbage collector runs, and the
// apiserver is the pinned version.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { eventually } from './eventually.ts';
import { pinnedVersions, startKube, type Kube } from './kube.ts';

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
`;

let kube: Kube;
let crdDir: string;

before(async () => {
  kube = await startKube({ controllerManager: true });
  crdDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-crds-'));
  fs.writeFileSync(path.join(crdDir, 'widgets.yaml'), WIDGET_CRD);
});

after(async () => {
  await kube?.stop();
  if (crdDir) fs.rmSync(crdDir, { recursive: true, force: true });
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kube.kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('applied CRDs are established and served', async () => {
  await kube.applyCrds(crdDir);
  await ok(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n');
  const list = JSON.parse(await ok(['get', 'widgets', '-o', 'json'])) as { items: { spec: { size: number } }[] };
  assert.deepEqual(list.items.map((w) => w.spec.size), [3]);
});

test('the garbage collector deletes a dependent once its owner is gone', async () => {
  await ok(['create', 'configmap', 'owner']);
  const uid = (await ok(['get', 'configmap', 'owner', '-o', 'jsonpath={.metadata.uid}'])).trim();
  assert.match(uid, /^[0-9a-f-]{36}$/);
  await ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] },
  }));
  await ok(['delete', 'configmap', 'owner', '--wait=false']);
  await eventually(async () => {
    const r = await kube.kubectl(['get', 'configmap', 'dependent', '--ignore-not-found', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim() === '';
  }, { timeoutMs: 30_000, intervalMs: 250, message: 'the dependent ConfigMap collected after its owner was deleted' });
});

test('the apiserver reports the pinned version', async (t) => {
  if (process.env.KUBEBUILDER_ASSETS) t.skip('binaries come from KUBEBUILDER_ASSETS');
  const version = JSON.parse(await ok(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
  assert.equal(version.serverVersion.gitVersion, pinnedVersions().k8s);
});
