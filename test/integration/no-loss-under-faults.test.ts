// The core promise under continuous load and a sequence of faults: nothing the receiver answered 202 for
// is ever lost. A real RabbitMQ (test/harness); the receiver and the connectors as separate OS processes
// through the real CLI — two subscriptions on one channel, one connector streaming over WebSocket, the
// other over SSE — and a destination in this process. While ~100 webhooks/s are posted: both connectors
// are SIGKILLed and restarted; the receiver is SIGKILLed and restarted on the same port; the WebSocket
// connector hangs (SIGSTOP) past the ack timeout and wakes up; the destination
// answers 503 for 2 s, and right after that (retries waiting in the broker's delay queues, deliveries in
// flight) RabbitMQ is hard-killed and started again. Then every 202'd id must reach the destination
// through both subscriptions (duplicates allowed) or be visibly dead-lettered; every other answer must be
// a clean refusal; no process may crash or log a secret.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { startRabbit } from '../harness/rabbitmq.ts';
import { ChaosDestination } from './lib/chaos-destination.ts';
import { ChaosLoad } from './lib/chaos-load.ts';
import { ChaosStack, CHANNEL, NS, SUBSCRIPTIONS } from './lib/chaos-stack.ts';
import { describeOutcome, judgeIngest, maxGap } from './lib/chaos-verdict.ts';

const LOAD = { ratePerSecond: 100, workers: 8, requestTimeoutMs: 20_000 };
const MIN_LOAD_MS = 30_000;
const PAUSE_MS = 3_000; // between faults
const ACK_TIMEOUT_S = 5;
const DRAIN_TIMEOUT_MS = 90_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` is true; throws naming `what` (and the processes' logs) after timeoutMs. */
async function until(stack: ChaosStack, what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stack.crashes.length > 0) throw new Error(`crashed while waiting for ${what}: ${stack.crashes.join(', ')}\n${stack.tails()}`);
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms\n${stack.tails()}`);
}

async function admin(stack: ChaosStack, suffix: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.receiverUrl}/admin/webhook-connect/channels/${NS}/${CHANNEL}${suffix}`, { headers: { authorization: `Bearer ${stack.secrets.adminToken}` } });
  if (!res.ok) throw new Error(`admin ${suffix}: ${res.status}`);
  return await res.json() as Record<string, unknown>;
}
/** The receiver's record of one message's life (SPEC §4), for a failure message. */
async function history(stack: ChaosStack, id: string): Promise<string> {
  const res = await fetch(`${stack.receiverUrl}/admin/webhook-connect/messages/${id}`, { headers: { authorization: `Bearer ${stack.secrets.adminToken}` } }).catch((err: Error) => err);
  return res instanceof Error ? `${id}: ${res.message}` : `${id}: ${res.status} ${await res.text()}`;
}
/** hookbridge_redeliveries_total of one subscription and reason, from the receiver's /metrics. */
async function redeliveries(stack: ChaosStack, sub: string, reason: string): Promise<number> {
  const text = await (await fetch(`${stack.receiverUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('hookbridge_redeliveries_total{') && l.includes(`subscription="${sub}"`) && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
/** Every subscription has a connected stream. */
const connected = async (stack: ChaosStack): Promise<boolean> =>
  ((await admin(stack, '')).subscriptions as { stats: { connected_clients: number } }[]).every((s) => s.stats.connected_clients > 0);
const ready = async (stack: ChaosStack): Promise<boolean> => (await fetch(`${stack.receiverUrl}/readyz`)).ok;
interface DeadLetter { id: string; subscription: string; reason: string; attempts: number }
const deadLetters = async (stack: ChaosStack): Promise<DeadLetter[]> => (await admin(stack, '/dead-letters?limit=1000')).deadLetters as DeadLetter[];
const startConnectors = (stack: ChaosStack): void => { for (const { name } of SUBSCRIPTIONS) stack.startConnector(name); };

test('nothing acknowledged is lost while the connectors, the receiver and RabbitMQ are killed and the destination fails', { timeout: 240_000 }, async (t: TestContext) => {
  // Each part is cleaned up on its own (on failure too), whatever order node:test runs the hooks in.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-chaos-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dest = await new ChaosDestination({ latencyMs: 20 }).listen();
  t.after(() => dest.close());
  const rabbit = await startRabbit();
  t.after(() => rabbit.dispose());
  const stack = new ChaosStack(dir, rabbit.url);
  t.after(() => stack.stopAll());
  const load = new ChaosLoad();
  t.after(() => load.stop());
  await stack.write({ destinationUrl: dest.url, ackTimeoutSeconds: ACK_TIMEOUT_S, deliveryLimit: 1000, maxAttempts: 100, retrySchedule: ['1s'], concurrency: 10 });
  stack.startReceiver();
  await until(stack, 'receiver ready', () => ready(stack));
  startConnectors(stack);
  await until(stack, 'connectors connected', () => connected(stack));

  const began = Date.now();
  const timeline: string[] = [];
  const mark = (what: string): void => { timeline.push(`+${((Date.now() - began) / 1000).toFixed(1)}s ${what}`); };
  load.start({ url: stack.ingestUrl, ...LOAD });

  await sleep(PAUSE_MS);
  mark('SIGKILL both connectors');
  await Promise.all(SUBSCRIPTIONS.map(({ name }) => stack.kill(`connector-${name}`)));
  await sleep(1_000);
  startConnectors(stack);
  await until(stack, 'connectors reconnected', () => connected(stack));
  mark('connectors reconnected');

  await sleep(PAUSE_MS);
  mark('SIGKILL receiver');
  await stack.kill('receiver');
  await sleep(500);
  stack.startReceiver();
  await until(stack, 'restarted receiver ready', () => ready(stack));
  stack.receiverUp();
  mark('receiver ready again');
  await until(stack, 'connectors back on the new receiver', () => connected(stack));
  mark('connectors reconnected');

  await sleep(PAUSE_MS);
  mark(`SIGSTOP the WebSocket connector for ${ACK_TIMEOUT_S + 3} s (its messages time out and go back)`);
  stack.freeze('connector-ws-sink', true);
  await sleep((ACK_TIMEOUT_S + 3) * 1000);
  const ackTimeouts = await redeliveries(stack, 'ws-sink', 'ack_timeout');
  stack.freeze('connector-ws-sink', false);
  mark(`SIGCONT (${ackTimeouts} messages had gone back by ack timeout)`);

  await sleep(PAUSE_MS);
  mark('destination answers 503 for 2 s');
  await dest.failFor(2_000);
  mark('destination answers 200 again');
  await sleep(200);
  mark('SIGKILL RabbitMQ');
  await rabbit.kill();
  await sleep(1_000);
  await rabbit.start();
  mark(`RabbitMQ accepting AMQP again (startup ${rabbit.startupMs} ms)`);
  await until(stack, 'receiver ready after the broker restart', () => ready(stack), 90_000);
  mark('receiver ready again');

  const recoveredAt = Date.now();
  await sleep(Math.max(PAUSE_MS, MIN_LOAD_MS - (Date.now() - began)));
  await load.stop();
  const stoppedAt = Date.now();
  mark('load stopped');

  const ingest = judgeIngest(load.outcomes, stack.receiverDown);
  const accepted = new Map(ingest.accepted.map((o) => [o.id as string, o]));
  /** `<subscription> <id>` of every 202'd message that has not reached the destination through that subscription. */
  const missing = (): string[] => SUBSCRIPTIONS.flatMap(({ name }) => [...accepted.keys()].filter((id) => !dest.has(name, id)).map((id) => `${name} ${id}`));
  const deadKeys = (dead: DeadLetter[]): Set<string> => new Set(dead.map((d) => `${d.subscription.split('/')[1]} ${d.id}`));
  let dead: DeadLetter[] = [];
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (let lastDeadCheck = 0; missing().length > 0 && Date.now() < deadline; await sleep(250)) {
    if (Date.now() - lastDeadCheck < 5_000) continue;
    lastDeadCheck = Date.now();
    dead = await deadLetters(stack).catch(() => dead);
    const keys = deadKeys(dead);
    if (missing().every((k) => keys.has(k))) break;
  }
  const drainMs = Date.now() - stoppedAt;
  dead = await deadLetters(stack).catch(() => dead);
  const gone = missing().filter((k) => !deadKeys(dead).has(k));

  const logs = ['receiver' as const, ...SUBSCRIPTIONS.map(({ name }) => `connector-${name}` as const)].map((n) => stack.log(n)).join('\n');
  const leaked = Object.entries(stack.secrets).filter(([, value]) => logs.includes(value)).map(([name]) => name);
  const reasons = new Map<string, number>();
  for (const d of dead) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
  const report = [
    ...timeline,
    `posted ${load.outcomes.length}, 202 ${ingest.accepted.length}, refused ${JSON.stringify(Object.fromEntries(ingest.refused))}, violations ${ingest.violations.length}`,
    ...SUBSCRIPTIONS.map(({ name, transport }) => { const c = dest.counts(name); return `${name} (${transport}): ${c.distinct} distinct ids delivered, ${c.duplicates} duplicates`; }),
    `destination: ${dest.deliveredAt.length} deliveries answered 200, ${dest.refused503} answered 503`,
    `missing ${missing().length} (dead-lettered ${dead.length}: ${JSON.stringify(Object.fromEntries(reasons))}; silently gone ${gone.length}), drain ${drainMs} ms`,
    `max gap between 202s ${ingest.maxAcceptGapMs} ms, between deliveries ${maxGap(dest.deliveredAt)} ms; receiver outages ${stack.receiverDown.map((w) => `${w.to - w.from} ms`).join(', ')}`,
  ];
  for (const line of report) t.diagnostic(line);

  const firstGone = gone.slice(0, 10).map((k) => { const o = accepted.get(k.split(' ')[1]); return `${k} (seq ${o?.seq}, 202 at ${new Date(o?.endedAt ?? 0).toISOString()})`; });
  const histories = await Promise.all(gone.slice(0, 3).map((k) => history(stack, k.split(' ')[1])));
  assert.deepEqual(gone, [], `202'd messages neither delivered nor dead-lettered — first: ${firstGone.join(', ')}\nreceiver's history of them:\n${histories.join('\n')}\n${stack.tails()}`);
  assert.deepEqual(dead.map((d) => `${d.subscription} ${d.id}: ${d.reason} after ${d.attempts} attempts`), [], 'with these limits no fault here is a reason to dead-letter');
  assert.deepEqual(ingest.violations.slice(0, 20).map(describeOutcome), [], 'every answer other than 202 is a clean refusal');
  assert.deepEqual(stack.crashes, [], `no process exits unless killed\n${stack.tails()}`);
  assert.deepEqual(leaked, [], 'no secret in the receiver or connector logs');
  assert.ok(ackTimeouts > 0, 'the hung connector\'s messages went back to the queue by ack timeout');
  assert.ok(ingest.accepted.some((o) => o.startedAt > recoveredAt), 'ingest answers 202 again after the last fault');
});
