// examples/ works in a cluster as well as under `hookbridge dev` (issue 8): `kubectl apply -f examples/`
// brings its Namespace first, the destination is a Service backed by an echo that listens on every
// address, and `hookbridge dev` delivers that Service destination to the laptop.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { compileConnector } from '../../shared/api/compile.ts';
import { parseManifests, readManifestFiles } from '../../shared/api/manifests.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(ROOT, 'examples');
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The documents in the order `kubectl apply -f examples/` sends them (files by name). */
const docs: Obj[] = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort()
  .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(DIR, f), 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean));
const find = (kind: string, name: string): Obj => {
  const o = docs.find((d) => d.kind === kind && d.metadata.name === name);
  assert.ok(o, `examples/ has no ${kind} ${name}`);
  return o;
};

test('kubectl apply -f examples/ creates the namespace before anything in it', () => {
  const namespaced = docs.filter((d) => d.kind !== 'Namespace');
  assert.ok(namespaced.length > 0);
  for (const o of namespaced) {
    assert.ok(o.metadata.namespace, `${o.kind} ${o.metadata.name} names its namespace`);
    const created = docs.findIndex((d) => d.kind === 'Namespace' && d.metadata.name === o.metadata.namespace);
    assert.ok(created >= 0 && created < docs.indexOf(o), `Namespace ${o.metadata.namespace} comes before ${o.kind} ${o.metadata.name}`);
  }
});

test('the Subscription delivers to a Service whose pods run the echo on every address, on that port', () => {
  const sub = find('Subscription', 'echo');
  const dest = sub.spec.destination.service as { name: string; port: number; path: string };
  assert.ok(dest && !sub.spec.destination.url, 'a Service destination (127.0.0.1 would be the connector pod itself)');
  const svc = find('Service', dest.name);
  const port = (svc.spec.ports as { port: number; targetPort: string | number }[]).find((p) => p.port === dest.port);
  assert.ok(port, `Service ${dest.name} has port ${dest.port}`);
  const deploy = docs.find((d) => d.kind === 'Deployment' && Object.entries(svc.spec.selector as Record<string, string>)
    .every(([k, v]) => d.spec.template.metadata.labels[k] === v));
  assert.ok(deploy, `a Deployment behind Service ${dest.name}`);
  const c = deploy.spec.template.spec.containers[0];
  const cport = (c.ports as { name: string; containerPort: number }[]).find((p) => p.name === port.targetPort || p.containerPort === port.targetPort);
  assert.ok(cport, 'the Service targets a container port');
  assert.equal(c.args[0], 'echo');
  const arg = (flag: string) => c.args[c.args.indexOf(flag) + 1] as string;
  assert.equal(arg('--host'), '0.0.0.0', 'hookbridge echo binds 127.0.0.1 by default: unreachable through a Service');
  assert.equal(Number(arg('--port')), cport.containerPort);
  assert.equal(c.env.find((e: { name: string }) => e.name === 'HOOKBRIDGE_SECRET').valueFrom.secretKeyRef.name, sub.spec.signing.secretRef.name,
    'the echo checks signatures with the Subscription\'s signing secret');
});

test('the echo runs the image the chart installs by default', () => {
  const chart = fs.readFileSync(path.join(ROOT, 'charts/hookbridge/Chart.yaml'), 'utf8');
  const values = fs.readFileSync(path.join(ROOT, 'charts/hookbridge/values.yaml'), 'utf8');
  const appVersion = /^appVersion: "?([^"\n]+)"?$/m.exec(chart)?.[1];
  const repository = /^ {2}repository: (\S+)$/m.exec(values)?.[1];
  const deploy = find('Deployment', 'echo');
  assert.equal(deploy.spec.template.spec.containers[0].image, `${repository}:${appVersion}`);
});

test('hookbridge dev delivers the Service destination to the laptop; the operator to the Service', () => {
  const set = parseManifests(readManifestFiles([DIR]));
  assert.deepEqual(set.subscriptions.map((s) => s.metadata.name), ['echo'], 'dev reads the examples (and ignores Namespace, Deployment, Service)');
  const url = (o?: { serviceHost: string }) => compileConnector('http://r', set.subscriptions, 'websocket', undefined, o).subscriptions[0].destination.url;
  assert.equal(url({ serviceHost: '127.0.0.1' }), 'http://127.0.0.1:9000/hooks');
  assert.equal(url({ serviceHost: '::1' }), 'http://[::1]:9000/hooks');
  assert.equal(url(), 'http://echo.demo.svc:9000/hooks');
});
