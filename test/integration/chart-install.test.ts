// `helm install` of the chart into a real kube-apiserver (test/harness/kube.ts; no kubelet, so no pod
// runs): the release deploys with every toggle on, installs the CRDs, creates the objects, keeps its
// admin token across `helm upgrade`, and its RBAC grants the operator and receiver exactly what they
// need — checked by the apiserver's own authorizer (`kubectl auth can-i --as`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startKube, succeeded, type Kube } from '../harness/kube.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'charts/hookbridge');
const NS = 'hookbridge';
const OPERATOR = `system:serviceaccount:${NS}:hookbridge-operator`;
const RECEIVER = `system:serviceaccount:${NS}:hookbridge-receiver`;

// The Prometheus Operator's kinds, served without a schema: enough for the toggles to install.
const MONITORING_CRDS = ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'].map((kind) => {
  const plural = `${kind.toLowerCase()}s`;
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${plural}.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind}, listKind: ${kind}List}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`;
}).join('---\n');

let kube: Kube;
let tmp: string;

before(async () => {
  kube = await startKube();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-chart-install-'));
  fs.writeFileSync(path.join(tmp, 'monitoring-crds.yaml'), MONITORING_CRDS);
  await kube.applyCrds(tmp);
  await must(kube.kubectl(['create', 'namespace', NS]));
  await must(kube.kubectl(['-n', NS, 'create', 'secret', 'generic', 'hookbridge-rabbitmq', '--from-literal=url=amqp://u:p@rabbitmq:5672/']));
});

after(async () => {
  await kube?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const must = succeeded;
const helm = (args: string[]) => kube.helm(args);

const TOGGLES = ['metrics.serviceMonitor.enabled=true', 'prometheusRule.enabled=true', 'dashboard.enabled=true',
  'ingress.enabled=true', 'receiver.autoscaling.enabled=true'].flatMap((s) => ['--set', s]);

const adminToken = async (): Promise<string> =>
  must(kube.kubectl(['-n', NS, 'get', 'secret', 'hookbridge-admin', '-o', 'jsonpath={.data.token}']));

const can = async (as: string, verb: string, resource: string, ns?: string): Promise<boolean> => {
  const r = await kube.kubectl(['auth', 'can-i', verb, resource, `--as=${as}`, ...(ns ? ['-n', ns] : ['--all-namespaces'])]);
  return r.stdout.trim() === 'yes';
};

test('helm install deploys the release with every toggle on', async () => {
  const out = await must(helm(['install', 'hookbridge', CHART, '-n', NS, ...TOGGLES]));
  assert.match(out, /STATUS: deployed/);
  assert.match(out, /kubectl get whc,whsub -A/, 'NOTES tell the next step');
  assert.match(out, /http:\/\/hooks\.example\.com\/webhook\/<namespace>\/<channel>/, 'NOTES tell the ingest URL');
  // The example the NOTES tell people to paste is valid against the CRDs just installed.
  const example = /^kubectl apply -f - <<'YAML'\n([\s\S]*?)\nYAML$/m.exec(out);
  assert.ok(example, 'NOTES carry a kubectl apply example');
  const applied = await must(kube.kubectl(['apply', '--dry-run=server', '-f', '-'], example[1]));
  assert.match(applied, /webhookchannel\.hookbridge\.io\/payments created \(server dry run\)/);
  assert.match(applied, /subscription\.hookbridge\.io\/billing created \(server dry run\)/);
});

test('the release created what it should', async () => {
  const names = (await must(kube.kubectl(['-n', NS, 'get',
    'deployments,services,serviceaccounts,secrets,roles,rolebindings,poddisruptionbudgets,horizontalpodautoscalers,ingresses,configmaps,servicemonitors,podmonitors,prometheusrules',
    '-l', 'app.kubernetes.io/instance=hookbridge', '-o', 'name']))).trim().split('\n').sort();
  assert.deepEqual(names, [
    'configmap/hookbridge-dashboard',
    'deployment.apps/hookbridge-operator', 'deployment.apps/hookbridge-receiver',
    'horizontalpodautoscaler.autoscaling/hookbridge-receiver',
    'ingress.networking.k8s.io/hookbridge-receiver',
    'poddisruptionbudget.policy/hookbridge-receiver',
    'podmonitor.monitoring.coreos.com/hookbridge-connectors',
    'prometheusrule.monitoring.coreos.com/hookbridge',
    'role.rbac.authorization.k8s.io/hookbridge-operator-leader-election', 'role.rbac.authorization.k8s.io/hookbridge-operator-receiver-endpoints',
    'role.rbac.authorization.k8s.io/hookbridge-receiver',
    'rolebinding.rbac.authorization.k8s.io/hookbridge-operator-leader-election', 'rolebinding.rbac.authorization.k8s.io/hookbridge-operator-receiver-endpoints',
    'rolebinding.rbac.authorization.k8s.io/hookbridge-receiver',
    'secret/hookbridge-admin',
    'service/hookbridge-operator-metrics', 'service/hookbridge-operator-webhook', 'service/hookbridge-receiver',
    'serviceaccount/hookbridge-operator', 'serviceaccount/hookbridge-receiver',
    'servicemonitor.monitoring.coreos.com/hookbridge-operator', 'servicemonitor.monitoring.coreos.com/hookbridge-receiver',
  ]);
  // Sidecar injection is on by default: its webhook configuration is cluster-scoped.
  await must(kube.kubectl(['get', 'mutatingwebhookconfiguration/hookbridge-operator-sidecar-injector']));
  for (const crd of ['webhookchannels.hookbridge.io', 'subscriptions.hookbridge.io']) {
    await must(kube.kubectl(['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd}`]));
  }
  await must(kube.kubectl(['get', 'clusterrole/hookbridge-operator', 'clusterrolebinding/hookbridge-operator']));
});

test('the helm test channel is valid against the installed CRD', async () => {
  const r = await helm(['template', 'hookbridge', CHART, '-n', NS, '--show-only', 'templates/tests/webhook-roundtrip.yaml']);
  assert.equal(r.code, 0, r.stderr);
  const applied = await must(kube.kubectl(['apply', '--dry-run=server', '-f', '-'], r.stdout));
  assert.match(applied, /webhookchannel.hookbridge.io\/hookbridge-smoke created \(server dry run\)/);
});

test('helm upgrade keeps the admin token', async () => {
  const before = await adminToken();
  assert.ok(Buffer.from(before, 'base64').length >= 48);
  await must(helm(['upgrade', 'hookbridge', CHART, '-n', NS, ...TOGGLES, '--set', 'operator.logLevel=debug']));
  assert.equal(await adminToken(), before);
});

test('the operator may do its work and nothing more', async () => {
  for (const [verb, resource] of [['watch', 'webhookchannels.hookbridge.io'], ['patch', 'subscriptions.hookbridge.io/status'],
    ['patch', 'deployments.apps'], ['delete', 'secrets'], ['create', 'configmaps'], ['create', 'serviceaccounts'], ['list', 'namespaces'], ['create', 'events.events.k8s.io']]) {
    assert.ok(await can(OPERATOR, verb, resource, 'team-a'), `operator cannot ${verb} ${resource}`);
  }
  assert.ok(await can(OPERATOR, 'update', 'leases.coordination.k8s.io', NS));
  for (const [verb, resource, ns] of [['update', 'leases.coordination.k8s.io', 'team-a'], ['delete', 'webhookchannels.hookbridge.io', 'team-a'],
    ['create', 'pods', 'team-a'], ['delete', 'namespaces', undefined], ['create', 'clusterroles.rbac.authorization.k8s.io', undefined],
    ['create', 'rolebindings.rbac.authorization.k8s.io', 'team-a']] as const) {
    assert.equal(await can(OPERATOR, verb, resource, ns), false, `operator may ${verb} ${resource} in ${ns ?? 'the cluster'}`);
  }
});

test('the receiver may only read Secrets in its own namespace', async () => {
  assert.ok(await can(RECEIVER, 'watch', 'secrets', NS));
  assert.ok(await can(RECEIVER, 'list', 'secrets', NS));
  assert.equal(await can(RECEIVER, 'list', 'secrets', 'team-a'), false);
  assert.equal(await can(RECEIVER, 'patch', 'secrets', NS), false);
  assert.equal(await can(RECEIVER, 'list', 'webhookchannels.hookbridge.io', NS), false);
});

test('helm uninstall removes the release and leaves the CRDs (and so the users\' channels)', async () => {
  await must(helm(['uninstall', 'hookbridge', '-n', NS, '--wait', '--timeout', '60s']));
  const left = await must(kube.kubectl(['-n', NS, 'get', 'deployments,services,secrets,roles', '-l', 'app.kubernetes.io/instance=hookbridge', '-o', 'name']));
  assert.equal(left.trim(), '');
  await must(kube.kubectl(['get', 'crd/webhookchannels.hookbridge.io']));
});
