// Issue 9 item 8, on a real apiserver with the chart installed: (1) a namespace `edit` user can create
// WebhookChannels and Subscriptions there and a `view` user can read them (aggregated ClusterRoles);
// (2) the operator's ServiceAccount, which RBAC lets write Deployments, Secrets, ConfigMaps and
// ServiceAccounts everywhere, is held by the chart's ValidatingAdmissionPolicy to exactly what the
// operator writes: it can deploy the connector as built by the operator, and nothing else — no other
// pod, image or ServiceAccount, no host access, no taking over or deleting other people's objects.
// Before the fix the edit user was refused and every abusive write below was admitted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { buildConnectorDeployment } from '../../operator/controllers/connector/resources/connector.ts';
import { sub } from '../../operator/controllers/testing/fixtures.ts';
import { waitFor } from '../harness/operator-env.ts';
import { DEFAULT_CONTROLLERS, startKube, type Kube, type KubectlResult } from '../harness/kube.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NS = 'hookbridge';
const IMAGE = 'ghcr.io/hookbridge/hookbridge:test';
let kube: Kube;
let tmp: string;
let asOperator: (args: string[], input?: string) => Promise<KubectlResult>;

async function must(p: Promise<KubectlResult>): Promise<string> {
  const r = await p;
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

before(async () => {
  kube = await startKube({ controllerManager: true, controllers: [...DEFAULT_CONTROLLERS, 'clusterrole-aggregation'] });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-abuse-rbac-'));
  for (const ns of [NS, 'shop', 'lab']) await must(kube.kubectl(['create', 'namespace', ns]));
  await must(kube.kubectl(['-n', NS, 'create', 'secret', 'generic', 'hookbridge-rabbitmq', '--from-literal=url=amqp://unused']));
  const helmEnv = { ...process.env, ...kube.env, HELM_CACHE_HOME: path.join(tmp, 'helm'), HELM_CONFIG_HOME: path.join(tmp, 'helm'), HELM_DATA_HOME: path.join(tmp, 'helm') };
  const installed = await new Promise<{ code: number; err: string }>((resolve) => {
    const c = spawn(path.join(kube.binDir, 'helm'), ['install', 'hookbridge', path.join(ROOT, 'charts/hookbridge'), '-n', NS, '--set', `operator.connectorImage=${IMAGE}`], { env: helmEnv });
    let err = '';
    c.stderr.on('data', (d: Buffer) => { err += d; });
    c.on('exit', (code) => resolve({ code: code ?? 1, err }));
  });
  assert.equal(installed.code, 0, installed.err);

  // kubectl as the operator's ServiceAccount (a TokenRequest token), as the operator pod would be.
  const token = (await must(kube.kubectl(['-n', NS, 'create', 'token', 'hookbridge-operator', '--duration=1h']))).trim();
  const admin = parse(fs.readFileSync(kube.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  const file = path.join(tmp, 'operator.kubeconfig');
  fs.writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'op',
    clusters: [{ name: 'test', cluster: admin.clusters[0].cluster }],
    users: [{ name: 'op', user: { token } }],
    contexts: [{ name: 'op', context: { cluster: 'test', user: 'op', namespace: 'shop' } }],
  }));
  asOperator = (args, input) => kube.kubectl(['--kubeconfig', file, ...args], input);
});

after(async () => {
  await kube?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const canI = async (user: string, verb: string, resource: string, ns: string, subresource?: string): Promise<boolean> =>
  (await kube.kubectl(['auth', 'can-i', verb, resource, '-n', ns, `--as=${user}`, ...(subresource ? [`--subresource=${subresource}`] : [])])).stdout.trim() === 'yes';

test('namespace edit and view users get the two kinds through the aggregated ClusterRoles', async () => {
  await must(kube.kubectl(['-n', 'shop', 'create', 'rolebinding', 'alice-edit', '--clusterrole=edit', '--user=alice']));
  await must(kube.kubectl(['-n', 'shop', 'create', 'rolebinding', 'bob-view', '--clusterrole=view', '--user=bob']));
  await waitFor('edit aggregates hookbridge-edit', () => canI('alice', 'create', 'subscriptions.hookbridge.io', 'shop'));
  await waitFor('view aggregates hookbridge-view', () => canI('bob', 'list', 'webhookchannels.hookbridge.io', 'shop'));
  for (const verb of ['create', 'update', 'patch', 'delete', 'get', 'list', 'watch']) {
    for (const kind of ['webhookchannels.hookbridge.io', 'subscriptions.hookbridge.io']) {
      assert.equal(await canI('alice', verb, kind, 'shop'), true, `alice ${verb} ${kind}`);
      assert.equal(await canI('bob', verb, kind, 'shop'), ['get', 'list', 'watch'].includes(verb), `bob ${verb} ${kind}`);
    }
  }
  assert.equal(await canI('alice', 'create', 'subscriptions.hookbridge.io', 'lab'), false, 'only where the RoleBinding is');
  assert.equal(await canI('alice', 'update', 'subscriptions.hookbridge.io', 'shop', 'status'), false, 'status is the operator\'s');
  // And it works for real: alice applies a Subscription.
  const r = await kube.kubectl(['apply', '--as=alice', '-f', '-'], 'apiVersion: hookbridge.io/v1alpha1\nkind: Subscription\nmetadata: {name: billing, namespace: shop}\nspec: {channelRef: {name: payments}, destination: {url: "http://billing.shop.svc:8080/"}}\n');
  assert.equal(r.code, 0, r.stderr);
});

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const connector = (): Obj => {
  const s = sub({ name: 'billing', namespace: 'shop', spec: { destination: { url: 'http://billing.shop.svc:8080/' } } });
  const d = buildConnectorDeployment({ namespace: 'shop', subscriptions: [s], receiverUrl: 'http://hookbridge-receiver.hookbridge.svc:8080', image: IMAGE, allowedDestinations: [] }) as Obj;
  d.metadata.ownerReferences = [];
  return d;
};
const pod = (d: Obj): Obj => d.spec.template.spec;
const applyAsOperator = (obj: Obj) => asOperator(['apply', '--server-side', '--field-manager=hookbridge-operator', '-f', '-'], stringify(obj));

test('the operator can deploy the connector exactly as it builds it', async () => {
  const r = await applyAsOperator(connector());
  assert.equal(r.code, 0, r.stderr);
});

test('the operator cannot run anything else', async () => {
  const abuse: [string, Obj][] = [];
  const variant = (what: string, change: (d: Obj) => void) => { const d = connector(); change(d); abuse.push([what, d]); };
  variant('another name', (d) => { d.metadata.name = 'miner'; });
  variant('no hookbridge labels', (d) => { d.metadata.labels = { app: 'x' }; });
  variant('another image', (d) => { pod(d).containers[0].image = 'docker.io/library/busybox:latest'; });
  variant('a second container', (d) => { pod(d).containers.push({ ...pod(d).containers[0], name: 'sidecar' }); });
  variant('an init container', (d) => { pod(d).initContainers = [{ name: 'init', image: IMAGE }]; });
  variant('another ServiceAccount', (d) => { pod(d).serviceAccountName = 'default'; });
  variant('an API token mounted', (d) => { pod(d).automountServiceAccountToken = true; });
  variant('host network', (d) => { pod(d).hostNetwork = true; });
  variant('host PID', (d) => { pod(d).hostPID = true; });
  variant('privileged', (d) => { Object.assign(pod(d).containers[0].securityContext, { privileged: true, allowPrivilegeEscalation: true }); });
  variant('added capabilities', (d) => { pod(d).containers[0].securityContext.capabilities = { add: ['SYS_ADMIN'] }; });
  variant('privilege escalation', (d) => { pod(d).containers[0].securityContext.allowPrivilegeEscalation = true; });
  variant('a hostPath volume', (d) => { pod(d).volumes.push({ name: 'root', hostPath: { path: '/' } }); });
  variant('a projected ServiceAccount token', (d) => { pod(d).volumes[1].projected.sources.push({ serviceAccountToken: { path: 'token' } }); });
  const secret = (name: string, ns: string, labels: Record<string, string>): Obj => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns, labels }, stringData: { a: 'b' } });
  const managed = (component: string) => ({ 'app.kubernetes.io/managed-by': 'hookbridge-operator', 'app.kubernetes.io/component': component });
  abuse.push(['a Secret of its own making', secret('stolen', 'shop', {})]);
  abuse.push(['a receiver-config Secret outside its namespace', secret('fake-config', 'shop', managed('receiver-config'))]);
  abuse.push(['a ServiceAccount of another name', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'admin-ish', namespace: 'shop', labels: managed('connector') } }]);
  const admitted: string[] = [];
  for (const [what, obj] of abuse) {
    const r = await applyAsOperator(obj);
    if (r.code === 0) admitted.push(what);
    else assert.match(r.stderr, /denied request|ValidatingAdmissionPolicy/, `${what}: ${r.stderr}`);
  }
  assert.deepEqual(admitted, [], 'admitted for the operator');
});

test('the operator cannot take over or delete what is not its own', async () => {
  await must(kube.kubectl(['-n', 'shop', 'create', 'deployment', 'web', `--image=${IMAGE}`]));
  await must(kube.kubectl(['-n', 'shop', 'create', 'secret', 'generic', 'db-password', '--from-literal=password=hunter2']));
  const takeOver = await asOperator(['-n', 'shop', 'label', 'deployment', 'web', 'app.kubernetes.io/managed-by=hookbridge-operator', 'app.kubernetes.io/component=connector']);
  assert.notEqual(takeOver.code, 0, 'relabelled a user\'s Deployment as its own');
  const del = await asOperator(['-n', 'shop', 'delete', 'deployment', 'web']);
  assert.notEqual(del.code, 0, 'deleted a user\'s Deployment');
  const delSecret = await asOperator(['-n', 'shop', 'delete', 'secret', 'db-password']);
  assert.notEqual(delSecret.code, 0, 'deleted a user\'s Secret');
  assert.equal((await asOperator(['-n', 'shop', 'delete', 'deployment', 'hookbridge-connector'])).code, 0, 'its own connector it may delete');
});
