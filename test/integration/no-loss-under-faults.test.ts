// The core promise under continuous load and a sequence of faults: nothing the receiver answered 202 for
// is ever lost. A real RabbitMQ (test/harness), the receiver and the connector as separate OS processes
// through the real CLI, a destination in this process. While ~100 webhooks/s are posted: the connector is
// SIGKILLed and restarted, the receiver is SIGKILLed and restarted on the same port, the destination
// answers 503 for 2 s, and right after that (retries waiting in the broker's delay queues, a backlog
// in the main queue, deliveries in flight) RabbitMQ is hard-killed and started again. Then every 202'd id must reach
// the destination (duplicates allowed) or be visibly dead-lettered; every other answer must be a clean
// refusal; no process may crash or log a secret.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { startRabbit } from '../harness/rabbitmq.ts';
import { ChaosDestination } from './lib/chaos-destination.ts';
import { ChaosLoad } from './lib/chaos-load.ts';
import { ChaosStack, CHANNEL, NS } from './lib/chaos-stack.ts';
import { describeOutcome, judgeIngest, maxGap } from './lib/chaos-verdict.ts';

const LOAD = { ratePerSecond: 100, workers: 8, requestTimeoutMs: 20_000 };
const MIN_LOAD_MS = 30_000;
const PAUSE_MS = 3_000; // between faults
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
const connected = async (stack: ChaosStack): Promise<boolean> => ((await admin(stack, '')).stats as { connected_clients: number }).connected_clients > 0;
const ready = async (stack: ChaosStack): Promise<boolean> => (await fetch(`${stack.receiverUrl}/readyz`)).ok;
const deadLetters = async (stack: ChaosStack): Promise<{ id: string; reason: string; attempts: number }[]> =>
  (await admin(stack, '/dead-letters?limit=1000')).deadLetters as { id: string; reason: string; attempts: number }[];

test('nothing acknowledged is lost while the connector, the receiver and RabbitMQ are killed and the destination fails', { timeout: 240_000 }, async (t: TestContext) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-chaos-'));
  const rabbit = await startRabbit();
  const dest = await new ChaosDestination({ latencyMs: 20 }).listen();
  const stack = new ChaosStack(dir, rabbit.url);
  const load = new ChaosLoad();
  t.after(async () => {
    await load.stop();
    await stack.stopAll();
    await dest.close();
    await rabbit.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await stack.write({ destinationUrl: dest.url, ackTimeoutSeconds: 5, deliveryLimit: 1000, maxAttempts: 100, retrySchedule: ['1s'], concurrency: 10 });
  stack.startReceiver();
  await until(stack, 'receiver ready', () => ready(stack));
  stack.startConnector();
  await until(stack, 'connector connected', () => connected(stack));

  const began = Date.now();
  const timeline: string[] = [];
  const mark = (what: string): void => { timeline.push(`+${((Date.now() - began) / 1000).toFixed(1)}s ${what}`); };
  load.start({ url: stack.ingestUrl, ...LOAD });

  await sleep(PAUSE_MS);
  mark('SIGKILL connector');
  await stack.kill('connector');
  await sleep(1_000);
  stack.startConnector();
  await until(stack, 'connector reconnected', () => connected(stack));
  mark('connector reconnected');

  await sleep(PAUSE_MS);
  mark('SIGKILL receiver');
  await stack.kill('receiver');
  await sleep(500);
  stack.startReceiver();
  await until(stack, 'restarted receiver ready', () => ready(stack));
  stack.receiverUp();
  mark('receiver ready again');
  await until(stack, 'connector back on the new receiver', () => connected(stack));
  mark('connector reconnected');

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
  const ids = new Map(ingest.accepted.map((o) => [o.id as string, o]));
  const missing = (): string[] => [...ids.keys()].filter((id) => !dest.seen.has(id));
  let dead: { id: string; reason: string; attempts: number }[] = [];
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let lastDeadCheck = 0;
  while (missing().length > 0 && Date.now() < deadline) {
    if (Date.now() - lastDeadCheck > 5_000) {
      lastDeadCheck = Date.now();
      dead = await deadLetters(stack).catch(() => dead);
      const deadIds = new Set(dead.map((d) => d.id));
      if (missing().every((id) => deadIds.has(id))) break;
    }
    await sleep(250);
  }
  const drainMs = Date.now() - stoppedAt;
  dead = await deadLetters(stack).catch(() => dead);
  const gone = missing().filter((id) => !dead.some((d) => d.id === id));

  const logs = stack.log('receiver') + stack.log('connector');
  const leaked = Object.entries(stack.secrets).filter(([, value]) => logs.includes(value)).map(([name]) => name);
  const reasons = new Map<string, number>();
  for (const d of dead) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
  const report = [
    ...timeline,
    `posted ${load.outcomes.length}, 202 ${ingest.accepted.length}, refused ${JSON.stringify(Object.fromEntries(ingest.refused))}, violations ${ingest.violations.length}`,
    `delivered ${dest.seen.size} distinct ids in ${dest.deliveredAt.length} deliveries (${dest.duplicates()} duplicates), destination 503s ${dest.refused503}`,
    `missing ${missing().length} (dead-lettered ${dead.length}: ${JSON.stringify(Object.fromEntries(reasons))}; silently gone ${gone.length}), drain ${drainMs} ms`,
    `max gap between 202s ${ingest.maxAcceptGapMs} ms, between deliveries ${maxGap(dest.deliveredAt)} ms; receiver outages ${stack.receiverDown.map((w) => `${w.to - w.from} ms`).join(', ')}`,
  ];
  for (const line of report) t.diagnostic(line);

  const firstMissing = gone.slice(0, 10).map((id) => { const o = ids.get(id); return `${id} (seq ${o?.seq}, 202 at ${new Date(o?.endedAt ?? 0).toISOString()})`; });
  const histories = await Promise.all(gone.slice(0, 3).map((id) => history(stack, id)));
  assert.deepEqual(gone, [], `202'd ids neither delivered nor dead-lettered — first: ${firstMissing.join(', ')}\nreceiver's history of them:\n${histories.join('\n')}\n${stack.tails()}`);
  assert.deepEqual(dead.map((d) => `${d.id}: ${d.reason} after ${d.attempts} attempts`), [], 'with these limits no fault here is a reason to dead-letter');
  assert.deepEqual(ingest.violations.slice(0, 20).map(describeOutcome), [], 'every answer other than 202 is a clean refusal');
  assert.deepEqual(stack.crashes, [], `no process exits unless killed\n${stack.tails()}`);
  assert.deepEqual(leaked, [], 'no secret in the receiver or connector logs');
  assert.ok(ingest.accepted.some((o) => o.startedAt > recoveredAt), 'ingest answers 202 again after the last fault');
});
