// The cluster tier: Hookbridge the way users run it. A real single-node Kubernetes (kubelet on containerd
// + runc, CNI bridge, kube-proxy, CoreDNS, scheduler, every default controller), the image built from our
// Dockerfile, `helm install` with the chart defaults (2 receivers, 2 operators with leader election),
// RabbitMQ outside the cluster behind a Service, and a destination Deployment + Service in the cluster.
// Every step runs on the world the previous ones built; a failed step prints the pods' logs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { tokenSecretName } from '../../shared/api/v1alpha1.ts';
import { CloseCode } from '../../shared/protocol.ts';
import { StreamClient } from '../../receiver/test-support.ts';
import { NODE_IP, startCluster, type Cluster } from '../harness/cluster/cluster.ts';
import { installHookbridge, ok, type Installed } from '../harness/cluster/hookbridge.ts';
import { allArrived, assertDelivered, type Sent } from '../e2e/lib/delivered.ts';
import { Destination } from '../e2e/lib/destination.ts';
import { ContinuousPoster, postWebhook, type Posted } from '../e2e/lib/ingest.ts';
import { verifyStandardWebhook } from '../e2e/lib/standard-webhooks.ts';
import { columns, metricSum } from '../e2e/lib/views.ts';
import { sampleWebhooks, postAll } from '../e2e/lib/samples.ts';
import { Steps } from '../e2e/lib/steps.ts';
import { eventually, within } from '../harness/eventually.ts';
import { recorderManifest } from './lib/recorder.ts';
import { channelPairManifest } from './lib/channel.ts';

const NS = 'demo';
const CHANNEL = 'orders';
const SUB = 'sink';
const GRACE_S = 20;
const N = 50;
const M = 20;

let cluster: Cluster;
let hb: Installed;
const dest = new Destination();
let receiverUrl = '';
let ingestUrl = '';
let signingSecret = '';
let connector = '';
/** Every id the receiver answered 202 for, across all steps. */
const posted = new Set<string>();

const kubectl = (args: string[], input?: string): Promise<string> => ok(cluster.kubectl(args, input), `kubectl ${args.join(' ')}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const getJson = async (args: string[]): Promise<any> => JSON.parse(await kubectl(['get', ...args, '-o', 'json']));
const channelStatus = async (): Promise<{ backlog?: number; connectedConnectors?: number; deadLettered?: number; url?: string }> =>
  (await getJson(['-n', NS, 'whc', CHANNEL])).status ?? {};
const whcColumns = async (): Promise<Record<string, string>> => columns(await kubectl(['get', 'whc', CHANNEL, '-n', NS]));
const secretValue = async (ns: string, name: string, key: string): Promise<string> =>
  Buffer.from((await getJson(['-n', ns, 'secret', name])).data[key], 'base64').toString('utf8');
const until = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000): Promise<T> =>
  eventually(probe, { message: what, timeoutMs, intervalMs: 500 });

/** Pod IPs of the receiver pods that are Ready. */
async function receiverPods(): Promise<{ name: string; ip: string }[]> {
  const list = await getJson(['-n', hb.namespace, 'pods', '-l', 'app.kubernetes.io/component=receiver']);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return list.items.filter((p: any) => p.metadata.deletionTimestamp === undefined && p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    .map((p: any) => ({ name: p.metadata.name, ip: p.status.podIP }));
}

/** Open connector streams as the receivers themselves count them, summed over every receiver pod. */
async function streamsOnReceivers(): Promise<number> {
  let sum = 0;
  for (const pod of await receiverPods()) {
    const text = await (await fetch(`http://${pod.ip}:8080/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    sum += metricSum(text.split('\n').filter((l) => l.includes(`channel="${CHANNEL}"`) || !l.startsWith('hookbridge_connected_connectors')).join('\n'),
      'hookbridge_connected_connectors');
  }
  return sum;
}

function dumpLogs(): string {
  const out: string[] = [];
  for (const [ns, prefix, container] of [[hb?.namespace, `${hb?.release}-operator`, 'operator'], [hb?.namespace, `${hb?.release}-receiver`, 'receiver'],
    [NS, 'hookbridge-connector', 'connector'], [NS, 'recorder', 'recorder']] as const) {
    try {
      for (const dir of cluster.podDirs(ns ?? '', prefix)) out.push(`--- ${dir}\n${cluster.podLog(dir, container).split('\n').slice(-30).join('\n')}`);
    } catch { /* no such pod */ }
  }
  return out.join('\n');
}

const steps = new Steps(dumpLogs);
const step = steps.step.bind(steps);

before(async () => {
  const began = Date.now();
  cluster = await startCluster();
  const clusterMs = Date.now() - began;
  hb = await installHookbridge(cluster);
  receiverUrl = await hb.receiverUrl();
  await dest.listen(NODE_IP);
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['apply', '-f', '-'], recorderManifest(cluster, NS, new URL(dest.url)));
  await kubectl(['-n', NS, 'rollout', 'status', 'deployment/recorder', '--timeout=120s']);
  process.stderr.write(`cluster up in ${Math.round(clusterMs / 1000)} s, Hookbridge installed ${Math.round((Date.now() - began - clusterMs) / 1000)} s later\n`);
}, { timeout: 1_200_000 });

after(async () => {
  await dest.close().catch(() => undefined);
  await hb?.rabbit.dispose().catch(() => undefined);
  await cluster?.stop();
});

step('the chart runs every pod from the image built from our Dockerfile, pulled from nowhere', async () => {
  const pods = await getJson(['-n', hb.namespace, 'pods']);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const images = new Set<string>(pods.items.flatMap((p: any) => p.spec.containers.map((c: any) => c.image)));
  assert.deepEqual([...images], [cluster.images.hookbridge]);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const byComponent = (c: string): number => pods.items.filter((p: any) => p.metadata.labels['app.kubernetes.io/component'] === c).length;
  assert.equal(byComponent('receiver'), 2, 'the chart default: 2 receivers');
  assert.equal(byComponent('operator'), 2, 'the chart default: 2 operators');
  const events = await kubectl(['get', 'events', '-A', '--field-selector', 'reason=Pulling', '-o', 'name']);
  assert.equal(events.trim(), '', 'no image was pulled');
});

step('kubectl apply a channel and a subscription to a Service → Ready; the connector Deployment becomes Available', async () => {
  await kubectl(['apply', '-f', '-'], channelPairManifest({ namespace: NS, channel: CHANNEL, subscription: SUB, graceSeconds: GRACE_S, destination: { service: { name: 'recorder', port: 9000, path: '/hooks' } } }));
  await kubectl(['-n', NS, 'wait', '--for=condition=Ready', `whc/${CHANNEL}`, `whsub/${SUB}`, '--timeout=180s']);
  connector = (await getJson(['-n', NS, 'whsub', SUB])).status.connector;
  assert.ok(connector, 'status.connector names the Deployment');
  await kubectl(['-n', NS, 'wait', '--for=condition=Available', `deployment/${connector}`, '--timeout=180s']);
  ingestUrl = `${receiverUrl}/webhook/${NS}/${CHANNEL}`;
  assert.equal((await channelStatus()).url, `http://${hb.release}-receiver.${hb.namespace}.svc:8080/webhook/${NS}/${CHANNEL}`);

  type Projection = { secret?: { name: string; items?: { key: string; path: string }[] } };
  const dep = await getJson(['-n', NS, 'deployment', connector]);
  const sources = (dep.spec.template.spec.volumes as { projected?: { sources: Projection[] } }[]).flatMap((v) => v.projected?.sources ?? []);
  const signing = sources.map((s) => s.secret).find((s) => s && s.name !== tokenSecretName(SUB));
  assert.ok(signing?.items?.[0], 'a projected signing Secret');
  signingSecret = await secretValue(NS, signing.name, signing.items[0].key);
  assert.match(signingSecret, /^whsec_/);
});

step(`${N} JSON webhooks and a binary one posted to the receiver Service: all delivered to the pod behind the destination Service, byte-identical and signed`, async () => {
  const sent = await postAll(ingestUrl, sampleWebhooks(N));
  for (const id of sent.keys()) posted.add(id);
  await until(`all ${N + 1} at the destination`, () => allArrived(dest, sent.keys()));
  assertDelivered(dest, sent, signingSecret);
  const first = dest.byId().get([...sent.keys()][0]);
  assert.match(String(first?.headers['x-recorded-by']), /^recorder-/, 'it went through the destination pod');
  assert.throws(() => first && verifyStandardWebhook(signingSecret, first.headers, Buffer.concat([first.body, Buffer.from(' ')]), first.at), /no v1 signature/);
});

// Not a step: it only reads the status, so the flow goes on when it fails.
test('kubectl get whc with 2 receivers: CONNECTED counts the streams on every receiver pod, every time it is read', async (t) => {
  assert.equal(steps.broken, undefined, `an earlier step failed (${steps.broken})`);
  const pods = await receiverPods();
  assert.equal(pods.length, 2);
  const streams = await until('the connector streams counted by the receivers', async () => { const n = await streamsOnReceivers(); return n > 0 && n; });
  // Right after Ready the column is empty until the operator's first stats round: wait for a figure.
  await until('a CONNECTED figure in the status', async () => (await channelStatus()).connectedConnectors !== undefined);
  // Read several times over a minute: a status read from one receiver at a time is right only by luck.
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    seen.push((await channelStatus()).connectedConnectors ?? -1);
    await new Promise((r) => setTimeout(r, 10_000)); // samples over a minute on purpose (not a wait for I/O)
  }
  assert.deepEqual(seen, seen.map(() => streams), `status.connectedConnectors over a minute vs ${streams} streams on the receivers`);
  assert.equal((await whcColumns()).CONNECTED, String(streams));
  t.diagnostic(`CONNECTED ${streams} over ${pods.length} receivers`);
});

step(`destination down: ${M} webhooks wait as BACKLOG in kubectl get whc; destination back: the backlog drains; a 410 shows as DLQ 1`, async (t) => {
  await kubectl(['-n', NS, 'scale', 'deployment/recorder', '--replicas=0']);
  await until('no recorder pod', async () => (await getJson(['-n', NS, 'pods', '-l', 'app=recorder'])).items.length === 0);
  const sent = new Map<string, Sent>();
  for (let i = 0; i < M; i++) {
    const body = Buffer.from(JSON.stringify({ type: 'invoice.paid', phase: 'backlog', n: i }));
    const r = await postWebhook(ingestUrl, body, 'application/json');
    assert.equal(r.status, 202, r.body);
    sent.set(r.id as string, { body, contentType: 'application/json' });
    posted.add(r.id as string);
  }
  await until(`BACKLOG >= ${M} while the destination is down`, async () => ((await channelStatus()).backlog ?? 0) >= M);
  const down = await whcColumns();
  assert.ok(Number(down.BACKLOG) >= M, `BACKLOG column ${down.BACKLOG}`);
  assert.equal(down.DLQ, '0');
  assert.ok(![...sent.keys()].some((id) => dest.byId().has(id)), 'nothing delivered while the destination is down');

  await kubectl(['-n', NS, 'scale', 'deployment/recorder', '--replicas=1']);
  const upAt = Date.now();
  await until(`all ${M} delivered once the destination is back`, () => allArrived(dest, sent.keys()), 180_000);
  assertDelivered(dest, sent, signingSecret);
  await until('BACKLOG 0 in the channel status', async () => (await channelStatus()).backlog === 0);
  const drained = await whcColumns();
  assert.deepEqual([drained.BACKLOG, drained.DLQ], ['0', '0']);
  const drainedMs = Date.now() - upAt;

  // A destination that answers 410 Gone: the message is dead-lettered at once, and DLQ shows it (the
  // broker's count, read once over the 2 receivers, not once per receiver).
  dest.respond = (r) => r.body.includes('dead-letter-me') ? 410 : 204;
  try {
    const r = await postWebhook(ingestUrl, JSON.stringify({ type: 'invoice.paid', note: 'dead-letter-me' }), 'application/json');
    assert.equal(r.status, 202, r.body);
    await until('DLQ 1 in the channel and the subscription status', async () =>
      (await channelStatus()).deadLettered === 1 && (await getJson(['-n', NS, 'whsub', SUB])).status.deadLettered === 1);
    assert.equal((await whcColumns()).DLQ, '1');
  } finally {
    dest.respond = () => 204;
  }
  t.diagnostic(`backlog of ${M} drained ${drainedMs} ms after the destination came back; a 410 showed as DLQ 1`);
});

step('under continuous load: a receiver pod, the connector pod and the operator leader deleted, then a helm upgrade that rolls every Deployment; every 202 delivered', async (t) => {
  const poster = new ContinuousPoster().start(ingestUrl, (n) => Buffer.from(JSON.stringify({ type: 'invoice.paid', phase: 'chaos', n })), 20);
  try {
    await until('load flowing', () => poster.accepted.size >= 20);
    const rx = (await receiverPods())[0];
    await kubectl(['-n', hb.namespace, 'delete', 'pod', rx.name, '--wait=false']);
    await kubectl(['-n', hb.namespace, 'rollout', 'status', `deployment/${hb.release}-receiver`, '--timeout=180s']);
    const conn = (await getJson(['-n', NS, 'pods', '-l', `app.kubernetes.io/component=connector`])).items;
    assert.ok(conn.length >= 1, 'a connector pod');
    await kubectl(['-n', NS, 'delete', 'pod', conn[0].metadata.name, '--wait=false']);
    await kubectl(['-n', NS, 'rollout', 'status', `deployment/${connector}`, '--timeout=180s']);
    const lease = await getJson(['-n', hb.namespace, 'lease', 'hookbridge-operator']);
    const leader = String(lease.spec.holderIdentity).split('_')[0];
    await kubectl(['-n', hb.namespace, 'delete', 'pod', leader, '--wait=false']);
    await until('a new operator leader', async () => {
      const holder = String((await getJson(['-n', hb.namespace, 'lease', 'hookbridge-operator'])).spec.holderIdentity ?? '');
      return holder !== '' && !holder.startsWith(leader);
    }, 180_000);
    // The upgrade moves every Deployment to another tag of the same image: receivers, operators, and the
    // connector Deployments the operator writes.
    const ref = cluster.images.hookbridge;
    const rolled = `${ref}-rolled`;
    await ok(cluster.ctr(['images', 'tag', '--force', ref, rolled]), 'ctr images tag');
    const before = (await getJson(['-n', NS, 'deployment', connector])).metadata.generation;
    await hb.upgrade(['--set', `image.tag=${rolled.slice(rolled.lastIndexOf(':') + 1)}`]);
    await until('the connector Deployment rolled to the new tag', async () => {
      const d = await getJson(['-n', NS, 'deployment', connector]);
      return d.metadata.generation > before && d.spec.template.spec.containers[0].image === rolled &&
        d.status.updatedReplicas === d.spec.replicas && d.status.availableReplicas === d.spec.replicas && d.status.replicas === d.spec.replicas;
    }, 240_000);
    await until('load still flowing after the upgrade', async () => { const n = poster.accepted.size; await new Promise((r) => setTimeout(r, 2_000)); return poster.accepted.size > n; });
  } finally {
    await poster.stop();
  }
  const { accepted, refused } = poster;
  for (const id of accepted.keys()) posted.add(id);
  const unclean = refused.filter((r: Posted) => !(r.status === 0 || (r.status === 503 && /"error"/.test(r.body))));
  assert.deepEqual(unclean, [], 'every refusal is a connection error or a JSON 503');
  await until(`all ${accepted.size} accepted under chaos delivered`, () => allArrived(dest, accepted.keys()), 300_000);
  assertDelivered(dest, new Map([...accepted].map(([id, body]) => [id, { body, contentType: 'application/json' }])), signingSecret);
  const withoutId = dest.requests.filter((r) => typeof r.headers['webhook-id'] !== 'string');
  assert.equal(withoutId.length, 0, 'every delivery carries its message id (a duplicate is the same id)');
  t.diagnostic(`chaos: ${accepted.size} accepted and all delivered, ${refused.length} refused (connection errors or 503), ` +
    `${dest.requests.length - dest.byId().size} duplicate deliveries so far`);
});

step(`token rotated by annotation under load; the kubelet refreshes the projected Secret; old token refused after ${GRACE_S}s; nothing lost`, async (t) => {
  const oldToken = await secretValue(NS, tokenSecretName(SUB), 'token');
  const poster = new ContinuousPoster().start(ingestUrl, (n) => Buffer.from(JSON.stringify({ type: 'invoice.paid', phase: 'rotation', n })), 25);
  const streamUrl = `${receiverUrl.replace('http', 'ws')}/connect/stream/${NS}/${CHANNEL}?window=1`;
  let revokedAt = 0;
  const start = Date.now();
  try {
    await until('load flowing', () => poster.accepted.size >= 10);
    await kubectl(['annotate', 'whc', CHANNEL, '-n', NS, '--overwrite', `hookbridge.io/rotate-token=cluster-${Date.now()}`]);
    const newToken = await until('a new token in the Secret', async () => { const v = await secretValue(NS, tokenSecretName(SUB), 'token'); return v !== oldToken && v; });
    assert.match(newToken, /^hbt_/);
    const held = new StreamClient(streamUrl, oldToken);
    const closed = await within('the old token refused after the grace period', held.closed, (GRACE_S + 90) * 1000);
    revokedAt = Date.now();
    assert.equal(closed.code, CloseCode.InvalidToken);
    assert.ok(revokedAt - start >= GRACE_S * 1000, 'not revoked before the grace period ended');
    const late = new StreamClient(streamUrl, oldToken);
    assert.equal((await within('a new stream with the old token refused', late.closed, 15_000)).code, CloseCode.InvalidToken);
    const countBefore = poster.accepted.size;
    await until('webhooks keep flowing after the revocation', () => poster.accepted.size >= countBefore + 20);
  } finally {
    await poster.stop();
  }
  const { accepted, refused } = poster;
  for (const id of accepted.keys()) posted.add(id);
  assert.deepEqual(refused, [], 'every webhook across the rotation got a 202');
  await until(`all ${accepted.size} posted across the rotation delivered`, () => allArrived(dest, accepted.keys()), 180_000);
  assertDelivered(dest, new Map([...accepted].map(([id, body]) => [id, { body, contentType: 'application/json' }])), signingSecret);
  // The connector pod reads the token from its projected volume: it only got the new one through the kubelet.
  assert.ok((await streamsOnReceivers()) >= 1, 'the connector is connected, with the new token');
  t.diagnostic(`rotation: ${accepted.size} posted across it, all delivered; old token refused ${revokedAt - start} ms after the annotation`);
});

step('kubectl apply -f examples/ works on the cluster as the README says: the echo Deployment gets the webhook, signature valid', async (t) => {
  const examples = new URL('../../examples/', import.meta.url).pathname;
  await kubectl(['apply', '-f', examples]);
  await kubectl(['-n', 'demo', 'wait', '--for=condition=Ready', 'whc/github', 'whsub/echo', '--timeout=180s']);
  await kubectl(['-n', 'demo', 'rollout', 'status', 'deployment/echo', '--timeout=180s']);
  const url = `${receiverUrl}/webhook/demo/github`;
  const marker = `examples-${randomBytes(6).toString('hex')}`;
  const echoLog = (): string => cluster.podDirs('demo', 'echo-').map((d) => cluster.podLog(d)).join('');
  // The connector picks the new Subscription up from its ConfigMap; until then the message waits in its queue.
  const r = await postWebhook(url, JSON.stringify({ hello: marker }), 'application/json', { 'x-github-event': 'push' });
  assert.equal(r.status, 202, r.body);
  const line = await until('the echo pod printed the delivery with a valid signature', () => {
    const log = echoLog();
    const at = log.indexOf(marker);
    return at >= 0 && /signature: (✓ valid|✗ INVALID)[^\n]*/.exec(log.slice(at))?.[0];
  }, 180_000);
  assert.match(line, /✓ valid/);
  t.diagnostic(`echo: ${line}`);
});

step('helm test passes', async () => {
  await ok(hb.helm(['test', hb.release, '-n', hb.namespace, '--timeout', '4m']), 'helm test');
});

step('no token or signing secret in any pod log', async () => {
  const token = await secretValue(NS, tokenSecretName(SUB), 'token');
  for (const [ns, prefix] of [[hb.namespace, `${hb.release}-receiver`], [hb.namespace, `${hb.release}-operator`], [NS, 'hookbridge-connector']] as const) {
    const dirs = cluster.podDirs(ns, prefix);
    const text = dirs.map((d) => cluster.podLog(d)).join('');
    assert.ok(text.length > 0, `the ${prefix} pods have logs (${dirs.length} on the node)`);
    for (const secret of [token, signingSecret]) assert.ok(!text.includes(secret), `a secret in the ${prefix} logs`);
  }
});

step('delete the channels, then helm uninstall: nothing of Hookbridge is left but the CRDs (kept by Helm, as docs/install.md says)', async (t) => {
  await kubectl(['delete', 'subscriptions.hookbridge.io,webhookchannels.hookbridge.io', '-A', '--all', '--timeout=120s']);
  await hb.uninstall();
  const kinds = 'deployments,replicasets,pods,services,configmaps,secrets,serviceaccounts,roles,rolebindings,leases,poddisruptionbudgets';
  const left = await until('every Hookbridge object gone', async () => {
    const names = (await kubectl(['get', kinds, '-A', '-l', 'app.kubernetes.io/part-of=hookbridge', '-o', 'name'])).trim();
    const inRelease = (await kubectl(['get', kinds, '-n', hb.namespace, '-o', 'name'])).trim().split('\n')
      .filter((n) => n && !/\/(rabbitmq|hookbridge-rabbitmq|kube-root-ca\.crt|default)$/.test(n) && !n.startsWith('endpointslice'));
    return names === '' && inRelease.length === 0 ? 'clean' : undefined;
  }, 180_000).catch(async (err: Error) => {
    const all = await kubectl(['get', kinds, '-n', hb.namespace, '-o', 'name']);
    throw new Error(`${err.message}\nleft in ${hb.namespace}:\n${all}`);
  });
  const cluster_ = (await kubectl(['get', 'clusterroles,clusterrolebindings', '-o', 'name'])).split('\n').filter((n) => n.includes('hookbridge'));
  assert.deepEqual(cluster_, [], 'no cluster-wide RBAC left');
  const crds = (await kubectl(['get', 'crd', '-o', 'name'])).split('\n').filter((n) => n.includes('hookbridge.io'));
  assert.equal(crds.length, 2, 'the CRDs stay (Helm never deletes crds/)');
  t.diagnostic(`after uninstall: ${left}; kept: ${crds.join(', ')}`);
});
