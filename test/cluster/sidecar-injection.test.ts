// Connector sidecars (issue 11) on the real node: the chart installed with
// operator.sidecarInjection.enabled=true, a Subscription with destination.sidecar, and an application
// Deployment annotated hookbridge.io/inject. The application is our own image running a small HTTP server
// on port 9000 that hands every request it gets to the test's Destination (lib/recorder.ts), so the test
// counts every delivery by message id, and sees which pod it went through.
// Every step runs on the world the previous ones built; a failed step prints the pods' logs.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before } from 'node:test';
import { signingSecretName } from '../../shared/api/compile.ts';
import { tokenSecretName } from '../../shared/api/v1alpha1.ts';
import { CloseCode } from '../../shared/protocol.ts';
import { StreamClient } from '../../receiver/test-support.ts';
import { NODE_IP, startCluster, type Cluster } from '../harness/cluster/cluster.ts';
import { installHookbridge, ok, type Installed } from '../harness/cluster/hookbridge.ts';
import { allArrived, assertDelivered, type Sent } from '../e2e/lib/delivered.ts';
import { Destination } from '../e2e/lib/destination.ts';
import { ContinuousPoster, type Posted } from '../e2e/lib/ingest.ts';
import { sampleWebhooks, postAll } from '../e2e/lib/samples.ts';
import { Steps } from '../e2e/lib/steps.ts';
import { eventually, within } from '../harness/eventually.ts';
import { PROXY } from './lib/recorder.ts';
import { channelPairManifest } from './lib/channel.ts';

const NS = 'shop';
const CHANNEL = 'payments';
const SUB = 'orders';
const APP = 'orders-api';
const GRACE_S = 20;
const N = 40;
const INJECT = 'hookbridge.io/inject';

let cluster: Cluster;
let hb: Installed;
const dest = new Destination();
let ingestUrl = '';
let receiverUrl = '';
let signingSecret = '';
let installedAt = 0;

const kubectl = (args: string[], input?: string): Promise<string> => ok(cluster.kubectl(args, input), `kubectl ${args.join(' ')}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const getJson = async (args: string[]): Promise<Json> => JSON.parse(await kubectl(['get', ...args, '-o', 'json']));
const secretValue = async (ns: string, name: string, key: string): Promise<string> =>
  Buffer.from((await getJson(['-n', ns, 'secret', name])).data[key], 'base64').toString('utf8');
const until = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000): Promise<T> =>
  eventually(probe, { message: what, timeoutMs, intervalMs: 500 });
const subStatus = async (): Promise<Json> => (await getJson(['-n', NS, 'whsub', SUB])).status ?? {};
const condition = (status: Json, type: string): Json => (status.conditions ?? []).find((c: Json) => c.type === type);
const operatorName = (): string => `${hb.release}-operator`;
const hasSidecar = (pod: Json): boolean =>
  (pod.spec.initContainers ?? []).some((c: Json) => c.name === 'hookbridge-connector' && c.restartPolicy === 'Always');

/** The app's pods that are not being deleted. */
async function appPods(): Promise<Json[]> {
  return (await getJson(['-n', NS, 'pods', '-l', `app=${APP}`])).items.filter((p: Json) => !p.metadata.deletionTimestamp);
}
const readyPods = async (): Promise<Json[]> =>
  (await appPods()).filter((p: Json) => p.status.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'));

/** The application: our image running the recorder proxy on :9000, annotated for injection. */
function appManifest(annotations: Record<string, string>): string {
  const collector = new URL(dest.url);
  return JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: APP, namespace: NS, labels: { app: APP } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: APP } },
      template: {
        metadata: { labels: { app: APP }, annotations },
        spec: {
          terminationGracePeriodSeconds: 10,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'app', image: cluster.images.hookbridge, imagePullPolicy: 'Never',
            command: ['/nodejs/bin/node', '-e', PROXY],
            env: [{ name: 'COLLECTOR_HOST', value: collector.hostname }, { name: 'COLLECTOR_PORT', value: collector.port }],
            ports: [{ name: 'http', containerPort: 9000 }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  });
}

/** A bare pod of the same app (no Deployment), with or without the annotation. */
function podManifest(name: string, annotations: Record<string, string>): string {
  const d = JSON.parse(appManifest(annotations));
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: `${APP}-bare` }, annotations }, spec: d.spec.template.spec });
}

function dumpLogs(): string {
  const out: string[] = [];
  for (const [ns, prefix, container] of [[hb?.namespace, operatorName(), 'operator'], [hb?.namespace, `${hb?.release}-receiver`, 'receiver'],
    [NS, APP, 'hookbridge-connector'], [NS, APP, 'app']] as const) {
    try {
      for (const dir of cluster.podDirs(ns ?? '', prefix)) out.push(`--- ${dir} ${container}\n${cluster.podLog(dir, container).split('\n').slice(-30).join('\n')}`);
    } catch { /* no such pod */ }
  }
  return out.join('\n');
}

/** Deliveries of `ids`: how many arrived, how many arrived more than once. */
function tally(ids: Iterable<string>): { sent: number; received: number; lost: number; duplicated: number } {
  const want = new Set(ids);
  const seen = new Map<string, number>();
  for (const r of dest.requests) {
    const id = r.headers['webhook-id'];
    if (typeof id === 'string' && want.has(id)) seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return { sent: want.size, received: seen.size, lost: want.size - seen.size, duplicated: [...seen.values()].filter((n) => n > 1).length };
}

async function underLoad(phase: string, during: (poster: ContinuousPoster) => Promise<void>): Promise<{ accepted: Map<string, Buffer>; refused: Posted[] }> {
  const poster = new ContinuousPoster().start(ingestUrl, (n) => Buffer.from(JSON.stringify({ type: 'order.created', phase, n })), 25);
  try {
    await until('load flowing', () => poster.accepted.size >= 10);
    await during(poster);
  } finally {
    await poster.stop();
  }
  return { accepted: poster.accepted, refused: poster.refused };
}

const steps = new Steps(dumpLogs);
const step = steps.step.bind(steps);

before(async () => {
  const began = Date.now();
  cluster = await startCluster();
  hb = await installHookbridge(cluster, { values: ['--set', 'operator.sidecarInjection.enabled=true'] });
  installedAt = Date.now();
  receiverUrl = await hb.receiverUrl();
  ingestUrl = `${receiverUrl}/webhook/${NS}/${CHANNEL}`;
  await dest.listen(NODE_IP);
  await kubectl(['create', 'namespace', NS]);
  process.stderr.write(`cluster up and Hookbridge installed with sidecar injection in ${Math.round((Date.now() - began) / 1000)} s\n`);
}, { timeout: 1_200_000 });

after(async () => {
  await dest.close().catch(() => undefined);
  await hb?.rabbit.dispose().catch(() => undefined);
  await cluster?.stop();
});

step('the operator stores the webhook certificate in a Secret and publishes its CA as the caBundle; the serving certificate names the webhook Service', async (t) => {
  const config = await until('a caBundle on the MutatingWebhookConfiguration', async () => {
    const c = await getJson(['mutatingwebhookconfiguration', `${operatorName()}-sidecar-injector`]);
    return c.webhooks[0].clientConfig.caBundle ? c : undefined;
  });
  const bundle = Buffer.from(config.webhooks[0].clientConfig.caBundle, 'base64').toString();
  const secret = `${operatorName()}-webhook-certificate`;
  const serving = new X509Certificate(await secretValue(hb.namespace, secret, 'tls.crt'));
  const ca = new X509Certificate(bundle);
  assert.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey), 'the stored serving certificate is signed by the published CA');
  assert.equal(serving.checkHost(`${operatorName()}-webhook.${hb.namespace}.svc`), `${operatorName()}-webhook.${hb.namespace}.svc`);
  const owner = (await getJson(['-n', hb.namespace, 'secret', secret])).metadata.ownerReferences?.[0];
  assert.equal(owner?.kind, 'MutatingWebhookConfiguration', 'the Secret goes with the configuration on uninstall');
  t.diagnostic(`caBundle published ${Date.now() - installedAt} ms after helm install returned; CA ${ca.subject}, serving ${serving.subject} until ${serving.validTo}`);
  // What the operators said about it (the pod logs on the node), for the record.
  const said = cluster.podDirs(hb.namespace, operatorName()).flatMap((d) => cluster.podLog(d, 'operator').split('\n'))
    .filter((l) => /webhook|leader|lease/i.test(l)).map((l) => l.slice(0, 300));
  t.diagnostic(said.join('\n'));
});

step('a sidecar Subscription binds; the hookbridge-sidecar ConfigMap lists it; with no pod it is not Ready (NoSidecars)', async () => {
  await kubectl(['apply', '-f', '-'], channelPairManifest({ namespace: NS, channel: CHANNEL, subscription: SUB, graceSeconds: GRACE_S, destination: { sidecar: { port: 9000, path: '/hooks' } } }));
  await kubectl(['-n', NS, 'wait', '--for=condition=Ready', `whc/${CHANNEL}`, '--timeout=180s']);
  await kubectl(['-n', NS, 'wait', '--for=condition=SecretsReady', `whsub/${SUB}`, '--timeout=180s']);
  const cm = await until('the hookbridge-sidecar ConfigMap', async () => (await cluster.kubectl(['-n', NS, 'get', 'configmap', 'hookbridge-sidecar', '-o', 'json'])).stdout || undefined);
  const config = JSON.parse(JSON.parse(cm).data['config.json']);
  assert.deepEqual(config.subscriptions.map((s: Json) => s.name), [SUB]);
  assert.match(config.subscriptions[0].destination.url, /^http:\/\/(localhost|127\.0\.0\.1):9000\/hooks$/);
  const st = await until('ConnectorReady False NoSidecars', async () => { const s = await subStatus(); return condition(s, 'ConnectorReady')?.reason === 'NoSidecars' && s; });
  assert.equal(condition(st, 'Ready').status, 'False');
  assert.equal(st.sidecars, 0);
  signingSecret = await secretValue(NS, signingSecretName(SUB), 'secret');
});

step('every operator replica answers for injection: server-side dry runs of an annotated pod come back injected, and leave no pod or event behind', async () => {
  // The Service spreads calls over both replicas; six in a row answered with a patch means both serve the published certificate.
  let row = 0;
  await until('six injected dry runs in a row', async () => {
    const pod = JSON.parse(await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], podManifest('dry-run', { [INJECT]: SUB })));
    row = hasSidecar(pod) ? row + 1 : 0;
    return row >= 6;
  });
  assert.equal((await getJson(['-n', NS, 'pods'])).items.length, 0, 'a dry run creates nothing');
});

step(`the annotated Deployment gets a native sidecar that delivers on localhost: ${N} webhooks arrive through the app, signed; status.sidecars 1, Ready`, async (t) => {
  await kubectl(['apply', '-f', '-'], appManifest({ [INJECT]: SUB }));
  await kubectl(['-n', NS, 'rollout', 'status', `deployment/${APP}`, '--timeout=180s']);
  const [pod] = await readyPods();
  assert.ok(hasSidecar(pod), 'the pod has the hookbridge-connector init container with restartPolicy Always');
  assert.equal(pod.metadata.labels['hookbridge.io/sidecar'], 'true');
  assert.equal(pod.metadata.annotations['hookbridge.io/injected'], SUB);
  const sidecar = pod.spec.initContainers.find((c: Json) => c.name === 'hookbridge-connector');
  assert.equal(sidecar.image, cluster.images.hookbridge, 'the sidecar runs our image');
  assert.equal(sidecar.securityContext.runAsNonRoot, true);
  const sent = await postAll(ingestUrl, sampleWebhooks(N));
  await until(`all ${N + 1} at the app`, () => allArrived(dest, sent.keys()), 180_000);
  assertDelivered(dest, sent, signingSecret);
  const first = dest.byId().get([...sent.keys()][0]);
  assert.equal(first?.headers['x-recorded-by'], pod.metadata.name, 'it went through the app in the injected pod');
  const st = await until('status.sidecars 1 and Ready', async () => { const s = await subStatus(); return s.sidecars === 1 && condition(s, 'Ready')?.status === 'True' && s; }, 120_000);
  t.diagnostic(`ConnectorReady: ${condition(st, 'ConnectorReady').reason}: ${condition(st, 'ConnectorReady').message}; ${tally(sent.keys()).duplicated} duplicates`);
});

step('under load the Deployment scales 1 → 3 → 1: every pod gets a sidecar, status.sidecars follows, nothing is lost', async (t) => {
  const began = dest.requests.length;
  const { accepted, refused } = await underLoad('scale', async (poster) => {
    await kubectl(['-n', NS, 'scale', `deployment/${APP}`, '--replicas=3']);
    await until('3 ready pods, each with a sidecar', async () => { const p = await readyPods(); return p.length === 3 && p.every(hasSidecar); }, 180_000);
    await until('status.sidecars 3', async () => (await subStatus()).sidecars === 3);
    // The sidecars' streams are the channel's connectors: CONNECTED counts them (from the receivers' stats, every 30 s).
    await until('CONNECTED 3 in the channel status', async () => (await getJson(['-n', NS, 'whc', CHANNEL])).status?.connectedConnectors === 3, 120_000);
    const n = poster.accepted.size;
    await until('load flowing through 3 pods', () => poster.accepted.size >= n + 100, 60_000);
    await kubectl(['-n', NS, 'scale', `deployment/${APP}`, '--replicas=1']);
    await until('1 pod left', async () => (await getJson(['-n', NS, 'pods', '-l', `app=${APP}`])).items.length === 1, 180_000);
    await until('status.sidecars 1', async () => (await subStatus()).sidecars === 1);
  });
  assert.deepEqual(refused, [], 'every webhook got a 202');
  await until(`all ${accepted.size} accepted while scaling delivered`, () => allArrived(dest, accepted.keys()), 240_000);
  assertDelivered(dest, new Map([...accepted].map(([id, body]) => [id, { body, contentType: 'application/json' } satisfies Sent])), signingSecret);
  const through = new Set(dest.requests.slice(began).map((r) => r.headers['x-recorded-by']));
  assert.ok(through.size >= 2, `deliveries went through more than one pod (${[...through].join(', ')})`);
  const f = tally(accepted.keys());
  t.diagnostic(`scale 1→3→1: sent ${f.sent}, received ${f.received}, lost ${f.lost}, duplicated ${f.duplicated}; through ${through.size} pods`);
});

step('under load the app\'s pods are deleted one after another: nothing is lost', async (t) => {
  await kubectl(['-n', NS, 'scale', `deployment/${APP}`, '--replicas=2']);
  await until('2 ready pods', async () => (await readyPods()).length === 2, 180_000);
  const { accepted, refused } = await underLoad('delete', async (poster) => {
    for (let round = 0; round < 2; round++) {
      const [victim] = await readyPods();
      await kubectl(['-n', NS, 'delete', 'pod', victim.metadata.name, '--wait=false']);
      await until('a replacement pod ready with its sidecar', async () => {
        const p = await readyPods();
        return p.length === 2 && p.every(hasSidecar) && !p.some((x: Json) => x.metadata.name === victim.metadata.name);
      }, 180_000);
      const n = poster.accepted.size;
      await until('load flowing', () => poster.accepted.size >= n + 40, 60_000);
    }
  });
  assert.deepEqual(refused, [], 'every webhook got a 202');
  await until(`all ${accepted.size} accepted across the deletions delivered`, () => allArrived(dest, accepted.keys()), 240_000);
  assertDelivered(dest, new Map([...accepted].map(([id, body]) => [id, { body, contentType: 'application/json' } satisfies Sent])), signingSecret);
  const f = tally(accepted.keys());
  t.diagnostic(`pod deletions: sent ${f.sent}, received ${f.received}, lost ${f.lost}, duplicated ${f.duplicated}`);
});

step('more sidecars than the channel\'s maxConnections: a TooManySidecars warning and a ConnectorReady message that says how many cannot connect', async (t) => {
  await kubectl(['-n', NS, 'patch', 'whc', CHANNEL, '--type=merge', '-p', JSON.stringify({ spec: { maxConnections: 1 } })]);
  try {
    const event = await until('a TooManySidecars event on the Subscription', async () =>
      (await getJson(['-n', NS, 'events', '--field-selector', `involvedObject.name=${SUB},reason=TooManySidecars`])).items[0], 120_000);
    assert.match(event.message ?? event.note, /2 pods run a sidecar .* allows 1 stream/);
    const message = await until('the ConnectorReady message', async () =>
      condition(await subStatus(), 'ConnectorReady')?.message?.includes('exceed') && condition(await subStatus(), 'ConnectorReady').message, 60_000);
    t.diagnostic(message);
  } finally {
    await kubectl(['-n', NS, 'patch', 'whc', CHANNEL, '--type=merge', '-p', JSON.stringify({ spec: { maxConnections: 10 } })]);
  }
  await until('the message clears once the limit is raised', async () => !condition(await subStatus(), 'ConnectorReady')?.message?.includes('exceed'), 60_000);
});

step(`a token rotation reaches the sidecars: the old token is refused after ${GRACE_S}s and deliveries go on with the new one`, async (t) => {
  const oldToken = await secretValue(NS, tokenSecretName(SUB), 'token');
  const streamUrl = `${receiverUrl.replace('http', 'ws')}/connect/stream/${NS}/${CHANNEL}?window=1`;
  const start = Date.now();
  let revokedMs = 0;
  let afterRevocation = 0;
  const { accepted, refused } = await underLoad('rotation', async (poster) => {
    await kubectl(['annotate', 'whsub', SUB, '-n', NS, '--overwrite', `hookbridge.io/rotate-token=sidecar-${Date.now()}`]);
    const newToken = await until('a new token in the Secret', async () => { const v = await secretValue(NS, tokenSecretName(SUB), 'token'); return v !== oldToken && v; });
    assert.match(newToken, /^hbt_/);
    const held = new StreamClient(streamUrl, oldToken);
    const closed = await within('the old token refused after the grace period', held.closed, (GRACE_S + 90) * 1000);
    revokedMs = Date.now() - start;
    assert.equal(closed.code, CloseCode.InvalidToken);
    afterRevocation = poster.accepted.size;
    await until('webhooks keep flowing after the revocation', () => poster.accepted.size >= afterRevocation + 40);
  });
  assert.deepEqual(refused, [], 'every webhook across the rotation got a 202');
  const late = [...accepted.keys()].slice(afterRevocation);
  // Only a sidecar holding the new token can deliver these: the old one is refused by now.
  await until(`the ${late.length} posted after the revocation delivered`, () => allArrived(dest, late), 180_000);
  const deliveredAt = Date.now() - start;
  await until(`all ${accepted.size} posted across the rotation delivered`, () => allArrived(dest, accepted.keys()), 180_000);
  assertDelivered(dest, new Map([...accepted].map(([id, body]) => [id, { body, contentType: 'application/json' } satisfies Sent])), signingSecret);
  const f = tally(accepted.keys());
  t.diagnostic(`rotation: old token refused ${revokedMs} ms after the annotation; posts after it delivered by ${deliveredAt} ms; sent ${f.sent}, lost ${f.lost}, duplicated ${f.duplicated}`);
});

step('removing the annotation removes the sidecar on the next rollout; status.sidecars 0', async () => {
  await kubectl(['-n', NS, 'patch', 'deployment', APP, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/template/metadata/annotations/hookbridge.io~1inject' }])]);
  await kubectl(['-n', NS, 'rollout', 'status', `deployment/${APP}`, '--timeout=180s']);
  // The Deployment runs 2 replicas since the deletion step; every pod not being deleted is a new one.
  const pods = await until('only pods without a sidecar', async () => { const p = await appPods(); return p.length === 2 && !p.some(hasSidecar) && p; }, 180_000);
  for (const pod of pods) assert.equal(pod.metadata.labels['hookbridge.io/sidecar'], undefined);
  assert.equal(pods[0].metadata.annotations?.['hookbridge.io/inject-skipped'], undefined, 'a pod that did not ask is not touched');
  await until('status.sidecars 0, ConnectorReady NoSidecars', async () => { const s = await subStatus(); return s.sidecars === 0 && condition(s, 'ConnectorReady')?.reason === 'NoSidecars'; });
});

step('with the webhook down (operator scaled to 0) pods start: those that did not ask as they are, those that asked without a sidecar; once it is back a SidecarMissing event explains it', async (t) => {
  await kubectl(['-n', hb.namespace, 'scale', `deployment/${operatorName()}`, '--replicas=0']);
  await until('no operator pod', async () => (await getJson(['-n', hb.namespace, 'pods', '-l', 'app.kubernetes.io/component=operator'])).items.length === 0, 180_000);
  const began = Date.now();
  await kubectl(['apply', '-f', '-'], podManifest('plain', {}));
  await kubectl(['-n', NS, 'wait', '--for=condition=Ready', 'pod/plain', '--timeout=120s']);
  const plainMs = Date.now() - began;
  await kubectl(['apply', '-f', '-'], podManifest('asked', { [INJECT]: SUB }));
  await kubectl(['-n', NS, 'wait', '--for=condition=Ready', 'pod/asked', '--timeout=120s']);
  const asked = await getJson(['-n', NS, 'pod', 'asked']);
  assert.ok(!hasSidecar(asked), 'no sidecar: the webhook was not there (failurePolicy Ignore)');
  assert.equal(asked.metadata.annotations['hookbridge.io/injected'], undefined);

  await kubectl(['-n', hb.namespace, 'scale', `deployment/${operatorName()}`, '--replicas=2']);
  await kubectl(['-n', hb.namespace, 'rollout', 'status', `deployment/${operatorName()}`, '--timeout=180s']);
  const event = await until('a SidecarMissing event on the pod', async () => {
    const list = await getJson(['-n', NS, 'events', '--field-selector', 'involvedObject.name=asked,reason=SidecarMissing']);
    return list.items[0];
  }, 180_000);
  assert.match(event.message ?? event.note, /webhook did not answer/);
  // And once it is back, a new pod that asks gets its sidecar again.
  await kubectl(['-n', NS, 'delete', 'pod', 'asked', 'plain', '--wait=true']);
  await until('an injected dry run with the webhook back', async () =>
    hasSidecar(JSON.parse(await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], podManifest('dry-run', { [INJECT]: SUB })))), 120_000);
  t.diagnostic(`a pod without the annotation was Ready ${plainMs} ms after apply with the webhook down`);
});

step('a pod naming an unknown Subscription starts without a sidecar and kubectl describe says why', async () => {
  await kubectl(['apply', '-f', '-'], podManifest('typo', { [INJECT]: 'ordrs' }));
  const pod = await getJson(['-n', NS, 'pod', 'typo']);
  assert.ok(!hasSidecar(pod));
  assert.equal(pod.metadata.annotations['hookbridge.io/inject-skipped'], 'ordrs: UnknownSubscription');
  await until('a SidecarSkipped event on the pod', async () =>
    (await getJson(['-n', NS, 'events', '--field-selector', 'involvedObject.name=typo,reason=SidecarSkipped'])).items[0], 120_000);
  const describe = await kubectl(['-n', NS, 'describe', 'pod', 'typo']);
  assert.match(describe, /UnknownSubscription/);
  await kubectl(['-n', NS, 'delete', 'pod', 'typo', '--wait=false']);
});

step('helm uninstall removes the webhook configuration and, with it, the certificate Secret', async () => {
  await kubectl(['delete', 'subscriptions.hookbridge.io,webhookchannels.hookbridge.io', '-A', '--all', '--timeout=120s']);
  await hb.uninstall();
  await until('the certificate Secret gone', async () =>
    (await cluster.kubectl(['-n', hb.namespace, 'get', 'secret', `${operatorName()}-webhook-certificate`])).code !== 0, 120_000);
  const configs = (await kubectl(['get', 'mutatingwebhookconfigurations', '-o', 'name'])).split('\n').filter((n) => n.includes('hookbridge'));
  assert.deepEqual(configs, []);
});
