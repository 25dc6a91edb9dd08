// The sidecar-injection webhook of the chart (operator.sidecarInjection.enabled) in a real kube-apiserver
// (no kubelet, and no operator serving the webhook: it is down throughout, on purpose). What must hold
// before the operator is wired to it: the webhook being down blocks no pod, whether it asked for
// injection or not; the operator's ServiceAccount may change the configuration's caBundle and nothing
// else (the admission policy, enforced by the apiserver); `helm upgrade` leaves the caBundle the operator
// wrote (the chart renders none).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { caBundle, caBundlePatch, mintCa } from '../../operator/injection/cert.ts';
import { INJECT_ANNOTATION } from '../../operator/injection/mutation.ts';
import { startKube, succeeded, type Kube } from '../harness/kube.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'charts/hookbridge');
const NS = 'hookbridge';
const OPERATOR = `system:serviceaccount:${NS}:hookbridge-operator`;
const CONFIG = 'hookbridge-operator-sidecar-injector';
const VALUES = ['--set', 'operator.sidecarInjection.enabled=true'];

let kube: Kube;

const must = succeeded;
const helm = (args: string[]) => kube.helm(args);

type Config = { metadata: { name: string }; webhooks: { name: string; failurePolicy: string; clientConfig: { caBundle?: string } }[] };
const getConfig = async (): Promise<Config> => JSON.parse(await must(kube.kubectl(['get', 'mutatingwebhookconfiguration', CONFIG, '-o', 'json']))) as Config;
const patchAsOperator = (ops: unknown[]) =>
  kube.kubectl(['patch', 'mutatingwebhookconfiguration', CONFIG, '--type=json', '-p', JSON.stringify(ops), `--as=${OPERATOR}`]);
const bundleOf = (cn: string): string => caBundle([mintCa(cn, { now: new Date(), lifetimeMs: 86_400_000 }).certPem], new Date());

before(async () => {
  kube = await startKube();
  await must(kube.kubectl(['create', 'namespace', NS]));
  await must(kube.kubectl(['create', 'namespace', 'shop']));
  await must(kube.kubectl(['-n', NS, 'create', 'secret', 'generic', 'hookbridge-rabbitmq', '--from-literal=url=amqp://u:p@rabbitmq:5672/']));
  await must(helm(['install', 'hookbridge', CHART, '--namespace', NS, ...VALUES]));
});

after(async () => {
  await kube?.stop();
});

test('the installed webhook has no caBundle, failurePolicy Ignore, and the operator may patch it', async () => {
  const cfg = await getConfig();
  assert.equal(cfg.webhooks[0].clientConfig.caBundle, undefined);
  assert.equal(cfg.webhooks[0].failurePolicy, 'Ignore');
  for (const verb of ['get', 'patch']) {
    const r = await kube.kubectl(['auth', 'can-i', verb, `mutatingwebhookconfigurations/${CONFIG}`, `--as=${OPERATOR}`]);
    assert.equal(r.stdout.trim(), 'yes', `${verb} its own configuration`);
  }
  const other = await kube.kubectl(['auth', 'can-i', 'patch', 'mutatingwebhookconfigurations/someone-elses', `--as=${OPERATOR}`]);
  assert.equal(other.stdout.trim(), 'no', 'not another webhook configuration');
  const pods = await kube.kubectl(['auth', 'can-i', 'create', 'pods', '-n', 'shop', `--as=${OPERATOR}`]);
  assert.equal(pods.stdout.trim(), 'no', 'pods are read, never written');
});

test('the operator may write the caBundle and nothing else of its configuration', async () => {
  const bundle = bundleOf('hookbridge-webhook-ca');
  await must(patchAsOperator(caBundlePatch(await getConfig(), bundle)));
  assert.deepEqual(caBundlePatch(await getConfig(), bundle), [], 'the bundle is in place');
  // The policy may take a moment to be loaded by the apiserver: retry until it refuses (it must).
  let refused = '';
  for (let i = 0; i < 40 && !refused; i++) {
    const r = await patchAsOperator([{ op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Fail' }]);
    if (r.code !== 0) refused = r.stderr;
    else {
      await must(kube.kubectl(['patch', 'mutatingwebhookconfiguration', CONFIG, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Ignore' }])]));
      await new Promise((r2) => setTimeout(r2, 250));
    }
  }
  assert.match(refused, /may only change webhooks\[\*\]\.clientConfig\.caBundle/);
  for (const ops of [
    [{ op: 'replace', path: '/webhooks/0/namespaceSelector', value: {} }],
    [{ op: 'remove', path: '/webhooks/0/matchConditions' }],
    [{ op: 'replace', path: '/webhooks/0/rules/0/operations', value: ['CREATE', 'UPDATE'] }],
    [{ op: 'replace', path: '/webhooks/0/clientConfig/service/name', value: 'elsewhere' }],
  ]) {
    const r = await patchAsOperator(ops);
    assert.notEqual(r.code, 0, `${JSON.stringify(ops)} must be refused`);
    assert.match(r.stderr, /caBundle/);
  }
  await must(patchAsOperator(caBundlePatch(await getConfig(), bundleOf('rotated-ca'))));
});

test('the webhook being down blocks no pod: one that asked, one that did not, one in kube-system', async () => {
  const pod = (name: string, ns: string, inject?: string) => JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: ns, ...(inject ? { annotations: { [INJECT_ANNOTATION]: inject } } : {}) },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
  });
  for (const [name, ns, inject] of [['asked', 'shop', 'orders'], ['plain', 'shop', undefined], ['system', 'kube-system', 'orders']] as const) {
    const started = Date.now();
    await must(kube.kubectl(['create', '-f', '-'], pod(name, ns, inject)));
    assert.ok(Date.now() - started < 8000, `${ns}/${name} was created without waiting out the webhook timeout`);
    const got = JSON.parse(await must(kube.kubectl(['-n', ns, 'get', 'pod', name, '-o', 'json']))) as { spec: { initContainers?: unknown[] } };
    assert.equal(got.spec.initContainers, undefined, 'admitted as it was');
  }
});

test('helm upgrade leaves the caBundle the operator wrote', async () => {
  const before = (await getConfig()).webhooks[0].clientConfig.caBundle;
  assert.ok(before);
  await must(helm(['upgrade', 'hookbridge', CHART, '--namespace', NS, ...VALUES, '--set', 'operator.logLevel=debug', '--set', 'operator.sidecarInjection.timeoutSeconds=7']));
  const cfg = await getConfig();
  assert.equal((cfg.webhooks[0] as { timeoutSeconds?: number }).timeoutSeconds, 7, 'the upgrade did apply the chart\'s own change');
  assert.equal(cfg.webhooks[0].clientConfig.caBundle, before);
});
