// The relay on a three-node RabbitMQ cluster (test/harness/rabbitmq-cluster.ts) loses nodes and nothing
// it acknowledged. The receiver gets every node's URL and the connectors stream from it as usual (one over
// WebSocket, one over SSE, separate OS processes through the real CLI, as in no-loss-under-faults).
// While webhooks are posted continuously:
//   1. the node the receiver is connected to is SIGKILLed (the receiver must move to another node);
//   2. once it is back, the quorum leader of a subscription's queue is SIGKILLed (a leader change);
//   3. once that one is back, a node is paused (SIGSTOP) past the cluster's and the receiver's detection
//      time (net_ticktime, AMQP heartbeat) and resumed — the receiver's own node, so that only the
//      heartbeat tells it the node is gone;
//   4. every node is started / resumed and the cluster waits until each queue has all replicas online.
// One node out at a time: that is what three replicas tolerate (two out of three is no majority, and then
// ingest answers 503 until one is back — correct, but it shows nothing). Then every 202'd id must have
// reached the destination through both subscriptions or be dead-lettered, and every other answer must be
// a clean 503 with Retry-After. The time each fault took to recover from goes to t.diagnostic.
// A first, smaller test shows on the buffer itself that a message's delivery count, and a retry waiting in
// a delay queue, survive their queue leader's death.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { queueName } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { oneQueued } from '../../receiver/buffer/conformance.ts';
import { RabbitBuffer } from '../../receiver/buffer/rabbitmq/index.ts';
import { BufferError } from '../../receiver/buffer/types.ts';
import { delayQueueName } from '../../receiver/buffer/rabbitmq/topology.ts';
import { NET_TICKTIME_S, startRabbitCluster, type RabbitCluster } from '../harness/rabbitmq-cluster.ts';
import type { NodeHandle } from '../harness/rabbitmq.ts';
import { ChaosDestination } from './lib/chaos-destination.ts';
import { ChaosLoad } from './lib/chaos-load.ts';
import { connected, explainGone, ready, settle, sleep, startConnectors, until } from './lib/chaos-probes.ts';
import { ChaosStack, CHANNEL, NS, SUBSCRIPTIONS } from './lib/chaos-stack.ts';
import { describeOutcome } from './lib/chaos-verdict.ts';
import { eventually } from '../harness/eventually.ts';

const LOAD = { ratePerSecond: 50, workers: 8, requestTimeoutMs: 30_000 };
const PAUSE_MS = 3_000; // between faults
const HEARTBEAT_S = 5; // the receiver's AMQP heartbeat (in its URLs): a frozen node is noticed in ~2 x this
const FROZEN_MS = (NET_TICKTIME_S * 1.5 + HEARTBEAT_S * 2) * 1000;
const DRAIN_TIMEOUT_MS = 120_000;
const logger = createLogger({ name: 'cluster-test', level: process.env.HOOKBRIDGE_LOG_LEVEL ?? 'silent' });

let cluster: RabbitCluster;
before(async () => {
  cluster = await startRabbitCluster();
  console.log(`three-node cluster formed in ${cluster.startupMs} ms: ${cluster.url}`);
});
after(() => cluster?.dispose());

/** Every queue named `prefix…` has all its replicas online (after a node came back). */
async function allOnline(prefix: string, timeoutMs = 90_000): Promise<void> {
  await eventually(async () => {
    const qs = (await cluster.queues()).filter((q) => q.name.startsWith(prefix));
    const short = qs.filter((q) => q.online.length < cluster.nodes.length);
    if (qs.length === 0 || short.length > 0) throw new Error(`not all replicas online: ${short.map((q) => `${q.name} ${q.online.length}`).join(', ')}`);
    return true;
  }, { message: `every ${prefix}* replica online`, timeoutMs });
}

async function leaderOf(queue: string): Promise<NodeHandle> {
  return eventually(async () => {
    const n = await cluster.leaderOf(queue);
    if (!n) throw new Error(`no leader for ${queue}`);
    return n;
  }, { message: `a leader for ${queue}`, timeoutMs: 60_000 });
}

test('a delivery count and a parked retry survive the death of their quorum queue leader', { timeout: 300_000 }, async () => {
  const buffer = new RabbitBuffer({ url: cluster.url, logger, reconnectMinMs: 50, reconnectMaxMs: 500, confirmTimeoutMs: 10_000 });
  await buffer.connect();
  try {
    const { ch, s1, q1: queue, m: sent, inbox } = await oneQueued(buffer, { tiers: [2_000], deliveryLimit: 100 });
    for (let i = 0; i < 3; i++) await (await inbox.next(30_000)).release();
    const before = await inbox.next(30_000);
    assert.equal(before.deliveryCount, 3, 'three releases, three redeliveries');

    const leader = await leaderOf(queueName(ch, s1));
    await leader.kill();
    // The held message comes back once its channel or its leader is gone and it is handed out again.
    await before.release().catch(() => {});
    const afterKill = await inbox.next(90_000);
    assert.equal(afterKill.message.id, sent.id);
    assert.ok(afterKill.deliveryCount >= before.deliveryCount + 1, `delivery count ${afterKill.deliveryCount} after the leader change, ${before.deliveryCount} before`);
    await leader.start();
    await allOnline(queueName(ch, s1));

    // A retry parked in the delay queue, then that queue's leader dies: the retry still comes back.
    // (A delivery handed out on a connection that died during its setup cannot be settled: it comes again.)
    let parked = afterKill;
    for (;;) {
      try { await parked.retry(2_000); break; } catch (err) {
        if (!(err instanceof BufferError)) throw err;
        parked = await inbox.next(90_000);
        assert.equal(parked.message.id, sent.id);
      }
    }
    const delayLeader = await leaderOf(delayQueueName(ch, s1, 2_000));
    await delayLeader.kill();
    const back = await inbox.next(90_000);
    assert.equal(back.message.id, sent.id);
    assert.equal(back.attempt, parked.attempt + 1, 'the parked retry comes back as the next attempt');
    await back.ack();
    // The killed leader may have been the buffer's own node, whose loss it may notice only now: stats need a connection.
    await eventually(async () => { assert.ok(buffer.isConnected()); return true; }, { message: 'buffer connected', timeoutMs: 60_000 });
    assert.equal((await buffer.stats(queue)).messagesInFlight, 0, 'nothing left counted as in flight (deliveries of a dead channel are forgotten)');
    await delayLeader.start();
    // That leader may have been the buffer's node too: it reconnects (to another node) before the cleanup.
    await eventually(async () => { assert.ok(buffer.isConnected()); return true; }, { message: 'buffer connected', timeoutMs: 60_000 });
    await buffer.removeChannel(ch, { deleteQueues: true });
  } finally {
    await buffer.close();
    await cluster.startAll();
  }
});

test('nothing acknowledged is lost while RabbitMQ nodes are killed and paused under load', { timeout: 600_000 }, async (t: TestContext) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-cluster-chaos-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dest = await new ChaosDestination({ latencyMs: 20 }).listen();
  t.after(() => dest.close());
  const stack = new ChaosStack(dir, cluster.urls.map((u) => `${u}?heartbeat=${HEARTBEAT_S}`).join(','));
  t.after(() => stack.stopAll());
  const load = new ChaosLoad();
  t.after(() => load.stop());
  await stack.write({ destinationUrl: dest.url, ackTimeoutSeconds: 5, deliveryLimit: 1000, maxAttempts: 100, retrySchedule: ['1s'], concurrency: 10 });
  stack.startReceiver();
  await until(stack, 'receiver ready', () => ready(stack));
  startConnectors(stack);
  await until(stack, 'connectors connected', () => connected(stack));

  // Topology for a cluster: every queue on three nodes, the history stream too.
  const prefix = `hb.${NS}.${CHANNEL}`;
  const topology = (await cluster.queues()).filter((q) => q.name.startsWith(prefix) || q.name === 'hb.events' || q.name === 'hb.dead-letter-events');
  assert.deepEqual(topology.filter((q) => q.members.length !== 3).map((q) => `${q.name} (${q.type}): ${q.members.length} replicas`), [], 'every queue and the history stream replicated to all three nodes');
  assert.ok(topology.some((q) => q.type === 'stream') && topology.filter((q) => q.type === 'quorum').length >= 6, JSON.stringify(topology));

  const began = Date.now();
  const timeline: string[] = [];
  const mark = (what: string): void => { timeline.push(`+${((Date.now() - began) / 1000).toFixed(1)}s ${what}`); };
  const recovery: string[] = [];
  /** The node the receiver is connected to right now, from its log ("rabbitmq connected" names host:port). */
  const receiverNode = (): NodeHandle => {
    const line = stack.log('receiver').split('\n').filter((l) => l.includes('"msg":"rabbitmq connected"')).at(-1) ?? '';
    const node = cluster.nodeOf(Number(/"node":"[^"]*:(\d+)"/.exec(line)?.[1]));
    assert.ok(node, `the receiver logged the node it is connected to: ${line}`);
    return node;
  };
  /** Waits until ingest answers 202 for a request sent after the fault and each subscription delivered again; records both times. */
  const recovered = async (fault: string, at: number): Promise<void> => {
    let ingestMs = -1;
    await until(stack, `${fault}: ingest and both deliveries back`, async () => {
      const ok = load.outcomes.find((o) => o.status === 202 && o.startedAt >= at);
      if (ok && ingestMs < 0) ingestMs = ok.endedAt - at;
      return ingestMs >= 0 && SUBSCRIPTIONS.every(({ name }) => (dest.lastAt.get(name) ?? 0) > at + ingestMs);
    }, 120_000);
    const deliveryMs = Math.max(...SUBSCRIPTIONS.map(({ name }) => (dest.lastAt.get(name) ?? 0) - at));
    const refused = load.outcomes.filter((o) => o.startedAt >= at && o.startedAt <= at + deliveryMs && o.status !== 202).length;
    const line = `${fault}: ingest 202 again after ${ingestMs} ms, both subscriptions delivering after ${deliveryMs} ms (${refused} requests refused meanwhile)`;
    recovery.push(line);
    t.diagnostic(line);
  };

  load.start({ url: stack.ingestUrl, ...LOAD });
  await sleep(PAUSE_MS);

  const first = receiverNode();
  mark(`SIGKILL ${first.nodename}, the receiver's node`);
  let at = Date.now();
  await first.kill();
  await recovered('receiver\'s node killed', at);
  const moved = receiverNode();
  assert.notEqual(moved.nodename, first.nodename, 'the receiver moved to another node');
  mark(`receiver on ${moved.nodename}; restarting ${first.nodename}`);
  await first.start();
  await allOnline(prefix);
  mark(`${first.nodename} back, every replica online`);

  await sleep(PAUSE_MS);
  // A subscription queue's leader on another node than the receiver's: a pure leader change (the receiver
  // keeps its connection). Leaders follow the declaring connection, so one is moved there if need be.
  const victimQueue = queueName({ namespace: NS, name: CHANNEL }, { namespace: NS, name: 'ws-sink' });
  const onReceiver = receiverNode();
  if ((await leaderOf(victimQueue)) === onReceiver) await cluster.moveLeader(victimQueue, cluster.nodes.find((n) => n !== onReceiver) as NodeHandle);
  const victim = { q: victimQueue, leader: await leaderOf(victimQueue) };
  mark(`SIGKILL ${victim.leader.nodename}, quorum leader of ${victim.q} (receiver on ${receiverNode().nodename})`);
  at = Date.now();
  await victim.leader.kill();
  await recovered(`quorum leader of ${victim.q.split('.').at(-1)} killed`, at);
  assert.equal(receiverNode(), onReceiver, 'the receiver kept its connection through the leader change');
  mark(`new leader ${(await leaderOf(victim.q)).nodename}; restarting ${victim.leader.nodename}`);
  await victim.leader.start();
  await allOnline(prefix);
  mark(`${victim.leader.nodename} back, every replica online`);

  await sleep(PAUSE_MS);
  const frozen = receiverNode();
  mark(`SIGSTOP ${frozen.nodename}, the receiver's node, for ${FROZEN_MS} ms`);
  at = Date.now();
  frozen.pause(true);
  await recovered('receiver\'s node paused', at);
  await sleep(Math.max(0, at + FROZEN_MS - Date.now()));
  frozen.pause(false);
  mark(`SIGCONT ${frozen.nodename} (receiver now on ${receiverNode().nodename})`);

  const restartAt = Date.now();
  await cluster.startAll();
  await allOnline(prefix);
  await allOnline('hb.events');
  mark(`every node running, every replica online after ${Date.now() - restartAt} ms`);
  t.diagnostic(`cluster whole again ${Date.now() - restartAt} ms after the paused node resumed`);
  const recoveredAt = Date.now();
  await sleep(PAUSE_MS * 2);
  mark('load stopped');

  const s = await settle(stack, dest, load, DRAIN_TIMEOUT_MS);
  for (const line of [...timeline, ...recovery, ...s.report]) t.diagnostic(line);
  if (s.gone.length > 0) assert.deepEqual(s.gone, [], `202'd messages neither delivered nor dead-lettered — ${await explainGone(stack, s)}`);
  assert.deepEqual(s.dead.map((d) => `${d.subscription} ${d.id}: ${d.reason} after ${d.attempts} attempts`), [], 'with these limits no fault here is a reason to dead-letter');
  assert.deepEqual(s.ingest.violations.slice(0, 20).map(describeOutcome), [], 'every answer other than 202 is a clean 503 with Retry-After');
  assert.deepEqual(stack.crashes, [], `no process exits unless killed\n${stack.tails()}`);
  assert.deepEqual(s.leaked, [], 'no secret in the receiver or connector logs');
  assert.ok(s.ingest.accepted.some((o) => o.startedAt > recoveredAt), 'ingest answers 202 again after the last fault');
});
