// The chart under the real helm (built by test/harness/k8s-bin.sh): lint and template are clean with
// every toggle off and on, and what renders is what the contract asks for — the operator and receiver
// command lines, least-privilege RBAC, hardened pods, the alert rules and dashboard byte-for-byte from
// their files, an Ingress that exposes only the public paths, and a schema that refuses bad values.
// chart-install.test.ts installs it into a real kube-apiserver.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'charts/hookbridge');
const TOGGLES = [
  'metrics.serviceMonitor.enabled=true', 'prometheusRule.enabled=true', 'dashboard.enabled=true',
  'ingress.enabled=true', 'receiver.autoscaling.enabled=true',
].flatMap((s) => ['--set', s]);

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };
// Loose views of rendered objects; the assertions below are what checks their shape.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

let helmBin: string;
before(() => {
  const r = spawnSync('bash', [path.join(ROOT, 'test/harness/k8s-bin.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  assert.equal(r.status, 0, 'k8s-bin.sh failed');
  helmBin = path.join(r.stdout.trim(), 'helm');
});

function helm(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    execFile(helmBin, args, { cwd: ROOT, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? Number(err.code) : 0, out: stdout, err: stderr });
    });
  });
}

async function render(...args: string[]): Promise<Obj[]> {
  const r = await helm(['template', 'hookbridge', CHART, '--namespace', 'hb', ...args]);
  assert.equal(r.code, 0, r.err);
  return parseAllDocuments(r.out).map((d) => d.toJS() as Obj).filter(Boolean);
}

const one = (objs: Obj[], kind: string, name: string): Any => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `no ${kind} ${name}; have ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};

test('helm lint is clean, toggles off and on', async () => {
  for (const args of [[], TOGGLES]) {
    const r = await helm(['lint', '--strict', CHART, ...args]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    assert.doesNotMatch(r.out, /\[(WARNING|ERROR)\]/);
  }
});

test('defaults render the operator, receiver, RBAC, admin token, helm test and the sidecar webhook, and nothing optional', async () => {
  const objs = await render();
  const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  assert.deepEqual(kinds, [
    'ClusterRole/hookbridge-edit', 'ClusterRole/hookbridge-operator', 'ClusterRole/hookbridge-view', 'ClusterRoleBinding/hookbridge-operator',
    'Deployment/hookbridge-operator', 'Deployment/hookbridge-receiver', 'Lease/hookbridge-operator',
    'MutatingWebhookConfiguration/hookbridge-operator-sidecar-injector',
    'Pod/hookbridge-test-webhook', 'PodDisruptionBudget/hookbridge-receiver',
    'Role/hookbridge-operator-leader-election', 'Role/hookbridge-operator-receiver-endpoints', 'Role/hookbridge-receiver',
    'RoleBinding/hookbridge-operator-leader-election', 'RoleBinding/hookbridge-operator-receiver-endpoints', 'RoleBinding/hookbridge-receiver',
    'Secret/hookbridge-admin',
    'Service/hookbridge-operator-metrics', 'Service/hookbridge-operator-webhook', 'Service/hookbridge-receiver',
    'ServiceAccount/hookbridge-operator', 'ServiceAccount/hookbridge-receiver',
    'ValidatingAdmissionPolicy/hookbridge-operator-webhook-cabundle-only', 'ValidatingAdmissionPolicy/hookbridge-operator-writes',
    'ValidatingAdmissionPolicyBinding/hookbridge-operator-webhook-cabundle-only', 'ValidatingAdmissionPolicyBinding/hookbridge-operator-writes',
    'WebhookChannel/hookbridge-smoke',
  ]);
  const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingWebhookConfiguration']);
  for (const o of objs.filter((x) => !clusterScoped.has(x.kind))) assert.equal(o.metadata.namespace, 'hb', `${o.kind}/${o.metadata.name}`);
  const token = Buffer.from(one(objs, 'Secret', 'hookbridge-admin').data.token, 'base64').toString();
  assert.match(token, /^[A-Za-z0-9]{48}$/);
});

test('the operator runs with the flags the contract names', async () => {
  const objs = await render('--set', 'publicUrl=https://hooks.example.com/', '--set', 'image.tag=1.2.3', '--set', 'operator.watchNamespaces={shop,lab}');
  const c = one(objs, 'Deployment', 'hookbridge-operator').spec.template.spec.containers[0];
  assert.equal(c.image, 'ghcr.io/hookbridge/hookbridge:1.2.3');
  assert.deepEqual(c.args, [
    'operator', '--receiver-namespace=hb', '--public-url=https://hooks.example.com',
    '--receiver-url=http://hookbridge-receiver.hb.svc:8080', '--receiver-service=hookbridge-receiver',
    '--receiver-admin-token-file=/var/run/hookbridge/admin/token',
    '--connector-image=ghcr.io/hookbridge/hookbridge:1.2.3', '--connector-image-pull-policy=IfNotPresent', '--metrics-port=8081',
    '--destination-allow=10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7', '--namespaces=shop,lab', '--leader-elect',
    '--sidecar-injection', '--webhook-port=9443', '--webhook-service=hookbridge-operator-webhook',
    '--webhook-configuration=hookbridge-operator-sidecar-injector',
  ]);
  assert.deepEqual(c.volumeMounts.find((m: Any) => m.name === 'admin-token'), { name: 'admin-token', mountPath: '/var/run/hookbridge/admin', readOnly: true });
});

test('destinations.allowed reaches the operator (and so every connector); [] means Services of the namespace only', async () => {
  const argsOf = async (...set: string[]) => one(await render(...set), 'Deployment', 'hookbridge-operator').spec.template.spec.containers[0].args as string[];
  assert.ok((await argsOf('--set', 'destinations.allowed={*.zapier.com,203.0.113.0/24}')).includes('--destination-allow=*.zapier.com,203.0.113.0/24'));
  assert.ok((await argsOf('--set', 'destinations.allowed=null')).includes('--destination-allow=none'));
  const bad = await helm(['template', 'hookbridge', CHART, '--set', 'destinations.allowed={http://x/}']);
  assert.notEqual(bad.code, 0, 'a URL is not an allowlist entry');
});

test('the operator admission policy pins the connector image and the operator ServiceAccount; it can be turned off', async () => {
  const objs = await render('--set', 'operator.connectorImage=registry.example/hb:9');
  const policy = one(objs, 'ValidatingAdmissionPolicy', 'hookbridge-operator-writes');
  assert.equal(policy.spec.matchConditions[0].expression, "request.userInfo.username == 'system:serviceaccount:hb:hookbridge-operator'");
  assert.ok(policy.spec.validations.some((v: Any) => v.expression.includes("c.image == 'registry.example/hb:9'")));
  assert.equal(one(objs, 'ValidatingAdmissionPolicyBinding', 'hookbridge-operator-writes').spec.policyName, 'hookbridge-operator-writes');
  assert.ok(!(await render('--set', 'operator.admissionPolicy.enabled=false')).some((o) => o.kind === 'ValidatingAdmissionPolicy'));
});

test('the connector Deployments get the chart\'s image pull policy unless the operator values name one', async () => {
  const arg = async (...set: string[]) => (one(await render(...set.flatMap((s) => ['--set', s])), 'Deployment', 'hookbridge-operator')
    .spec.template.spec.containers[0].args as string[]).find((a) => a.startsWith('--connector-image-pull-policy='));
  assert.equal(await arg('image.pullPolicy=Never'), '--connector-image-pull-policy=Never');
  assert.equal(await arg('image.pullPolicy=Never', 'operator.connectorImagePullPolicy=Always'), '--connector-image-pull-policy=Always');
});

test('the receiver gets RabbitMQ from the existing Secret, never on its command line', async () => {
  const objs = await render('--set', 'rabbitmq.existingSecret=mq', '--set', 'rabbitmq.urlKey=amqp-url');
  const c = one(objs, 'Deployment', 'hookbridge-receiver').spec.template.spec.containers[0];
  assert.deepEqual(c.args, ['receiver', '--port=8080', '--kube-namespace=hb', '--admin-token-file=/var/run/hookbridge/admin/token', '--history-max-bytes=25165824']);
  const env = c.env.find((e: Any) => e.name === 'HOOKBRIDGE_RABBITMQ_URL');
  assert.deepEqual(env.valueFrom, { secretKeyRef: { name: 'mq', key: 'amqp-url' } });
});

test('every pod is hardened: non-root, read-only root, no capabilities, seccomp, probes, resources', async () => {
  const objs = await render(...TOGGLES);
  const pods = objs.filter((o) => o.kind === 'Deployment').map((d) => [d.metadata.name, (d as Any).spec.template.spec] as const);
  assert.equal(pods.length, 2);
  for (const [name, spec] of pods) {
    assert.equal(spec.securityContext.runAsNonRoot, true, name);
    assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', name);
    for (const c of spec.containers) {
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, name);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, name);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], name);
      assert.equal(c.livenessProbe.httpGet.path, '/healthz', name);
      assert.equal(c.readinessProbe.httpGet.path, '/readyz', name);
      assert.ok(c.resources.requests.memory && c.resources.limits.memory, name);
    }
  }
  assert.equal(one(objs, 'Deployment', 'hookbridge-receiver').spec.replicas, undefined, 'the HPA owns replicas');
});

test('RBAC is least privilege', async () => {
  const objs = await render();
  for (const o of objs.filter((x) => /Role$/.test(x.kind))) {
    for (const r of (o as Any).rules) for (const field of ['apiGroups', 'resources', 'verbs']) {
      assert.ok(!r[field].includes('*'), `${o.kind}/${o.metadata.name} has a wildcard ${field}`);
    }
  }
  const cluster = one(objs, 'ClusterRole', 'hookbridge-operator').rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  const verbs = (group: string, resource: string): string[] =>
    cluster.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs).sort();
  assert.deepEqual(verbs('hookbridge.io', 'webhookchannels'), ['get', 'list', 'patch', 'watch']);
  assert.deepEqual(verbs('hookbridge.io', 'subscriptions/status'), ['get', 'patch', 'update']);
  assert.deepEqual(verbs('hookbridge.io', 'subscriptions/finalizers'), ['update']);
  for (const res of ['secrets', 'configmaps', 'serviceaccounts']) assert.deepEqual(verbs('', res), ['create', 'delete', 'get', 'list', 'patch', 'watch']);
  assert.deepEqual(verbs('apps', 'deployments'), ['create', 'delete', 'get', 'list', 'patch', 'watch']);
  assert.deepEqual(verbs('', 'namespaces'), ['get', 'list', 'watch']);
  assert.deepEqual(verbs('events.k8s.io', 'events'), ['create', 'patch']);
  assert.deepEqual(verbs('', 'events'), [], 'core/v1 events are not used');
  assert.deepEqual(verbs('coordination.k8s.io', 'leases'), [], 'leases are namespaced, not cluster-wide');
  const lease = one(objs, 'Role', 'hookbridge-operator-leader-election');
  assert.deepEqual(lease.rules, [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }]);
  assert.deepEqual(one(objs, 'Role', 'hookbridge-receiver').rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }]);
});

test('sidecar injection: on by default, a webhook that can never block a pod, with no caBundle for helm to fight over; false removes it', async () => {
  const off = await render('--set', 'operator.sidecarInjection.enabled=false');
  assert.ok(!off.some((o) => o.kind === 'MutatingWebhookConfiguration' || o.metadata.name === 'hookbridge-operator-webhook'), 'false: no webhook, no Service');
  assert.ok(!one(off, 'ClusterRole', 'hookbridge-operator').rules.some((r: Any) => r.resources.includes('pods')), 'no pod access when off');
  assert.ok(!one(off, 'Deployment', 'hookbridge-operator').spec.template.spec.containers[0].args.includes('--sidecar-injection'));
  const objs = await render();
  const cfg = one(objs, 'MutatingWebhookConfiguration', 'hookbridge-operator-sidecar-injector');
  assert.equal(cfg.webhooks.length, 1);
  const w = cfg.webhooks[0];
  assert.equal(w.failurePolicy, 'Ignore');
  assert.equal(w.sideEffects, 'None');
  assert.deepEqual(w.admissionReviewVersions, ['v1']);
  assert.equal(w.clientConfig.caBundle, undefined, 'the operator owns caBundle; helm renders none');
  assert.deepEqual(w.clientConfig.service, { name: 'hookbridge-operator-webhook', namespace: 'hb', path: '/mutate', port: 443 });
  assert.deepEqual(w.rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }]);
  const excluded = w.namespaceSelector.matchExpressions.find((e: Any) => e.key === 'kubernetes.io/metadata.name');
  assert.equal(excluded.operator, 'NotIn');
  for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', 'hb']) assert.ok(excluded.values.includes(ns), `${ns} is never sent to the webhook`);
  assert.match(w.matchConditions[0].expression, /'hookbridge\.io\/inject' in object\.metadata\.annotations/);
  const svc = one(objs, 'Service', 'hookbridge-operator-webhook');
  assert.deepEqual(svc.spec.ports, [{ name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }]);
  const op = one(objs, 'Deployment', 'hookbridge-operator').spec.template.spec.containers[0];
  assert.ok(op.args.includes('--sidecar-injection'));
  assert.ok(op.ports.some((p: Any) => p.name === 'webhook' && p.containerPort === 9443));
  const rules = one(objs, 'ClusterRole', 'hookbridge-operator').rules as Any[];
  assert.deepEqual(rules.filter((r) => r.resources.includes('pods')).flatMap((r) => r.verbs).sort(), ['get', 'list', 'watch'], 'pods are read, never written');
  const mwc = rules.filter((r) => r.resources.includes('mutatingwebhookconfigurations'));
  assert.deepEqual(mwc, [{ apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['hookbridge-operator-sidecar-injector'], verbs: ['get', 'watch', 'patch'] }]);
  const guard = one(objs, 'ValidatingAdmissionPolicy', 'hookbridge-operator-webhook-cabundle-only');
  assert.match(guard.spec.validations[0].expression, /n\.\?rules == o\.\?rules/);
  const sel = await render('--set', 'operator.sidecarInjection.enabled=true', '--set', 'operator.sidecarInjection.namespaceSelector.matchLabels.team=shop');
  const ws = one(sel, 'MutatingWebhookConfiguration', 'hookbridge-operator-sidecar-injector').webhooks[0];
  assert.deepEqual(ws.namespaceSelector.matchLabels, { team: 'shop' });
  assert.ok(ws.namespaceSelector.matchExpressions.some((e: Any) => e.key === 'kubernetes.io/metadata.name'), 'a user selector narrows, never replaces, the exclusions');
});

test('the PrometheusRule is files/alerts.yaml, with runbook links on the configured base', async () => {
  const base = 'https://runbooks.example.com/hookbridge';
  const objs = await render(...TOGGLES, '--set', `prometheusRule.runbookBaseUrl=${base}/`, '--set', 'prometheusRule.additionalLabels.release=prom');
  const rule = one(objs, 'PrometheusRule', 'hookbridge');
  assert.equal(rule.metadata.labels.release, 'prom');
  const file = fs.readFileSync(path.join(CHART, 'files/alerts.yaml'), 'utf8')
    .replaceAll('https://github.com/hookbridge/hookbridge/blob/main/docs/runbook.md', base);
  assert.deepEqual(rule.spec, parse(file));
  assert.ok(rule.spec.groups.flatMap((g: Any) => g.rules).every((r: Any) => r.annotations.runbook_url.startsWith(`${base}#`)));
});

test('the dashboard ConfigMap carries the dashboard JSON for the Grafana sidecar', async () => {
  const objs = await render(...TOGGLES, '--set', 'dashboard.namespace=monitoring');
  const cm = one(objs, 'ConfigMap', 'hookbridge-dashboard');
  assert.equal(cm.metadata.namespace, 'monitoring');
  assert.equal(cm.metadata.labels.grafana_dashboard, '1');
  assert.deepEqual(JSON.parse(cm.data['hookbridge.json']), JSON.parse(fs.readFileSync(path.join(CHART, 'dashboards/hookbridge.json'), 'utf8')));
});

test('scrape config: receiver and operator ServiceMonitors, connector PodMonitor, fixed job names', async () => {
  const objs = await render(...TOGGLES);
  for (const [name, port] of [['hookbridge-receiver', 'http'], ['hookbridge-operator', 'metrics']]) {
    const sm = one(objs, 'ServiceMonitor', name);
    assert.equal(sm.spec.endpoints[0].port, port);
    assert.equal(sm.spec.endpoints[0].honorLabels, true, 'metric namespace labels must win over the pod namespace');
    assert.equal(sm.spec.jobLabel, 'hookbridge.io/scrape-job');
  }
  assert.equal(one(objs, 'Service', 'hookbridge-receiver').metadata.labels['hookbridge.io/scrape-job'], 'hookbridge-receiver');
  assert.equal(one(objs, 'Service', 'hookbridge-operator-metrics').metadata.labels['hookbridge.io/scrape-job'], 'hookbridge-operator');
  const pm = one(objs, 'PodMonitor', 'hookbridge-connectors');
  assert.deepEqual(pm.spec.namespaceSelector, { any: true });
  assert.deepEqual(pm.spec.podMetricsEndpoints[0].relabelings, [{ targetLabel: 'job', replacement: 'hookbridge-connector' }]);
});

test('the Ingress exposes only the public paths and sets the public URL', async () => {
  const objs = await render(...TOGGLES, '--set', 'ingress.hosts[0].host=hooks.example.com',
    '--set', 'ingress.tls[0].secretName=hooks-tls', '--set', 'ingress.tls[0].hosts[0]=hooks.example.com');
  const ing = one(objs, 'Ingress', 'hookbridge-receiver');
  const paths = ing.spec.rules[0].http.paths.map((p: Any) => p.path).sort();
  assert.deepEqual(paths, ['/connect', '/health', '/webhook']);
  const args = one(objs, 'Deployment', 'hookbridge-operator').spec.template.spec.containers[0].args as string[];
  assert.ok(args.includes('--public-url=https://hooks.example.com'), args.join(' '));
});

test('helm test posts to a smoke channel through the receiver Service', async () => {
  const objs = await render('--show-only', 'templates/tests/webhook-roundtrip.yaml');
  const ch = one(objs, 'WebhookChannel', 'hookbridge-smoke');
  assert.equal((ch.metadata as Any).annotations['helm.sh/hook'], 'test');
  const pod = one(objs, 'Pod', 'hookbridge-test-webhook');
  assert.equal(pod.metadata.annotations['helm.sh/hook'], 'test');
  const c = pod.spec.containers[0];
  assert.equal(c.image, one(await render(), 'Deployment', 'hookbridge-receiver').spec.template.spec.containers[0].image,
    'the test runs the Hookbridge image itself (no other image to pull)');
  const env = Object.fromEntries((c.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
  assert.equal(env.INGEST_URL, 'http://hookbridge-receiver.hb.svc:8080/webhook/hb/hookbridge-smoke');
  assert.match(c.args[0], /res\.status === 202/);
});

test('receiver.trustedProxies becomes one --trusted-proxies flag; none by default', async () => {
  const objs = await render('--set', 'receiver.trustedProxies={10.244.0.0/16,fd00:10:244::/56}');
  const args = one(objs, 'Deployment', 'hookbridge-receiver').spec.template.spec.containers[0].args as string[];
  assert.deepEqual(args.filter((a) => a.startsWith('--trusted-proxies')), ['--trusted-proxies=10.244.0.0/16,fd00:10:244::/56']);
  const plain = one(await render(), 'Deployment', 'hookbridge-receiver').spec.template.spec.containers[0].args as string[];
  assert.ok(!plain.some((a) => a.startsWith('--trusted-proxies')), plain.join(' '));
});

test('the receiver\'s memory limit follows its history budget unless limits.memory is set', async () => {
  const receiver = async (...args: string[]) => one(await render(...args), 'Deployment', 'hookbridge-receiver').spec.template.spec.containers[0];
  const plain = await receiver();
  assert.ok((plain.args as string[]).includes('--history-max-bytes=25165824'), plain.args.join(' '));
  assert.equal(plain.resources.limits.memory, '392Mi', '320Mi + 3 x 24Mi');
  assert.equal(plain.resources.requests.memory, '128Mi');
  const big = await receiver('--set', 'receiver.history.maxBytes=268435456');
  assert.ok((big.args as string[]).includes('--history-max-bytes=268435456'), big.args.join(' '));
  assert.equal(big.resources.limits.memory, '1088Mi', '320Mi + 3 x 256Mi');
  const pinned = await receiver('--set', 'receiver.history.maxBytes=268435456', '--set', 'receiver.resources.limits.memory=2Gi');
  assert.equal(pinned.resources.limits.memory, '2Gi', 'an explicit limit wins');
  const r = await helm(['template', 'hookbridge', CHART, '--set', 'receiver.history.maxBytes=1000']);
  assert.notEqual(r.code, 0, 'a budget under 1 MiB is refused');
});

test('values.schema.json refuses typos and bad values', async () => {
  for (const bad of [['--set', 'recevier.replicas=3'], ['--set', 'receiver.replicas=-1'], ['--set', 'image.pullPolicy=Sometimes'], ['--set', 'publicUrl=hooks.example.com'],
    ['--set', 'receiver.trustedProxies={example.com}']]) {
    const r = await helm(['template', 'hookbridge', CHART, ...bad]);
    assert.notEqual(r.code, 0, `accepted ${bad.join(' ')}`);
    assert.match(r.err, /schema/i);
  }
});

test('helm package ships the CRDs, alerts, dashboard and helm test, not the promtool tests', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-package-'));
  try {
    const r = await helm(['package', CHART, '-d', dir]);
    assert.equal(r.code, 0, r.err);
    const tgz = path.join(dir, fs.readdirSync(dir)[0]);
    const files = spawnSync('tar', ['tzf', tgz], { encoding: 'utf8' }).stdout.split('\n');
    for (const f of ['files/alerts.yaml', 'dashboards/hookbridge.json', 'values.schema.json', 'templates/tests/webhook-roundtrip.yaml',
      'crds/webhookchannels.hookbridge.io.yaml', 'crds/subscriptions.hookbridge.io.yaml']) {
      assert.ok(files.includes(`hookbridge/${f}`), `package lacks ${f}`);
    }
    assert.ok(!files.some((f) => f.startsWith('hookbridge/tests/')), 'package ships the promtool tests');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the hookbridge CLI accepts every flag the chart passes', async () => {
  const objs = await render('--set', 'operator.watchNamespaces={shop}', '--set', 'receiver.trustedProxies={10.0.0.0/8}');
  for (const name of ['hookbridge-operator', 'hookbridge-receiver']) {
    const args = one(objs, 'Deployment', name).spec.template.spec.containers[0].args as string[];
    // --help after the chart's flags: the parser rejects any unknown flag before printing the help.
    const r = spawnSync(process.execPath, [path.join(ROOT, 'cli/main.ts'), ...args, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^hookbridge ${args[0]} `));
  }
});
