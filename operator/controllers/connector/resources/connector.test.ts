import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectorConfig } from '../../../../shared/config.ts';
import { sub } from '../../testing/fixtures.ts';
import { buildConnectorConfigMap, buildConnectorDeployment, buildConnectorServiceAccount, projectedSecrets } from './connector.ts';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const a = sub({ name: 'alpha', namespace: 'team-a', spec: { destination: { service: { name: 'sink', port: 8080, path: '/hooks' } } } });
const b = sub({ name: 'beta', namespace: 'team-a', spec: { signing: { scheme: 'hmac-sha256', secretRef: { name: 'shared', key: 'k' } } } });
const input = { namespace: 'team-a', subscriptions: [b, a], receiverUrl: 'http://receiver.hookbridge.svc:8080', image: 'hookbridge:test', allowedDestinations: ['10.0.0.0/8', '*.example.com'] };

test('ConfigMap config.json lists the namespace\'s subscriptions with secret file paths', () => {
  const cm = buildConnectorConfigMap(input) as Any;
  assert.equal(cm.metadata.name, 'hookbridge-connector');
  const cfg = JSON.parse(cm.data['config.json']) as ConnectorConfig;
  assert.equal(cfg.receiverUrl, input.receiverUrl);
  assert.deepEqual(cfg.allowedDestinations, ['10.0.0.0/8', '*.example.com'], 'the chart\'s allowlist reaches every connector');
  assert.deepEqual(cfg.subscriptions.map((s) => s.name), ['alpha', 'beta']);
  assert.equal(cfg.subscriptions[0].destination.url, 'http://sink.team-a.svc:8080/hooks');
  assert.equal(cfg.subscriptions[0].tokenFile, 'secrets/alpha-hookbridge-token/token');
  assert.deepEqual(cfg.subscriptions[0].signing.secretFiles, ['secrets/alpha-hookbridge-signing/secret']);
  assert.deepEqual(cfg.subscriptions[1].signing.secretFiles, ['secrets/shared/k']);
  assert.deepEqual(cm.metadata.ownerReferences.map((r: Any) => [r.kind, r.name, r.controller]), [['Subscription', 'alpha', false], ['Subscription', 'beta', false]]);
});

test('projected volume mounts exactly the files config.json names', () => {
  const cfg = JSON.parse((buildConnectorConfigMap(input) as Any).data['config.json']) as ConnectorConfig;
  const wanted = cfg.subscriptions.flatMap((s) => [s.tokenFile, ...s.signing.secretFiles]).sort();
  const mounted = projectedSecrets(input.subscriptions).flatMap((s) => s.secret.items.map((i) => i.path)).sort();
  assert.deepEqual(mounted, wanted);
  const twice = projectedSecrets([b, sub({ name: 'gamma', namespace: 'team-a', spec: { signing: { secretRef: { name: 'shared', key: 'k' } } } })]);
  assert.equal(twice.filter((s) => s.secret.name === 'shared').length, 1, 'a Secret shared by two subscriptions is projected once');
});

test('Deployment: non-root, read-only root fs, probes, resources, args, checksum rolls on config change', () => {
  const d = buildConnectorDeployment(input) as Any;
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  assert.deepEqual(c.args, ['connector', '--config', '/etc/hookbridge/config.json', '--secrets-dir', '/var/run/hookbridge', '--metrics-port', '9091', '--forbid-loopback']);
  assert.ok(!(buildConnectorDeployment({ ...input, allowLoopback: true }) as Any).spec.template.spec.containers[0].args.includes('--forbid-loopback'));
  assert.equal(c.image, 'hookbridge:test');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.ok(c.resources.requests.memory && c.resources.limits.memory);
  assert.equal(pod.automountServiceAccountToken, false);
  assert.deepEqual(d.spec.selector.matchLabels, Object.fromEntries(Object.entries(d.spec.selector.matchLabels).filter(([k]) => d.spec.template.metadata.labels[k])));
  const sum = d.spec.template.metadata.annotations['hookbridge.io/config-checksum'];
  assert.equal(sum, (buildConnectorDeployment({ ...input, subscriptions: [a, b] }) as Any).spec.template.metadata.annotations['hookbridge.io/config-checksum'], 'order-independent');
  assert.notEqual(sum, (buildConnectorDeployment({ ...input, subscriptions: [a] }) as Any).spec.template.metadata.annotations['hookbridge.io/config-checksum']);
  assert.equal((buildConnectorServiceAccount(input) as Any).automountServiceAccountToken, false);
});

test('Deployment: imagePullPolicy as configured (a locally imported image needs Never), else Kubernetes\' default', () => {
  const c = (i: typeof input & { imagePullPolicy?: 'Never' }) => (buildConnectorDeployment(i) as Any).spec.template.spec.containers[0];
  assert.equal(c({ ...input, imagePullPolicy: 'Never' }).imagePullPolicy, 'Never');
  assert.equal('imagePullPolicy' in c(input), false);
});
