// Scale bench for the operator against a real kube-apiserver: N channels + N subscriptions (spread over
// namespaces) created at once → time until every one is Ready, apiserver requests per reconcile; then
// a restart over the same objects (a cold resync: reads only, no writes expected).
// `node bench/operator-scale.ts [channels=500] [namespaces=50]` (WORKERS=n per controller, default 8).
// Prints figures; never fails on timing.
import { Writable } from 'node:stream';
import { createLogger } from '../shared/logger.ts';
import { KubeClient, type KubeObject } from '../shared/kube/client.ts';
import { Namespaces, Subscriptions, WebhookChannels } from '../shared/kube/resource-types.ts';
import { must, startTestKube, startTestOperator, type TestOperator } from '../test/harness/operator-env.ts';

const N = Number(process.argv[2] ?? 500);
const NAMESPACES = Number(process.argv[3] ?? 50);
const WRITES = ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'];

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => { for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t); }));
}

const readyCount = (items: KubeObject[]) => items.filter((o) => ((o.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [])
  .some((c) => c.type === 'Ready' && c.status === 'True')).length;

async function reconciles(op: TestOperator): Promise<number> {
  const m = await op.registry.getSingleMetricAsString('hookbridge_reconcile_total');
  return m.split('\n').filter((l) => l.startsWith('hookbridge_reconcile_total{')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const sum = (op: TestOperator, verbs?: string[]) => [...op.requests].filter(([v]) => !verbs || verbs.includes(v)).reduce((n, [, c]) => n + c, 0);
const fmt = (m: Map<string, number>) => [...m].sort().map(([k, v]) => `${k}=${v}`).join(' ');

async function main(): Promise<void> {
  console.log(`operator scale bench: ${N} WebhookChannels + ${N} Subscriptions in ${NAMESPACES} namespaces`);
  const kube = await startTestKube();
  const silent = createLogger({ name: 'bench', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  let op: TestOperator | undefined;
  try {
    const client = KubeClient.load(kube.kubeconfigPath);
    op = await startTestOperator(kube, { workers: Number(process.env.WORKERS ?? 8), logger: silent });
    const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${i}`);
    const t0 = performance.now();
    await pool(namespaces, 16, (name) => client.create(Namespaces, { metadata: { name } }));
    const pairs = Array.from({ length: N }, (_, i) => ({ ns: namespaces[i % NAMESPACES], name: `ch-${i}` }));
    await pool(pairs, 16, async ({ ns, name }) => {
      await client.create(WebhookChannels, { metadata: { name, namespace: ns } });
      await client.create(Subscriptions, { metadata: { name: `sub-${name}`, namespace: ns }, spec: { channelRef: { name }, destination: { url: `http://${name}.example/` } } });
    });
    const created = performance.now();
    let last = '';
    for (;;) {
      const [chs, subs] = await Promise.all([client.list(WebhookChannels), client.list(Subscriptions)]);
      const [rc, rs] = [readyCount(chs.items), readyCount(subs.items)];
      const line = `ready: ${rc}/${N} channels, ${rs}/${N} subscriptions`;
      if (line !== last) { process.stdout.write(`  ${((performance.now() - t0) / 1000).toFixed(1)}s ${line}\n`); last = line; }
      if (rc === N && rs === N) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const allReady = performance.now();
    // Let the tail of the work drain (status writes after Ready, connector updates), then count.
    let before = -1;
    while (before !== sum(op, WRITES)) { before = sum(op, WRITES); await new Promise((r) => setTimeout(r, 2_000)); }
    const n = await reconciles(op);
    console.log(`\ncreate ${N}+${N} objects (bench client): ${((created - t0) / 1000).toFixed(1)} s`);
    console.log(`all Ready after:                     ${((allReady - t0) / 1000).toFixed(1)} s from the first create`);
    console.log(`reconciles:                          ${n}`);
    console.log(`operator apiserver requests:         ${sum(op)} (${fmt(op.requests)}), watches not counted`);
    console.log(`  by resource: ${fmt(op.requestsByResource)}`);
    console.log(`requests per reconcile:              ${(sum(op) / n).toFixed(2)} (writes ${(sum(op, WRITES) / n).toFixed(2)})`);
    console.log(`writes per (channel+subscription):   ${(sum(op, WRITES) / N).toFixed(2)}`);
    const connectors = await must(kube, ['get', 'deployments', '-A', '-l', 'app.kubernetes.io/name=hookbridge-connector', '-o', 'name']);
    console.log(`connector Deployments:               ${connectors.trim().split('\n').filter(Boolean).length}`);
    await op.stop();

    // Cold restart over the converged state: every key is reconciled once; nothing should be written.
    const t1 = performance.now();
    op = await startTestOperator(kube, { workers: Number(process.env.WORKERS ?? 8), logger: silent });
    const synced = performance.now();
    const expected = 2 * N;
    let r = 0;
    while ((r = await reconciles(op)) < expected) await new Promise((res) => setTimeout(res, 200));
    let settled = -1;
    while (settled !== r) { settled = r; await new Promise((res) => setTimeout(res, 1_000)); r = await reconciles(op); }
    console.log(`\nrestart: caches synced in ${((synced - t1) / 1000).toFixed(1)} s; ${r} reconciles done in ${((performance.now() - t1) / 1000).toFixed(1)} s (incl. 1 s settle)`);
    console.log(`restart requests:                    ${sum(op)} (${fmt(op.requests)}); writes ${sum(op, WRITES)}`);
  } finally {
    await op?.stop();
    await kube.stop();
  }
}

await main();
