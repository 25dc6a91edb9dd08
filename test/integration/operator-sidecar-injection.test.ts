// Sidecar injection wired into the operator, on a real kube-apiserver (no kubelet): two operators with
// leader election, both serving the webhook. The leader stores the certificate in a Secret and publishes
// the caBundle; the standby loads the same pair; each answers an AdmissionReview over TLS verified against
// the published bundle. The connector controller writes the hookbridge-sidecar ConfigMap; pods whose status
// is set by hand (no kubelet here) are counted in status.sidecars; a pod that asked and was not injected
// gets a SidecarMissing event. (The apiserver itself calling the webhook is the cluster tier's part:
// test/cluster/sidecar-injection.test.ts.)
import assert from 'node:assert/strict';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import { getJson, must, RECEIVER_NS, startTestKube, startTestOperator, type TestOperator } from '../harness/operator-env.ts';
import { applyChannelAndSubscription } from '../harness/operator-apply.ts';
import { eventually } from '../harness/eventually.ts';

const NS = 'shop';
const SERVICE = 'hb-webhook';
const CONFIG = 'hb-injector';
let kube: Kube;
const ops: TestOperator[] = [];

const injection = { port: 0, host: '127.0.0.1', namespace: RECEIVER_NS, service: SERVICE, configuration: CONFIG, explainIntervalMs: 300 };
const lease = { leaderElect: true, leaseNamespace: RECEIVER_NS, leaseDurationMs: 2_000, renewDeadlineMs: 1_300, retryPeriodMs: 250 };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const until = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> =>
  eventually(probe, { message: what, timeoutMs, intervalMs: 100 });

before(async () => {
  kube = await startTestKube();
  // The chart's configuration, minus what would make this apiserver call it (no Service answers here).
  await must(kube, ['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: CONFIG },
    webhooks: [{
      name: 'sidecar.hookbridge.io', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Ignore',
      clientConfig: { service: { name: SERVICE, namespace: RECEIVER_NS, path: '/mutate', port: 443 } },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
      objectSelector: { matchLabels: { 'never-called': 'true' } },
    }],
  }));
  for (const identity of ['op-a', 'op-b']) ops.push(await startTestOperator(kube, { ...lease, identity, sidecarInjection: injection }));
});

after(async () => {
  for (const op of ops) await op.stop().catch(() => {});
  await kube?.stop();
});

/** POST an AdmissionReview to one operator's webhook, trusting only `ca`, checking the Service's name. */
function review(port: number, ca: string, pod: Json): Promise<Json> {
  const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {
    uid: 'u-1', operation: 'CREATE', namespace: NS, kind: { version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, object: pod,
  } });
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/mutate', method: 'POST', ca, servername: `${SERVICE}.${RECEIVER_NS}.svc`,
      headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString())); } catch (e) { reject(e); } });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const askingPod = (name: string) => ({ metadata: { name, namespace: NS, annotations: { 'hookbridge.io/inject': 'orders' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } });

test('the leader stores the certificate and publishes the caBundle; leader and standby both serve a certificate the bundle verifies', async () => {
  const config = await until('a caBundle', async () => { const c = await getJson(kube, ['mutatingwebhookconfiguration', CONFIG]); return c?.webhooks[0].clientConfig.caBundle && c; });
  const bundle = Buffer.from(config.webhooks[0].clientConfig.caBundle, 'base64').toString();
  const secret = await getJson(kube, ['-n', RECEIVER_NS, 'secret', `${SERVICE}-certificate`]);
  assert.equal(secret?.metadata.labels['app.kubernetes.io/component'], 'webhook-certificate');
  assert.equal(secret?.metadata.ownerReferences[0].name, CONFIG);
  const stored = new X509Certificate(Buffer.from(secret?.data['tls.crt'], 'base64'));
  assert.ok(stored.verify(new X509Certificate(bundle).publicKey));
  // Both replicas, whichever leads: a TLS handshake that trusts only the bundle succeeds.
  for (const op of ops) {
    const port = op.injection?.server.port ?? 0;
    await until(`operator ${op.identity} serves the stored certificate`, async () => {
      const r = await review(port, bundle, { metadata: { name: 'p', namespace: NS }, spec: { containers: [] } }).catch(() => undefined);
      return r?.response?.allowed === true;
    });
  }
  assert.equal(ops.filter((o) => o.isLeader()).length, 1);
});

test('deleting the certificate Secret re-keys at once: a new CA in the caBundle (the old one dropped), served by leader and standby', async () => {
  const bundleNow = async (): Promise<string> => Buffer.from((await getJson(kube, ['mutatingwebhookconfiguration', CONFIG]))?.webhooks[0].clientConfig.caBundle, 'base64').toString();
  const before = await bundleNow();
  await must(kube, ['-n', RECEIVER_NS, 'delete', 'secret', `${SERVICE}-certificate`]);
  const after = await until('a new caBundle', async () => { const b = await bundleNow(); return b !== before && b; });
  assert.equal(new X509Certificate(after).fingerprint256 === new X509Certificate(before).fingerprint256, false);
  assert.equal((after.match(/BEGIN CERTIFICATE/g) ?? []).length, 1, 'the old CA is not trusted any more: deleting the Secret is how to revoke it');
  const secret: Json = await until('the Secret back', () => getJson(kube, ['-n', RECEIVER_NS, 'secret', `${SERVICE}-certificate`]));
  assert.equal(Buffer.from(secret.data['ca-bundle.crt'], 'base64').toString(), after);
  for (const op of ops) {
    await until(`operator ${op.identity} serves a certificate of the new CA`, async () => {
      const r = await review(op.injection?.server.port ?? 0, after, { metadata: { name: 'p', namespace: NS }, spec: { containers: [] } }).catch(() => undefined);
      return r?.response?.allowed === true;
    });
  }
});

test('a sidecar Subscription: the ConfigMap lists it, the webhook injects a pod that asks, status counts ready sidecars', async () => {
  await applyChannelAndSubscription(kube, { ns: NS, channel: 'payments', subscription: 'orders', wait: 'channel', subscriptionSpec: { destination: { sidecar: { port: 8080, path: '/hooks' } } } });
  const cm: Json = await until('the hookbridge-sidecar ConfigMap', () => getJson(kube, ['-n', NS, 'configmap', 'hookbridge-sidecar']));
  assert.deepEqual(JSON.parse(cm.data['config.json']).subscriptions.map((s: Json) => s.name), ['orders']);
  const st = await until('ConnectorReady NoSidecars', async () => {
    const s = (await getJson(kube, ['-n', NS, 'whsub', 'orders']))?.status;
    return s?.conditions?.find((c: Json) => c.type === 'ConnectorReady')?.reason === 'NoSidecars' && s;
  });
  assert.equal(st.sidecars, 0);
  assert.equal(st.connector, undefined);

  const bundle = Buffer.from((await getJson(kube, ['mutatingwebhookconfiguration', CONFIG]))?.webhooks[0].clientConfig.caBundle, 'base64').toString();
  const standby = ops.find((o) => !o.isLeader());
  const answer = await until('an injection patch from the standby', async () => {
    const r = await review(standby?.injection?.server.port ?? 0, bundle, askingPod('api-1'));
    return r.response.patch && r;
  });
  const patch = JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) as { path: string; value: Json }[];
  const sidecar = patch.find((p) => p.path === '/spec/initContainers')?.value[0];
  assert.equal(sidecar?.restartPolicy, 'Always');
  assert.ok(sidecar.args.includes('orders'));

  // What the kubelet would report for an injected pod whose sidecar started: create it, then its status.
  await must(kube, ['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'api-1', namespace: NS, labels: { 'hookbridge.io/sidecar': 'true' }, annotations: { 'hookbridge.io/inject': 'orders', 'hookbridge.io/injected': 'orders' } },
    spec: { containers: [{ name: 'app', image: 'app:1' }], initContainers: [{ name: 'hookbridge-connector', image: 'hookbridge:test', restartPolicy: 'Always' }] },
  }));
  await must(kube, ['-n', NS, 'patch', 'pod', 'api-1', '--subresource=status', '--type=merge', '-p', JSON.stringify({
    status: { phase: 'Running', initContainerStatuses: [{ name: 'hookbridge-connector', ready: true, started: true, image: 'hookbridge:test', imageID: '', restartCount: 0, state: { running: {} } }] },
  })]);
  const served = await until('status.sidecars 1', async () => {
    const s = (await getJson(kube, ['-n', NS, 'whsub', 'orders']))?.status;
    return s?.sidecars === 1 && s;
  });
  const ready = served.conditions.find((c: Json) => c.type === 'ConnectorReady');
  assert.equal(ready.status, 'True', ready.message);
  await must(kube, ['-n', NS, 'delete', 'pod', 'api-1', '--wait=false', '--grace-period=0', '--force']);
  await until('status.sidecars 0 once the pod is gone', async () => (await getJson(kube, ['-n', NS, 'whsub', 'orders']))?.status?.sidecars === 0);
});

test('/metrics: admissions by result and the served certificate\'s expiry', async () => {
  const standby = ops.find((o) => !o.isLeader());
  const port = (standby?.server.address() as { port: number }).port;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(text, /^hookbridge_sidecar_admissions_total\{result="injected"\} [1-9]/m, 'the standby injected the pod of the previous test');
  const expiry = Number(/^hookbridge_webhook_certificate_expiry_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
  assert.ok(expiry > Date.now() / 1000 + 80 * 86_400, `a 90-day certificate (${expiry})`);
});

test('a pod that asked and was not injected (the webhook was not called) gets a SidecarMissing event, on the pod and on the Subscription', async () => {
  await must(kube, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...askingPod('api-2') }));
  const events = await until('a SidecarMissing event on the pod', async () => {
    const list = await getJson(kube, ['-n', NS, 'events', '--field-selector', 'reason=SidecarMissing']);
    return list && list.items.length >= 2 && list.items;
  });
  assert.deepEqual(events.map((e: Json) => e.involvedObject.kind).sort(), ['Pod', 'Subscription']);
  assert.match(events[0].message, /webhook did not answer/);
  // Once per pod: the next scans add nothing.
  const seen = events.length;
  const scans = 3;
  await new Promise((r) => setTimeout(r, injection.explainIntervalMs * scans)); // proves a negative: no repeat over three scans
  assert.equal((await getJson(kube, ['-n', NS, 'events', '--field-selector', 'reason=SidecarMissing']))?.items.length, seen);
});
