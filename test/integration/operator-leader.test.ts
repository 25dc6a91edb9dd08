// Two operators, one Lease: the standby stays passive (no writes) while the leader renews; it takes
// over when the leader is killed (lease expiry) or stops (lease released on shutdown).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Kube } from '../harness/kube.ts';
import { must, PUBLIC_URL, RECEIVER_NS, REPO, startTestKube, startTestOperator, waitFor, type TestOperator } from '../harness/operator-env.ts';
import { applyChannelAndSubscription } from '../harness/operator-apply.ts';
import { freePort } from '../harness/ports.ts';

const WRITES = ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'];
let kube: Kube;
let child: ChildProcess | undefined;
const started: TestOperator[] = [];

before(async () => { kube = await startTestKube(); });
after(async () => {
  child?.kill('SIGKILL');
  for (const op of started) await op.stop().catch(() => {});
  await kube?.stop();
});

const leaseOpts = { leaderElect: true, leaseNamespace: RECEIVER_NS, leaseDurationMs: 2_000, renewDeadlineMs: 1_300, retryPeriodMs: 250 };
const writesOf = (op: TestOperator) => WRITES.reduce((n, v) => n + (op.requests.get(v) ?? 0), 0);
/** Channel `ch` in team-lead (re-applied unchanged each time) with a new subscription `sub`. */
const channelAndSub = (sub: string, wait: 'both' | 'subscription') =>
  applyChannelAndSubscription(kube, { ns: 'team-lead', channel: 'ch', subscription: sub, wait });

test('standby is passive until the leader dies (lease expiry) or stops (lease released)', async () => {
  // Leader A: `hookbridge operator` as a real process, so it can be killed without releasing the lease.
  const port = await freePort();
  child = spawn(process.execPath, [path.join(REPO, 'cli/main.ts'), 'operator', '--kubeconfig', kube.kubeconfigPath,
    '--receiver-namespace', RECEIVER_NS, '--public-url', PUBLIC_URL, '--metrics-port', String(port),
    '--leader-elect', '--leader-elect-namespace', RECEIVER_NS, '--lease-duration', '2'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, POD_NAME: 'operator-a' } });
  await waitFor('process A leads', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
    return r?.ok && /^hookbridge_leader 1$/m.test(await r.text());
  }, 60_000);

  const b = await startTestOperator(kube, { ...leaseOpts, identity: 'operator-b' });
  started.push(b);
  await channelAndSub('one', 'both');
  const lease = JSON.parse(await must(kube, ['get', 'lease', 'hookbridge-operator', '-n', RECEIVER_NS, '-o', 'json']));
  assert.equal(lease.spec.holderIdentity, 'operator-a');
  assert.equal(b.isLeader(), false);
  assert.equal(writesOf(b), 0, 'the standby wrote nothing while A held the lease');

  child.kill('SIGKILL');
  await waitFor('B takes over after the lease expires', async () => b.isLeader(), 30_000);
  await channelAndSub('two', 'subscription');

  const c = await startTestOperator(kube, { ...leaseOpts, identity: 'operator-c' });
  started.push(c);
  assert.equal(c.isLeader(), false);
  await b.stop();
  started.splice(started.indexOf(b), 1);
  await waitFor('C takes over once B released the lease', async () => c.isLeader(), 30_000);
  const released = JSON.parse(await must(kube, ['get', 'lease', 'hookbridge-operator', '-n', RECEIVER_NS, '-o', 'json']));
  assert.equal(released.spec.holderIdentity, 'operator-c');
  assert.ok(released.spec.leaseTransitions >= 2);
  await channelAndSub('three', 'subscription');
});
