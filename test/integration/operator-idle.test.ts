// An operator with nothing to do writes nothing: relists, resyncs and receiver stats polls that find
// no change cause no apiserver writes (counted by the apiserver's own apiserver_request_total and by
// the operator's request counter). Receiver stats reach status and the printer columns. A restarted
// operator (a new leader) writes no status either, even while its first stats poll is outstanding.
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import { getJson, must, startTestKube, startTestOperator, waitFor, type TestOperator } from '../harness/operator-env.ts';
import { applyChannelAndSubscription } from '../harness/operator-apply.ts';

const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION']);
const OUR_RESOURCES = new Set(['secrets', 'configmaps', 'serviceaccounts', 'deployments', 'webhookchannels', 'subscriptions', 'events']);
const ADMIN_TOKEN = 'admin-token-for-tests';

let kube: Kube;
let op: TestOperator;
let receiver: http.Server;
let stats = { messages_queued: 7, messages_in_flight: 1, connected_clients: 2, dead_lettered: 3 };
let unauthorised = 0;
/** While set, the stub receiver holds its answers until it resolves (the operator's first poll is still out). */
let hold: Promise<void> | undefined;
let asked = 0;
let tmp: string;

before(async () => {
  kube = await startTestKube();
  receiver = http.createServer(async (req, res) => {
    asked++;
    await hold;
    if (req.headers.authorization !== `Bearer ${ADMIN_TOKEN}`) { unauthorised++; res.writeHead(401).end(); return; }
    const describe = (ns: string, name: string) => ({
      namespace: ns, name, stats,
      subscriptions: [{ namespace: ns, name: 'sink', stats: { messages_queued: stats.messages_queued, dead_lettered: stats.dead_lettered } }],
    });
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/admin/webhook-connect/channels') { json({ channels: [describe('team-idle', 'payments')] }); return; }
    const m = /^\/admin\/webhook-connect\/channels\/([^/]+)\/([^/]+)$/.exec(req.url ?? '');
    if (m) { json(describe(m[1], m[2])); return; }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-op-idle-'));
  fs.writeFileSync(path.join(tmp, 'admin-token'), `${ADMIN_TOKEN}\n`);
  const port = (receiver.address() as { port: number }).port;
  op = await startTestOperator(kube, {
    receiverUrl: `http://127.0.0.1:${port}`, receiverAdminTokenFile: path.join(tmp, 'admin-token'),
    statsIntervalMs: 300, relistMs: 2_000,
  });
});
after(async () => {
  await op?.stop();
  await kube?.stop();
  receiver?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function apiserverWrites(): Promise<Map<string, number>> {
  const text = await must(kube, ['get', '--raw', '/metrics']);
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!WRITE_VERBS.has(labels.verb) || !OUR_RESOURCES.has(labels.resource)) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}
const ourWrites = () => [...op.requests].filter(([verb]) => WRITE_VERBS.has(verb)).reduce((n, [, c]) => n + c, 0);

test('receiver stats reach status and columns; an idle operator then writes nothing', async () => {
  const ns = 'team-idle';
  await applyChannelAndSubscription(kube, { ns, channel: 'payments', subscription: 'sink' });
  const whc = await waitFor('stats in status', async () => {
    const o = await getJson(kube, ['-n', ns, 'whc', 'payments']);
    return o?.status.backlog === 7 && o.status.conditions.find((c: { type: string }) => c.type === 'BufferReady')?.status === 'True' ? o : undefined;
  });
  assert.equal(whc.status.connectedConnectors, 2);
  assert.equal(whc.status.deadLettered, 3);
  const table = await must(kube, ['get', 'whc', '-n', ns]);
  assert.match(table, /payments\s+True\s+\S+\s+1\s+2\s+7\s+3\s+/);
  await waitFor('subscription backlog', async () => (await getJson(kube, ['-n', ns, 'whsub', 'sink']))?.status.backlog === 7);
  assert.equal(unauthorised, 0, 'the admin token is sent');

  // Changed figures are written (once) ...
  stats = { ...stats, messages_queued: 9 };
  await waitFor('new backlog', async () => (await getJson(kube, ['-n', ns, 'whc', 'payments']))?.status.backlog === 9);
  await waitFor('settled', async () => (await getJson(kube, ['-n', ns, 'whsub', 'sink']))?.status.backlog === 9);

  // ... and a quiet period with relists (every 2 s) and stats polls (every 0.3 s) writes nothing.
  const apiBefore = await apiserverWrites();
  const oursBefore = ourWrites();
  const listsBefore = op.requests.get('LIST') ?? 0;
  await new Promise((r) => setTimeout(r, 8_000));
  const apiAfter = await apiserverWrites();
  const diff = [...apiAfter].filter(([k, v]) => v !== (apiBefore.get(k) ?? 0)).map(([k, v]) => `${k}: +${v - (apiBefore.get(k) ?? 0)}`);
  assert.deepEqual(diff, [], 'apiserver saw no writes to the resources the operator manages');
  assert.equal(ourWrites(), oursBefore, 'the operator issued no write requests');
  assert.ok((op.requests.get('LIST') ?? 0) > listsBefore, 'it was not idle for lack of trying: it relisted');
});

test('an operator restart rewrites no status: BufferReady and DestinationHealthy keep status and lastTransitionTime', async () => {
  const ns = 'team-idle';
  const channelBefore = await getJson(kube, ['-n', ns, 'whc', 'payments']);
  const subBefore = await getJson(kube, ['-n', ns, 'whsub', 'sink']);
  const found = (o: Record<string, any> | undefined, type: string) => o?.status.conditions.find((c: { type: string }) => c.type === type); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(found(channelBefore, 'BufferReady')?.status, 'True');
  assert.equal(found(subBefore, 'DestinationHealthy')?.status, 'True');
  const port = (receiver.address() as { port: number }).port;
  await op.stop();
  const writesBefore = await apiserverWrites();

  // The new operator reconciles everything while the receiver has not answered its first poll yet.
  let release = () => {};
  hold = new Promise<void>((r) => { release = r; });
  const askedBefore = asked;
  op = await startTestOperator(kube, {
    receiverUrl: `http://127.0.0.1:${port}`, receiverAdminTokenFile: path.join(tmp, 'admin-token'), statsIntervalMs: 300, relistMs: 2_000,
  });
  const reconciled = async (controller: string) => {
    const text = await op.registry.metrics();
    return [...text.matchAll(new RegExp(`^hookbridge_reconcile_total\\{controller="${controller}",result="[^"]+"\\} (\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  };
  await waitFor('both objects reconciled before the first poll is answered', async () => asked > askedBefore && await reconciled('webhookchannel') >= 1 && await reconciled('subscription') >= 1);
  const [channelReconciles, subReconciles] = [await reconciled('webhookchannel'), await reconciled('subscription')];
  release();
  hold = undefined;
  // The answered poll re-queues the channel and its subscription; wait for those reconciles to finish.
  await waitFor('reconciled again with the receiver\'s figures', async () => await reconciled('webhookchannel') > channelReconciles && await reconciled('subscription') > subReconciles);
  assert.deepEqual((await getJson(kube, ['-n', ns, 'whc', 'payments']))?.status, channelBefore?.status, 'channel status untouched');
  assert.deepEqual((await getJson(kube, ['-n', ns, 'whsub', 'sink']))?.status, subBefore?.status, 'subscription status untouched');
  const writesAfter = await apiserverWrites();
  const statusWrites = [...writesAfter].filter(([k, v]) => k.endsWith('/status') && v !== (writesBefore.get(k) ?? 0));
  assert.deepEqual(statusWrites, [], 'no status writes');
});

test('/healthz, /readyz and /metrics (operator rows of docs/metrics.md)', async () => {
  const port = (op.server.address() as { port: number }).port;
  const get = async (p: string) => { const r = await fetch(`http://127.0.0.1:${port}${p}`); return { status: r.status, text: await r.text() }; };
  assert.equal((await get('/healthz')).status, 200);
  assert.equal((await get('/readyz')).status, 200);
  const metrics = (await get('/metrics')).text;
  for (const name of ['hookbridge_reconcile_total', 'hookbridge_reconcile_errors_total', 'hookbridge_reconcile_duration_seconds', 'hookbridge_workqueue_depth', 'hookbridge_leader', 'hookbridge_token_age_seconds', 'hookbridge_token_next_rotation_timestamp_seconds']) {
    assert.match(metrics, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(metrics, /hookbridge_reconcile_total\{controller="subscription",result="(success|requeue)"\} [1-9]/);
  assert.match(metrics, /hookbridge_token_age_seconds\{namespace="team-idle",subscription="sink"\} \d/);
  assert.match(metrics, /^hookbridge_leader 1$/m);
  assert.ok(!/hbt_/.test(metrics), 'no token in metrics');
});
