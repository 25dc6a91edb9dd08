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
import { connected, explainGone, ready, redeliveries, settle, sleep, startConnectors, until } from './lib/chaos-probes.ts';
import { ChaosStack, SUBSCRIPTIONS } from './lib/chaos-stack.ts';
import { describeOutcome } from './lib/chaos-verdict.ts';

const LOAD = { ratePerSecond: 100, workers: 8, requestTimeoutMs: 20_000 };
const MIN_LOAD_MS = 30_000;
const PAUSE_MS = 3_000; // between faults
const ACK_TIMEOUT_S = 5;
const DRAIN_TIMEOUT_MS = 90_000;

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
  await sleep(1_000); // the outage itself (not a wait for I/O): the connectors stay down a second under load
  startConnectors(stack);
  await until(stack, 'connectors reconnected', () => connected(stack));
  mark('connectors reconnected');

  await sleep(PAUSE_MS);
  mark('SIGKILL receiver');
  await stack.kill('receiver');
  await sleep(500); // the outage itself: the receiver stays down while clients keep posting
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
  await sleep(200); // pacing between faults, under load (not a wait for I/O)
  mark('SIGKILL RabbitMQ');
  await rabbit.kill();
  await sleep(1_000); // the outage itself: the broker stays down a second
  await rabbit.start();
  mark(`RabbitMQ accepting AMQP again (startup ${rabbit.startupMs} ms)`);
  await until(stack, 'receiver ready after the broker restart', () => ready(stack), 90_000);
  mark('receiver ready again');

  const recoveredAt = Date.now();
  await sleep(Math.max(PAUSE_MS, MIN_LOAD_MS - (Date.now() - began)));
  mark('load stopped');
  const s = await settle(stack, dest, load, DRAIN_TIMEOUT_MS);
  for (const line of [...timeline, ...s.report]) t.diagnostic(line);

  if (s.gone.length > 0) assert.deepEqual(s.gone, [], `202'd messages neither delivered nor dead-lettered — ${await explainGone(stack, s)}`);
  assert.deepEqual(s.dead.map((d) => `${d.subscription} ${d.id}: ${d.reason} after ${d.attempts} attempts`), [], 'with these limits no fault here is a reason to dead-letter');
  assert.deepEqual(s.ingest.violations.slice(0, 20).map(describeOutcome), [], 'every answer other than 202 is a clean refusal');
  assert.deepEqual(stack.crashes, [], `no process exits unless killed\n${stack.tails()}`);
  assert.deepEqual(s.leaked, [], 'no secret in the receiver or connector logs');
  assert.ok(ackTimeouts > 0, 'the hung connector\'s messages went back to the queue by ack timeout');
  assert.ok(s.ingest.accepted.some((o) => o.startedAt > recoveredAt), 'ingest answers 202 again after the last fault');
});
