// The whole flow on a real kube-apiserver (+ kube-controller-manager) and a real RabbitMQ: the chart's
// CRDs, the operator, the receiver and the connector as local processes (no kubelet: the connector runs
// from exactly what the operator wrote into the API, materialised by test/e2e/lib/kubelet.ts), a
// destination in this process. kubectl apply → webhooks arrive byte-identical and signed → the token
// rotates under load with nothing lost → backlog and CONNECTED in `kubectl get whc` follow the connector.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { tokenSecretName } from '../../shared/api/v1alpha1.ts';
import type { ConnectorConfig } from '../../shared/config.ts';
import { CloseCode } from '../../shared/protocol.ts';
import { StreamClient } from '../../receiver/test-support.ts';
import { applyChannelAndSubscription } from '../harness/operator-apply.ts';
import type { Kube } from '../harness/kube.ts';
import { allArrived, assertDelivered, type Sent } from './lib/delivered.ts';
import { Destination, type Received } from './lib/destination.ts';
import { ContinuousPoster, postWebhook } from './lib/ingest.ts';
import { Kubelet } from './lib/kubelet.ts';
import { RotationObserver } from './lib/rotation-observer.ts';
import { Stack } from './lib/stack.ts';
import { verifyStandardWebhook } from './lib/standard-webhooks.ts';
import { columns } from './lib/views.ts';
import { postAll, sampleWebhooks } from './lib/samples.ts';
import { Steps } from './lib/steps.ts';
import { within } from './lib/wait.ts';

const RX_NS = 'hookbridge-system';
const NS = 'demo';
const CHANNEL = 'orders';
const SUB = 'sink';
const CONNECTOR = 'hookbridge-connector';
const GRACE_S = 20;
const N = 50;
const M = 20;

const stack = new Stack();
const dest = new Destination();
let kubelet: Kubelet;
let ingestUrl: string;
let streamUrl: string;
let signingSecret: string;
/** Every id the receiver answered 202 for, across all steps. */
const posted = new Set<string>();
/** Shared by the rotation steps. */
const rotation = { start: 0, oldToken: '', newToken: '', probeCode: -1, receiverListedAfterMs: NaN, logOffset: 0, poster: new ContinuousPoster() };

const channelStatus = async (): Promise<{ backlog?: number; connectedConnectors?: number; url?: string }> =>
  (await stack.getJson(['-n', NS, 'whc', CHANNEL])).status ?? {};
/** The printer columns of `kubectl get whc` (what a person reads). */
const whcColumns = async (): Promise<Record<string, string>> => columns(await stack.kubectl(['get', 'whc', CHANNEL, '-n', NS]));
const tokenInSecret = (): Promise<string> => stack.secretValue(NS, tokenSecretName(SUB), 'token');

before(async () => {
  await dest.listen();
  try {
    await stack.start({ receiverNamespace: RX_NS, namespaces: [NS] });
  } catch (err) {
    steps.broken = 'start-up';
    process.stderr.write(`\n=== start-up failed\n${stack.procs.tails()}\n`);
    throw err;
  }
});

after(async () => {
  await rotation.poster.stop();
  await kubelet?.stop();
  await stack.stop();
  await dest.close();
});

/** One step of the flow: runs only on the world the previous steps built; on failure, shows the logs. */
const steps = new Steps(() => stack.procs.tails());
const step = steps.step.bind(steps);

step('kubectl apply a channel and a subscription → Ready; the connector runs from what the operator wrote', async () => {
  await applyChannelAndSubscription(stack.kube as Kube, {
    ns: NS, createNamespace: false, waitTimeout: '90s',
    channel: CHANNEL, channelSpec: { eventType: { jsonPointer: '/type' }, tokenRotation: { interval: '720h', gracePeriod: `${GRACE_S}s` } },
    subscription: SUB, subscriptionSpec: { destination: { url: `${dest.url}/hooks` } },
  });
  ingestUrl = (await channelStatus()).url as string;
  assert.equal(ingestUrl, `${stack.receiverUrl}/webhook/${NS}/${CHANNEL}`, 'status.url is the public ingest URL');
  streamUrl = `${stack.receiverUrl.replace('http', 'ws')}/connect/stream/${NS}/${CHANNEL}?window=1`;

  const config = JSON.parse((await stack.getJson(['-n', NS, 'configmap', CONNECTOR])).data['config.json']) as ConnectorConfig;
  assert.equal(config.receiverUrl, stack.receiverUrl, 'connectors dial the receiver URL the operator was given');
  assert.equal(config.subscriptions.length, 1);
  const sub = config.subscriptions[0];
  assert.deepEqual([sub.namespace, sub.name, sub.channel], [NS, SUB, { namespace: NS, name: CHANNEL }]);
  assert.equal(sub.destination.url, `${dest.url}/hooks`);
  assert.equal(sub.signing.scheme, 'standard-webhooks');

  // The signing secret for the independent verifier: the Secret the Deployment projects at the config's signing path.
  type Projection = { secret?: { name: string; items?: { key: string; path: string }[] } };
  const dep = await stack.getJson(['-n', NS, 'deployment', CONNECTOR]);
  const sources = (dep.spec.template.spec.volumes as { projected?: { sources: Projection[] } }[]).flatMap((v) => v.projected?.sources ?? []);
  const signing = sources.find((s) => s.secret?.items?.some((i) => i.path === sub.signing.secretFiles[0]))?.secret;
  assert.ok(signing, `a projected Secret provides ${sub.signing.secretFiles[0]}`);
  const key = signing.items?.find((i) => i.path === sub.signing.secretFiles[0])?.key as string;
  signingSecret = await stack.secretValue(NS, signing.name, key);
  assert.match(signingSecret, /^whsec_/);
  assert.ok(sources.some((s) => s.secret?.name === tokenSecretName(SUB)), 'the token Secret is projected');

  kubelet = new Kubelet({ kubeconfig: stack.kubeconfig, namespace: NS, deployment: CONNECTOR, root: path.join(stack.tmp, 'pod') });
  await kubelet.start();
  assert.equal(kubelet.args[0], 'connector');
  await stack.startConnector(kubelet.args);
  await stack.until('CONNECTED 1 in the channel status', async () => (await channelStatus()).connectedConnectors === 1);
});

step(`${N} JSON webhooks and a binary one: all 202, all delivered byte-identical with a valid Standard Webhooks signature`, async () => {
  const sent = await postAll(ingestUrl, sampleWebhooks(N));
  for (const id of sent.keys()) posted.add(id);
  assert.equal(sent.size, N + 1);
  await stack.until(`all ${N + 1} at the destination`, () => allArrived(dest, sent.keys()));
  assertDelivered(dest, sent, signingSecret);
  assert.deepEqual([...dest.byId().keys()].filter((id) => !sent.has(id)), [], 'nothing else arrived');
  const first = dest.byId().get([...sent.keys()][0]) as Received;
  assert.equal(first.headers['x-hookbridge-event-type'], 'invoice.paid');
  assert.throws(() => verifyStandardWebhook(signingSecret, first.headers, Buffer.concat([first.body, Buffer.from(' ')]), first.at), /no v1 signature/,
    'the verifier is not vacuous: a changed body fails');
});

step('rotate the token with the annotation under load: new Secret, the connector reconnects with it, the old token still works', async () => {
  rotation.oldToken = await tokenInSecret();
  const reconnectsBefore = await stack.connectorMetric('hookbridge_connector_reconnects_total');
  const writesBefore = kubelet.writes.length;
  rotation.logOffset = stack.procs.log('connector').length;
  rotation.poster.start(ingestUrl, (n) => Buffer.from(JSON.stringify({ type: 'invoice.paid', phase: 'rotation', n })));
  await stack.until('webhooks flowing before the rotation', () => rotation.poster.accepted.size >= 10);
  rotation.start = Date.now();

  // From the moment a client could read the new token it must be accepted: RotationObserver probes then.
  const observer = await new RotationObserver({
    kubeconfig: stack.kubeconfig, streamUrl, oldToken: rotation.oldToken,
    tokenSecret: { namespace: NS, name: tokenSecretName(SUB) }, receiverConfig: { namespace: RX_NS, name: `hookbridge-channel.${NS}.${CHANNEL}` },
  }).start();
  try {
    await stack.kubectl(['annotate', 'whc', CHANNEL, '-n', NS, 'hookbridge.io/rotate-token=e2e-1']);
    const seen = await observer.seen();
    Object.assign(rotation, { newToken: seen.token, probeCode: seen.probeCode, receiverListedAfterMs: seen.receiverListedAfterMs });
  } finally {
    observer.stop();
  }
  assert.match(rotation.newToken, /^hbt_/);
  assert.equal(await tokenInSecret(), rotation.newToken);
  await stack.until('the kubelet stand-in rewrote the projected token', () => kubelet.writes.slice(writesBefore).some((w) => w.volume === 'secrets'));
  await stack.until('the connector reconnected with the new token', async () =>
    (await stack.connectorMetric('hookbridge_connector_reconnects_total')) > reconnectsBefore && (await stack.connectorMetric('hookbridge_connector_connected')) === 1);
  assert.match(stack.procs.log('connector'), /token file changed: reconnecting with the new token/);
  assert.ok(Date.now() - rotation.start < GRACE_S * 1000, 'still inside the grace period');
});

step(`the old token is accepted until the ${GRACE_S}s grace period ends, then refused and its stream closed with 4001; nothing lost`, async (t) => {
  const held = new StreamClient(streamUrl, rotation.oldToken);
  await within('hello on a stream with the old token', held.until((c) => c.frames[0]?.type === 'hello'), 10_000);
  assert.equal((held.frames[0] as { subscription?: string }).subscription, `${NS}/${SUB}`);
  assert.equal((await within('the old-token stream closed after the grace period', held.closed, (GRACE_S + 45) * 1000)).code, CloseCode.InvalidToken);
  assert.ok(Date.now() - rotation.start >= GRACE_S * 1000, 'not revoked before the grace period ended');
  const late = new StreamClient(streamUrl, rotation.oldToken);
  assert.equal((await within('a new stream with the old token refused', late.closed, 10_000)).code, CloseCode.InvalidToken);
  const fresh = new StreamClient(streamUrl, rotation.newToken);
  await within('the new token opens a stream', fresh.until((c) => c.frames[0]?.type === 'hello'), 10_000);
  fresh.close();
  await fresh.closed;

  const postedAtRevocation = rotation.poster.accepted.size;
  await stack.until('webhooks keep flowing after the revocation', () => rotation.poster.accepted.size >= postedAtRevocation + 20);
  await rotation.poster.stop();
  const { accepted, refused } = rotation.poster;
  for (const id of accepted.keys()) posted.add(id);
  assert.deepEqual(refused, [], 'every webhook posted across the rotation got a 202');
  assert.ok(accepted.size >= 50, `a continuous stream of webhooks across the rotation (${accepted.size})`);
  await stack.until(`all ${accepted.size} webhooks posted across the rotation delivered`, () => allArrived(dest, accepted.keys()));
  assertDelivered(dest, new Map([...accepted].map(([id, body]) => [id, { body, contentType: 'application/json' }])), signingSecret);
  assert.equal(await stack.connectorMetric('hookbridge_connector_connected'), 1, 'the connector stayed connected, on its new token');
  for (const name of ['operator', 'receiver', 'connector']) {
    const log = stack.procs.log(name);
    assert.ok(![rotation.oldToken, rotation.newToken, signingSecret].some((s) => log.includes(s)), `no token or signing secret in the ${name} log`);
  }

  const arrivals = dest.requests.filter((r) => r.at >= rotation.start).map((r) => r.at);
  const longestGapMs = Math.max(...arrivals.slice(1).map((at, i) => at - arrivals[i]));
  t.diagnostic(`rotation: ${accepted.size} webhooks posted across it, all delivered; ${dest.requests.length - dest.byId().size} duplicate deliveries so far; ` +
    `receiver config listed the new token ${rotation.receiverListedAfterMs} ms after the token Secret held it; longest delivery gap ${longestGapMs} ms`);
});

// Not a step: it only reads what the rotation steps recorded, so the flow goes on when it fails.
test('rotation is seamless: the receiver accepts a new token as soon as a client can read it, so the connector is never refused', () => {
  assert.notEqual(rotation.newToken, '', 'the rotation step ran');
  assert.equal(rotation.probeCode, 0, `a stream with the new token, opened as soon as the token Secret held it, was closed with ${rotation.probeCode} ` +
    `(the receiver config listed it ${rotation.receiverListedAfterMs} ms after the token Secret held it)`);
  const refusals = stack.procs.log('connector').slice(rotation.logOffset).match(/invalid or revoked token \(4001\)/g) ?? [];
  assert.equal(refusals.length, 0, 'the connector was refused with 4001 while reconnecting with the new token');
});

step(`connector stopped: ${M} webhooks wait as backlog with CONNECTED 0; restarted: the backlog drains, CONNECTED 1`, async (t) => {
  assert.equal(await stack.procs.stop('connector'), 0, 'the connector exits 0 on SIGTERM');
  await stack.until('CONNECTED 0 in the channel status', async () => (await channelStatus()).connectedConnectors === 0);
  const sent = new Map<string, Sent>();
  for (let i = 0; i < M; i++) {
    const body = Buffer.from(JSON.stringify({ type: 'invoice.paid', phase: 'backlog', n: i }));
    const r = await postWebhook(ingestUrl, body, 'application/json');
    assert.equal(r.status, 202, r.body);
    sent.set(r.id as string, { body, contentType: 'application/json' });
    posted.add(r.id as string);
  }
  const postedAt = Date.now();
  await stack.until(`BACKLOG >= ${M} and CONNECTED 0 in the channel status`, async () => {
    const st = await channelStatus();
    return (st.backlog ?? 0) >= M && st.connectedConnectors === 0;
  });
  const cols = await whcColumns();
  assert.equal(cols.READY, 'True');
  assert.equal(cols.CONNECTED, '0');
  assert.ok(Number(cols.BACKLOG) >= M, `BACKLOG column ${cols.BACKLOG}`);
  assert.ok(Number((await stack.getJson(['-n', NS, 'whsub', SUB])).status.backlog) >= M, 'the Subscription shows the backlog too');
  const shownAfterMs = Date.now() - postedAt;
  assert.ok(![...sent.keys()].some((id) => dest.byId().has(id)), 'nothing delivered without a connector');

  await stack.startConnector(kubelet.args);
  const restartedAt = Date.now();
  await stack.until('BACKLOG 0 and CONNECTED 1 in the channel status', async () => {
    const st = await channelStatus();
    return st.backlog === 0 && st.connectedConnectors === 1;
  });
  await stack.until(`all ${M} delivered`, () => allArrived(dest, sent.keys()));
  assertDelivered(dest, sent, signingSecret);
  const drained = await whcColumns();
  assert.deepEqual([drained.CONNECTED, drained.BACKLOG, drained.DLQ], ['1', '0', '0']);
  assert.equal((await stack.getJson(['-n', NS, 'whsub', SUB])).status.backlog, 0);
  assert.deepEqual(new Set(dest.byId().keys()), posted, 'the destination got exactly the messages the receiver accepted');
  t.diagnostic(`backlog of ${M} shown in kubectl ${shownAfterMs} ms after posting; drained and CONNECTED 1 in status ${Date.now() - restartedAt} ms after the connector restarted; ` +
    `${posted.size} messages in the run, ${dest.requests.length - posted.size} duplicate deliveries`);
});
