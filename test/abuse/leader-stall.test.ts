// Issue 9 item 6: two leaders must never overlap. Leader A talks to the real apiserver through a proxy
// that then stalls (connections stay open, nothing is answered); standby B talks to it directly. A must
// stop leading before B starts. Before the fix A's renewal waited for the 30 s request timeout, far past
// its renew deadline and the lease, so B took the expired lease while A still believed it led.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { createLogger } from '../../shared/logger.ts';
import { RECEIVER_NS, startTestKube, waitFor } from '../harness/operator-env.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import { LeaderElector } from '../../operator/runtime/leader.ts';
import type { Kube } from '../harness/kube.ts';
import { startStallProxy, type StallProxy } from '../harness/stall-proxy.ts';

let kube: Kube;
let proxy: StallProxy;
const electors: LeaderElector[] = [];

before(async () => {
  kube = await startTestKube();
  proxy = await startStallProxy(Number(new URL(kube.server).port));
});
after(async () => {
  proxy?.resume();
  for (const e of electors) await e.stop();
  await proxy?.close();
  await kube?.stop();
});

/** The admin kubeconfig, pointed at the proxy. */
function viaProxy(): string {
  const cfg = parse(fs.readFileSync(kube.kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of cfg.clusters) c.cluster.server = `https://127.0.0.1:${proxy.port}`;
  const file = path.join(path.dirname(kube.kubeconfigPath), 'via-proxy.kubeconfig');
  fs.writeFileSync(file, stringify(cfg));
  return file;
}

test('a leader cut off by a stalling apiserver stops leading before a standby can take the lease', async () => {
  const timeline: string[] = [];
  let overlap: boolean | undefined;
  let aStopped!: () => void;
  let bStarted!: () => void;
  const aStop = new Promise<void>((r) => { aStopped = r; });
  const bStart = new Promise<void>((r) => { bStarted = r; });
  const opts = { namespace: RECEIVER_NS, name: 'stall-test', leaseDurationMs: 2_000, renewDeadlineMs: 1_300, retryPeriodMs: 250, logger: createLogger({ name: 'leader', level: 'silent' }) };
  const a: LeaderElector = new LeaderElector(KubeClient.load(viaProxy()), {
    ...opts, identity: 'a', onStartedLeading: () => timeline.push('a leads'), onStoppedLeading: () => { timeline.push('a steps down'); aStopped(); },
  });
  electors.push(a);
  a.start();
  await waitFor('A leads', async () => a.isLeader);
  const b: LeaderElector = new LeaderElector(KubeClient.load(kube.kubeconfigPath), {
    ...opts, identity: 'b', onStartedLeading: () => { overlap = a.isLeader; timeline.push('b leads'); bStarted(); }, onStoppedLeading: () => timeline.push('b steps down'),
  });
  electors.push(b);
  b.start();
  await waitFor('B has seen the lease held by A', async () => proxy.connections() > 0 && !b.isLeader);

  proxy.pause();
  await Promise.all([aStop, bStart]);
  assert.equal(overlap, false, `B started leading while A still led: ${timeline.join(' → ')}`);
  assert.deepEqual(timeline, ['a leads', 'a steps down', 'b leads']);
});
