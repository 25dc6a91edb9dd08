import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { destinationUrl } from '../../shared/api/compile.ts';
import type { Subscription } from '../../shared/api/v1alpha1.ts';
import { sub } from '../controllers/testing/fixtures.ts';
import { buildConnectorDeployment, projectedSecrets } from '../controllers/connector/resources/connector.ts';
import { applyJsonPatch } from './json-patch.ts';
import {
  buildInjection, INJECT_ANNOTATION, INJECTED_ANNOTATION, parseInjectAnnotation, SIDECAR_CONTAINER, SIDECAR_LABEL, SKIPPED_ANNOTATION,
  SkipReason, type PodLike,
} from './mutation.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ready = (s: Subscription, conds: Record<string, string> = { ChannelBound: 'True', SecretsReady: 'True' }): Subscription => ({
  ...s, status: { conditions: Object.entries(conds).map(([type, status]) => ({ type, status, reason: 'X', message: '' })) },
});
const sidecarSub = (name: string, port: number, extra: Record<string, unknown> = {}) =>
  ready(sub({ name, namespace: 'shop', spec: { destination: { sidecar: { port, path: '/hooks' } }, ...extra } }));

const orders = sidecarSub('orders', 8080);
const billing = sidecarSub('billing', 8080, { signing: { scheme: 'hmac-sha256', secretRef: { name: 'billing-key', key: 'k' } } });
const viaService = ready(sub({ name: 'audit', namespace: 'shop', spec: { destination: { service: { name: 'audit', port: 80 } } } }));
const unbound = ready(sub({ name: 'unbound', namespace: 'shop', spec: { destination: { sidecar: { port: 8080 } } } }), { ChannelBound: 'False', SecretsReady: 'True' });
const noSecrets = ready(sub({ name: 'fresh', namespace: 'shop', spec: { destination: { sidecar: { port: 8080 } } } }), { ChannelBound: 'True' });
const all = [orders, billing, viaService, unbound, noSecrets];
const settings = { image: 'ghcr.io/hookbridge/hookbridge:1.2.3', imagePullPolicy: 'IfNotPresent' as const };

const pod = (inject: string | undefined, spec: Any = {}, meta: Any = {}): PodLike => ({
  metadata: { generateName: 'web-', ...(inject === undefined ? {} : { annotations: { [INJECT_ANNOTATION]: inject } }), ...meta },
  spec: { containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080 }] }], ...spec },
});
const inject = (p: PodLike, subs = all) => buildInjection({ pod: p, namespace: 'shop', subscriptions: subs, ...settings });
const sidecarOf = (p: Any): Any => p.spec.initContainers.find((c: Any) => c.name === SIDECAR_CONTAINER);

test('destination.sidecar resolves to the pod\'s own localhost', () => {
  assert.equal(destinationUrl(orders), 'http://localhost:8080/hooks');
  assert.equal(destinationUrl(sub({ name: 'x', spec: { destination: { sidecar: { port: 3000 } } } })), 'http://localhost:3000/');
  assert.equal(destinationUrl(sub({ name: 'y', spec: { destination: { url: 'http://a/', sidecar: { port: 3000 } } } })), undefined, 'two kinds at once resolve to nothing');
});

test('annotation: names trimmed, empties and repeats dropped', () => {
  assert.deepEqual(parseInjectAnnotation(' orders, billing,,orders ,'), ['orders', 'billing']);
  assert.deepEqual(parseInjectAnnotation(''), []);
  assert.deepEqual(parseInjectAnnotation(undefined), []);
});

test('one native sidecar serves every named Subscription, delivering on localhost, with the Deployment\'s image, resources and securityContext', () => {
  const p = pod('orders,billing');
  const r = inject(p);
  assert.deepEqual(r.injected, ['billing', 'orders']);
  assert.deepEqual(r.skipped, []);
  const out = applyJsonPatch(p, r.patch) as Any;
  const sidecars = out.spec.initContainers.filter((c: Any) => c.name === SIDECAR_CONTAINER);
  assert.equal(sidecars.length, 1, 'one connector per pod, however many Subscriptions');
  const c = sidecars[0];
  assert.equal(c.restartPolicy, 'Always', 'a native sidecar is an init container with restartPolicy Always');
  assert.equal(c.image, settings.image);
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(c.args.slice(c.args.indexOf('--subscriptions'), c.args.indexOf('--subscriptions') + 2), ['--subscriptions', 'billing,orders']);
  assert.ok(!c.args.includes('--forbid-loopback'), 'localhost is the destination');
  assert.ok(c.startupProbe, 'the app starts after the connector runs');
  assert.equal(c.readinessProbe, undefined, 'a receiver outage must not make the app\'s pod unready');

  const d = buildConnectorDeployment({ namespace: 'shop', subscriptions: [orders, billing], receiverUrl: 'http://r', image: settings.image, allowedDestinations: [] }) as Any;
  const dc = d.spec.template.spec.containers[0];
  const dpod = d.spec.template.spec.securityContext;
  assert.deepEqual(c.resources, dc.resources, 'same resources as the namespace connector');
  for (const [k, v] of Object.entries(dc.securityContext)) assert.deepEqual(c.securityContext[k], v, `securityContext.${k} as in the Deployment`);
  assert.equal(c.securityContext.runAsUser, dpod.runAsUser);
  assert.equal(c.securityContext.runAsGroup, dpod.runAsGroup);
  assert.deepEqual(c.securityContext.seccompProfile, dpod.seccompProfile);
  assert.deepEqual(c.volumeMounts.map((m: Any) => m.mountPath), dc.volumeMounts.map((m: Any) => m.mountPath), 'config, secrets and tmp where the connector expects them');
  assert.deepEqual(c.args.slice(0, 5), dc.args.slice(0, 5), 'same subcommand, config path and secrets dir');

  const secrets = out.spec.volumes.find((v: Any) => v.name === 'hookbridge-secrets');
  assert.deepEqual(secrets.projected.sources.map((s: Any) => ({ secret: { name: s.secret.name, items: s.secret.items } })), projectedSecrets([orders, billing]),
    'the Deployment\'s Secret items at the same paths: rotation works the same way');
  assert.ok(secrets.projected.sources.every((s: Any) => s.secret.optional === true), 'a missing Secret never holds the app\'s pod');
  assert.equal(out.spec.volumes.find((v: Any) => v.name === 'hookbridge-config').configMap.optional, undefined, 'the config is required: without it the connector cannot start');
  assert.deepEqual(secrets.projected.sources.map((s: Any) => s.secret.name).sort(), ['billing-key', 'billing-hookbridge-token', 'orders-hookbridge-signing', 'orders-hookbridge-token'].sort());
  assert.equal(out.spec.volumes.find((v: Any) => v.name === 'hookbridge-config').configMap.name, 'hookbridge-sidecar');
  assert.equal(out.metadata.annotations[INJECTED_ANNOTATION], 'billing,orders');
  assert.equal(out.metadata.labels[SIDECAR_LABEL], 'true', 'labels created when the pod had none');
  assert.equal(out.metadata.annotations[SKIPPED_ANNOTATION], undefined);
  assert.equal(out.spec.containers.length, 1, 'the app containers are untouched');
});

test('idempotent: an injected pod gets no second sidecar', () => {
  const p = pod('orders');
  const once = applyJsonPatch(p, inject(p).patch);
  const again = inject(once);
  assert.deepEqual(again.patch, []);
  assert.equal(again.alreadyInjected, true);
  assert.equal(sidecarOf(applyJsonPatch(once, again.patch)).name, SIDECAR_CONTAINER);
});

test('existing init containers, volumes and labels are kept: the sidecar is appended', () => {
  const p = pod('orders', { initContainers: [{ name: 'migrate', image: 'm:1' }], volumes: [{ name: 'data', emptyDir: {} }] }, { labels: { app: 'web' } });
  const r = inject(p);
  assert.ok(r.patch.every((op) => op.op === 'add'));
  assert.ok(r.patch.some((op) => op.path === '/spec/initContainers/-'), 'appended, so the app\'s own init containers run first');
  const out = applyJsonPatch(p, r.patch) as Any;
  assert.deepEqual(out.spec.initContainers.map((c: Any) => c.name), ['migrate', SIDECAR_CONTAINER]);
  assert.deepEqual(out.spec.volumes.map((v: Any) => v.name), ['data', 'hookbridge-config', 'hookbridge-secrets', 'hookbridge-tmp']);
  assert.deepEqual(out.metadata.labels, { app: 'web', [SIDECAR_LABEL]: 'true' });
});

test('the metrics port moves off a port the pod or a Subscription already uses', () => {
  const p = pod('orders', { containers: [{ name: 'app', ports: [{ containerPort: 9091 }] }] });
  assert.equal(sidecarOf(applyJsonPatch(p, inject(p).patch)).ports[0].containerPort, 9092);
  const q = pod('on9091');
  const out = applyJsonPatch(q, inject(q, [sidecarSub('on9091', 9091)]).patch) as Any;
  assert.equal(sidecarOf(out).ports[0].containerPort, 9092);
  assert.equal(sidecarOf(out).startupProbe.httpGet.port, 9092, 'probes follow the port');
});

test('a reason for every name that cannot be served; the others are still served', () => {
  const p = pod('orders, nope, other/orders, shop/billing, audit, unbound, fresh');
  const r = inject(p);
  assert.deepEqual(r.injected, ['billing', 'orders'], 'shop/billing is the pod\'s own namespace');
  assert.deepEqual(r.skipped.map((s) => [s.subscription, s.reason]), [
    ['nope', SkipReason.UnknownSubscription],
    ['other/orders', SkipReason.OtherNamespace],
    ['audit', SkipReason.NotSidecarMode],
    ['unbound', SkipReason.NotBound],
    ['fresh', SkipReason.NotReady],
  ]);
  const out = applyJsonPatch(p, r.patch) as Any;
  assert.equal(out.metadata.annotations[SKIPPED_ANNOTATION], 'nope: UnknownSubscription, other/orders: OtherNamespace, audit: NotSidecarMode, unbound: NotBound, fresh: NotReady');
});

test('nothing servable: no sidecar, only the reasons', () => {
  const p = pod('nope,audit');
  const out = applyJsonPatch(p, inject(p).patch) as Any;
  assert.equal(out.spec.initContainers, undefined);
  assert.equal(out.metadata.labels, undefined, 'not labelled as injected');
  assert.match(out.metadata.annotations[SKIPPED_ANNOTATION], /nope: UnknownSubscription/);
  const other = inject(pod('orders'), [ready(sub({ name: 'orders', namespace: 'elsewhere', spec: { destination: { sidecar: { port: 1 } } } }))]);
  assert.deepEqual(other.skipped.map((s) => s.reason), [SkipReason.UnknownSubscription], 'a Subscription of another namespace is not found by its bare name');
});

test('pods that did not ask are not touched', () => {
  for (const p of [pod(undefined), pod(' , ')]) {
    const r = inject(p);
    assert.deepEqual(r.patch, []);
    assert.equal(r.requested, false);
  }
});

test('hostNetwork pods are refused: their localhost is the node', () => {
  const r = inject(pod('orders', { hostNetwork: true }));
  assert.deepEqual(r.injected, []);
  assert.deepEqual(r.skipped.map((s) => s.reason), [SkipReason.HostNetwork]);
  assert.ok(!r.patch.some((op) => op.path.includes('initContainers')));
});

test('a pod template (Deployment) is patched at its own paths; escaping of annotation keys', () => {
  const deploy: Any = { spec: { template: pod('orders') } };
  const r = buildInjection({ pod: deploy.spec.template, namespace: 'shop', subscriptions: all, specPath: '/spec/template/spec', metadataPath: '/spec/template/metadata', ...settings });
  assert.ok(r.patch.some((op) => op.path === '/spec/template/metadata/annotations/hookbridge.io~1injected'));
  const out = applyJsonPatch(deploy, r.patch);
  assert.equal(sidecarOf(out.spec.template).restartPolicy, 'Always');
});

test('the real CLI accepts the sidecar\'s arguments', () => {
  const p = pod('orders,billing');
  const c = sidecarOf(applyJsonPatch(p, inject(p).patch));
  // --help after the arguments: the parser refuses any unknown flag before printing the help.
  const r = spawnSync(process.execPath, [path.resolve(import.meta.dirname, '../../cli/main.ts'), ...c.args, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--subscriptions/);
});
