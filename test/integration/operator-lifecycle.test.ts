// The operator against a real kube-apiserver (+ kube-controller-manager for garbage collection):
// kubectl apply a channel and a subscription → everything the data plane needs, Ready with columns.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import type { ChannelConfig, ConnectorConfig } from '../../shared/config.ts';
import { hashToken } from '../../shared/tokens.ts';
import { decode, getJson, must, PUBLIC_URL, readyReason, RECEIVER_NS, REPO, startTestKube, startTestOperator, waitFor, type TestOperator } from '../harness/operator-env.ts';
import { applyChannelAndSubscription, applyManifests, channel, namespace, subscription } from '../harness/operator-apply.ts';

let kube: Kube;
let op: TestOperator;

before(async () => {
  kube = await startTestKube({ controllerManager: true });
  op = await startTestOperator(kube);
});
after(async () => {
  await op?.stop();
  await kube?.stop();
});

/** Channel `payments` and subscription `sink` (to a Service) in a new namespace, waited for Ready as `wait` says. */
const example = (ns: string, wait: 'both' | 'channel' | 'subscription') => applyChannelAndSubscription(kube, {
  ns,
  channel: 'payments',
  channelSpec: { eventType: { jsonPointer: '/type' }, tokenRotation: { interval: '720h', gracePeriod: '1h' } },
  subscription: 'sink',
  subscriptionSpec: { eventTypes: ['invoice.*'], destination: { service: { name: 'sink', port: 8080, path: '/hooks' } } },
  wait,
});

test('kubectl apply channel + subscription → token, receiver config, connector; Ready with printer columns', async () => {
  const ns = 'team-a';
  await example(ns, 'both');

  const tokenSecret = await getJson(kube, ['-n', ns, 'secret', 'sink-hookbridge-token']);
  const token = decode(tokenSecret?.data.token);
  assert.match(token, /^hbt_[A-Za-z0-9_-]{43,}$/);
  assert.equal(tokenSecret?.metadata.ownerReferences[0].kind, 'Subscription');

  const configs = await getJson(kube, ['-n', RECEIVER_NS, 'secret', '-l', 'hookbridge.io/receiver-config=true']);
  assert.equal(configs?.items.length, 1);
  const channel = JSON.parse(decode(configs?.items[0].data['channel.json'])) as ChannelConfig;
  assert.equal(channel.name, 'payments');
  assert.equal(channel.maxQueueSize, 10000);
  assert.deepEqual(channel.eventType, { jsonPointer: '/type' });
  assert.deepEqual(channel.subscriptions.map((s) => [s.namespace, s.name, s.eventTypes]), [[ns, 'sink', ['invoice.*']]]);
  assert.deepEqual(channel.subscriptions[0].tokens, [{ sha256: hashToken(token) }], 'the receiver gets the hash, never the token');
  assert.ok(!decode(configs?.items[0].data['channel.json']).includes(token));

  const cm = await getJson(kube, ['-n', ns, 'configmap', 'hookbridge-connector']);
  const cfg = JSON.parse(cm?.data['config.json']) as ConnectorConfig;
  assert.equal(cfg.subscriptions[0].destination.url, `http://sink.${ns}.svc:8080/hooks`);
  assert.equal(cfg.subscriptions[0].tokenFile, 'secrets/sink-hookbridge-token/token');
  const dep = await getJson(kube, ['-n', ns, 'deployment', 'hookbridge-connector']);
  const pod = dep?.spec.template.spec;
  assert.equal(pod.containers[0].image, 'hookbridge:test');
  const projected = pod.volumes.find((v: { name: string }) => v.name === 'secrets').projected.sources.map((s: { secret: { name: string } }) => s.secret.name).sort();
  assert.deepEqual(projected, ['sink-hookbridge-signing', 'sink-hookbridge-token']);
  assert.ok(await getJson(kube, ['-n', ns, 'serviceaccount', 'hookbridge-connector']));
  const signing = await getJson(kube, ['-n', ns, 'secret', 'sink-hookbridge-signing']);
  assert.match(decode(signing?.data.secret), /^whsec_/);

  const whc = await getJson(kube, ['-n', ns, 'whc', 'payments']);
  assert.equal(whc?.status.url, `${PUBLIC_URL}/webhook/${ns}/payments`);
  assert.equal(whc?.status.subscriptions, 1);
  assert.equal(whc?.status.observedGeneration, whc?.metadata.generation);
  assert.ok(whc?.metadata.finalizers.includes('hookbridge.io/cleanup'));
  assert.ok(whc?.status.nextTokenRotationAt > whc?.status.tokenRotatedAt);
  const sub = await getJson(kube, ['-n', ns, 'whsub', 'sink']);
  assert.deepEqual(sub?.status.tokenSecretRef, { name: 'sink-hookbridge-token', key: 'token' });
  assert.equal(sub?.status.connector, 'hookbridge-connector');
  const conds = Object.fromEntries(sub?.status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]));
  // DestinationHealthy is Unknown here: this operator has no receiver to ask (it does not hold Ready back).
  assert.deepEqual(conds, { Ready: 'True', ChannelBound: 'True', SecretsReady: 'True', ConnectorReady: 'True', DestinationHealthy: 'Unknown' });

  const table = await must(kube, ['get', 'whc,whsub', '-n', ns]);
  assert.match(table, /NAME\s+READY\s+URL\s+SUBSCRIPTIONS\s+CONNECTED\s+BACKLOG\s+DLQ\s+AGE/);
  assert.match(table, new RegExp(`webhookchannel.hookbridge.io/payments\\s+True\\s+${PUBLIC_URL}/webhook/${ns}/payments\\s+1`));
  assert.match(table, /NAME\s+READY\s+CHANNEL\s+DESTINATION\s+BACKLOG\s+DLQ\s+AGE/);
  assert.match(table, new RegExp(`subscription.hookbridge.io/sink\\s+True\\s+payments\\s+http://sink.${ns}.svc:8080/hooks`));
  assert.ok(!op.logs.join('').includes(token), 'the token never reaches a log line');
});

test('invalid specs: rejected by CEL at the apiserver, or Ready=False with a reason a person can act on', async () => {
  const ns = 'team-invalid';
  await must(kube, ['create', 'namespace', ns]);
  const rejected = await kube.kubectl(['apply', '-f', '-'], `
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: bad, namespace: ${ns}}
spec:
  channelRef: {name: payments}
  destination: {url: "ftp://example.com/x", service: {name: s}}
  delivery: {ordering: perKey}
`);
  assert.notEqual(rejected.code, 0);
  assert.match(rejected.stderr, /exactly one of url or service/);
  assert.match(rejected.stderr, /must be an absolute http or https URL/);
  assert.match(rejected.stderr, /keyFrom is required when delivery.ordering is perKey/);
  const badChannel = await kube.kubectl(['apply', '-f', '-'], `
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: bad, namespace: ${ns}}
spec: {tokenRotation: {interval: 1h, gracePeriod: 2h}, maxQueueSize: 0}
`);
  assert.notEqual(badChannel.code, 0);
  assert.match(badChannel.stderr, /gracePeriod must be shorter than tokenRotation.interval/);
  assert.match(badChannel.stderr, /maxQueueSize/);
  // Names are '.'-joined segments of broker queue names, so a dotted name would be ambiguous.
  const dotted = await kube.kubectl(['apply', '-f', '-'], `
apiVersion: hookbridge.io/v1alpha1
kind: WebhookChannel
metadata: {name: a.b, namespace: ${ns}}
`);
  assert.notEqual(dotted.code, 0);
  assert.match(dotted.stderr, /metadata.name must be a DNS label/);

  await applyManifests(kube, [
    namespace('team-other'),
    channel(ns, 'private'),
    subscription(ns, 'orphan', { channelRef: { name: 'nope' }, destination: { url: 'http://a.example/' } }),
    subscription('team-other', 'outsider', { channelRef: { name: 'private', namespace: ns }, destination: { url: 'http://b.example/' } }),
    subscription(ns, 'first', { channelRef: { name: 'private' }, destination: { url: 'http://c.example/' } }),
    subscription(ns, 'unsigned', { channelRef: { name: 'private' }, destination: { url: 'http://e.example/' }, signing: { secretRef: { name: 'missing-secret' } } }),
  ]);
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=60s', '-n', ns, 'whsub/first']);
  await must(kube, ['apply', '-f', '-'], `
apiVersion: hookbridge.io/v1alpha1
kind: Subscription
metadata: {name: second, namespace: ${ns}}
spec: {channelRef: {name: private}, destination: {url: "http://c.example/"}}
`);
  const notFound = await readyReason(kube, ns, 'whsub', 'orphan', 'ChannelNotFound');
  assert.match(notFound.message, new RegExp(`${ns}/nope`));
  const notAllowed = await readyReason(kube, 'team-other', 'whsub', 'outsider', 'NamespaceNotAllowed');
  assert.match(notAllowed.message, /allowedNamespaces/);
  const dup = await readyReason(kube, ns, 'whsub', 'second', 'DuplicateSubscription');
  assert.match(dup.message, new RegExp(`${ns}/first`));
  await readyReason(kube, ns, 'whsub', 'unsigned', 'SigningSecretNotFound');
  assert.equal((await getJson(kube, ['-n', 'team-other', 'secret', 'outsider-hookbridge-token'])), undefined, 'no token for an unbound subscription');

  // Fixing the cause clears the reason: allow the namespace, and the outsider binds.
  await must(kube, ['patch', 'whc', 'private', '-n', ns, '--type=merge', '-p', '{"spec":{"allowedNamespaces":{"names":["team-other"]}}}']);
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=60s', '-n', 'team-other', 'whsub/outsider']);
  // Deleting the older duplicate lets the newer one bind.
  await must(kube, ['delete', 'whsub', 'first', '-n', ns]);
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=60s', '-n', ns, 'whsub/second']);
});

test('deleting the last subscription of a namespace removes its connector and secrets', async () => {
  const ns = 'team-cleanup';
  await example(ns, 'subscription');
  await must(kube, ['delete', 'whsub', 'sink', '-n', ns]);
  await waitFor('connector objects gone', async () => {
    const left = await must(kube, ['get', 'deployment,configmap,serviceaccount,secret', '-n', ns, '-l', 'app.kubernetes.io/managed-by=hookbridge-operator', '-o', 'name']);
    return left.trim() === '';
  });
  const config = await waitFor('receiver config without the subscription', async () => {
    const s = await getJson(kube, ['-n', RECEIVER_NS, 'secret', `hookbridge-channel.${ns}.payments`]);
    const c = JSON.parse(decode(s?.data['channel.json'])) as ChannelConfig;
    return c.subscriptions.length === 0 ? c : undefined;
  });
  assert.equal(config.name, 'payments');
  await waitFor('channel status shows no subscriptions', async () => (await getJson(kube, ['-n', ns, 'whc', 'payments']))?.status.subscriptions === 0);
});

test('deleting a channel runs the finalizer: receiver config removed, then the channel goes', async () => {
  const ns = 'team-delete';
  await example(ns, 'channel');
  await must(kube, ['patch', 'whc', 'payments', '-n', ns, '--type=merge', '-p', '{"spec":{"deletionPolicy":"Retain"}}']);
  await waitFor('config says Retain', async () => {
    const s = await getJson(kube, ['-n', RECEIVER_NS, 'secret', `hookbridge-channel.${ns}.payments`]);
    return (JSON.parse(decode(s?.data['channel.json'])) as ChannelConfig).deletionPolicy === 'Retain';
  });
  await must(kube, ['delete', 'whc', 'payments', '-n', ns, '--timeout=60s']);
  assert.equal(await getJson(kube, ['-n', ns, 'whc', 'payments']), undefined);
  assert.equal(await getJson(kube, ['-n', RECEIVER_NS, 'secret', `hookbridge-channel.${ns}.payments`]), undefined);
  await readyReason(kube, ns, 'whsub', 'sink', 'ChannelNotFound');
  await waitFor('connector removed once nothing is bound', async () => (await getJson(kube, ['-n', ns, 'deployment', 'hookbridge-connector'])) === undefined);
});

test('kubectl explain reads the schema descriptions', async () => {
  const out = await waitFor('explain', async () => {
    const r = await kube.kubectl(['explain', 'subscriptions.spec.delivery.retry']);
    return r.code === 0 ? r.stdout : undefined;
  });
  assert.match(out, /Retry schedule/);
  assert.match(out, /maxAttempts\s+<integer>/);
  assert.match(out, /Attempts before a message is dead-lettered/);
  const whc = await must(kube, ['explain', 'whc.spec.tokenRotation']);
  assert.match(whc, /gracePeriod/);
});

test('the examples/ folder applies as is (its own Namespace, an echo Service as destination) and becomes Ready', async () => {
  await must(kube, ['apply', '-f', path.join(REPO, 'examples')]);
  await must(kube, ['wait', '--for=condition=Ready', '--timeout=60s', '-n', 'demo', 'whc/github', 'whsub/echo']);
  await must(kube, ['-n', 'demo', 'get', 'deployment/echo', 'service/echo']);
  const cfg = JSON.parse((await getJson(kube, ['-n', 'demo', 'configmap', 'hookbridge-connector']))?.data['config.json']) as ConnectorConfig;
  assert.equal(cfg.subscriptions[0].destination.url, 'http://echo.demo.svc:9000/hooks', 'the connector pod calls the echo Service, not itself');
  assert.deepEqual(cfg.subscriptions[0].signing.secretFiles, ['secrets/echo-signing/secret'], 'the referenced signing secret is used, none generated');
  assert.equal(await getJson(kube, ['-n', 'demo', 'secret', 'echo-hookbridge-signing']), undefined);
});
