// The connector's integration scenarios against the REAL receiver, run once per buffer backend
// (test/integration/connector-memory.test.ts and connector-rabbitmq.test.ts): the same guarantees must
// hold on the embedded buffer and on RabbitMQ.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageBuffer } from '../../receiver/buffer/types.ts';
import { verifyWithSecrets } from '../../shared/standard-webhooks.ts';
import { SIGNING_SECRET, SUB, scriptedDestination, startRig, type Received, type RigOptions } from './relay.ts';
import { eventually } from '../../test/harness/eventually.ts';

/** A valid Standard Webhooks signature by `secret` (shared/standard-webhooks.ts, held against the official package). */
export function verifiesFromSpec(r: Received, secret = SIGNING_SECRET): boolean {
  return verifyWithSecrets([secret], r.headers, r.body, Number(r.headers['webhook-timestamp']) * 1000).ok;
}

const SLACK_MS = 25; // timer granularity; the lower bounds below are the schedule itself

export function connectorScenarios(name: string, makeBuffer: () => Promise<MessageBuffer>): void {
  async function rig(destination: Awaited<ReturnType<typeof scriptedDestination>>, o: Omit<RigOptions, 'buffer' | 'destinationUrl'> = {}) {
    const buffer = await makeBuffer();
    const r = await startRig({ buffer, destinationUrl: destination.url, ...o });
    return { ...r, buffer, async done() { await r.close(); await buffer.close(); await destination.close(); } };
  }
  const delivered = (h: { subscriptions: Record<string, { state: string }> } | undefined) => h?.subscriptions[`${SUB.namespace}/${SUB.name}`]?.state === 'delivered';

  test(`${name}: body byte-identical (binary, non-UTF-8), provider headers relayed, signature verifies`, async () => {
    const dest = await scriptedDestination(() => ({ status: 200 }));
    const r = await rig(dest);
    try {
      await r.connector();
      const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0xa0, 0xa1, 0x0d, 0x0a, 0xe2, 0x28, 0xa1]);
      const json = Buffer.from('{"order":"ñ-42","emoji":"🦄"}');
      const id1 = await r.post(binary, { 'content-type': 'application/octet-stream', 'x-shop-event': 'order.created', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      const id2 = await r.post(json, { 'content-type': 'application/json; charset=utf-8' });
      await dest.count(2);
      const byId = new Map(dest.received.map((x) => [String(x.headers['webhook-id']), x]));
      const a = byId.get(id1) as Received;
      const b = byId.get(id2) as Received;
      assert.ok(a.body.equals(binary), 'binary body relayed byte for byte');
      assert.ok(b.body.equals(json));
      assert.equal(a.headers['content-type'], 'application/octet-stream');
      assert.equal(b.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(a.headers['x-shop-event'], 'order.created');
      assert.equal(a.headers['traceparent'], '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      assert.equal(a.headers['x-hookbridge-attempt'], '1');
      assert.ok(verifiesFromSpec(a) && verifiesFromSpec(b), 'Standard Webhooks signatures verify');
      await eventually(async () => delivered(await r.history(id1)), { message: 'history says delivered', timeoutMs: 20_000, intervalMs: 50 });
      await eventually(async () => { const s = await r.stats(); return s.messagesQueued === 0 && s.messagesInFlight === 0; }, { message: 'queue drained', timeoutMs: 20_000, intervalMs: 50 });
    } finally { await r.done(); }
  });

  test(`${name}: 5xx and timeouts are retried on the schedule (waiting in the buffer), then delivered`, async () => {
    const dest = await scriptedDestination((n) => (n === 1 ? { status: 503 } : n === 2 ? { status: 200, hang: true } : { status: 200 }));
    const r = await rig(dest, { delivery: { timeoutMs: 300, retryScheduleMs: [200, 1000] } });
    try {
      await r.connector();
      const id = await r.post('{"n":1}', { 'content-type': 'application/json' });
      await dest.count(3);
      const [first, second, third] = dest.received;
      assert.deepEqual(dest.received.map((x) => x.headers['x-hookbridge-attempt']), ['1', '2', '3']);
      assert.ok(dest.received.every((x) => x.headers['webhook-id'] === id));
      assert.ok(second.at - first.at >= 200 - SLACK_MS, `retry 1 waited ${second.at - first.at}ms (schedule 200ms)`);
      assert.ok(third.at - second.at >= 300 + 1000 - SLACK_MS, `retry 2 waited ${third.at - second.at}ms (timeout 300 + schedule 1000ms)`);
      const h = await eventually(async () => { const v = await r.history(id); return delivered(v) && v; }, { message: 'delivered', timeoutMs: 20_000, intervalMs: 50 });
      const attempts = h?.subscriptions[`${SUB.namespace}/${SUB.name}`].attempts ?? [];
      assert.deepEqual(attempts.map((a) => a.result?.statusCode ?? a.result?.error?.replace(/ after.*/, '')), [503, 'timeout', 200]);
      assert.match(await r.registry.metrics(), /hookbridge_delivery_retries_total\{namespace="shop",subscription="sink"\} 2/);
    } finally { await r.done(); }
  });

  test(`${name}: 429 with Retry-After waits at least that long`, async () => {
    const dest = await scriptedDestination((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 204 }));
    const r = await rig(dest, { delivery: { retryScheduleMs: [100, 1000] } });
    try {
      await r.connector();
      const id = await r.post('x');
      await dest.count(2);
      assert.ok(dest.received[1].at - dest.received[0].at >= 1000 - SLACK_MS, `waited ${dest.received[1].at - dest.received[0].at}ms`);
      await eventually(async () => delivered(await r.history(id)), { message: 'delivered', timeoutMs: 20_000, intervalMs: 50 });
    } finally { await r.done(); }
  });

  test(`${name}: a Retry-After longer than every retry tier is still honoured, and the wait is not an attempt`, async () => {
    const dest = await scriptedDestination((n) => (n === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
    const r = await rig(dest, { delivery: { retryScheduleMs: [100] } });
    try {
      await r.connector();
      const id = await r.post('x');
      await dest.count(2);
      assert.ok(dest.received[1].at - dest.received[0].at >= 1000 - SLACK_MS, `waited ${dest.received[1].at - dest.received[0].at}ms (tier 100ms, Retry-After 1s)`);
      assert.deepEqual(dest.received.map((x) => x.headers['x-hookbridge-attempt']), ['1', '2']);
      await eventually(async () => delivered(await r.history(id)), { message: 'delivered', timeoutMs: 20_000, intervalMs: 50 });
    } finally { await r.done(); }
  });

  test(`${name}: 4xx is dead-lettered at once; 410 is dead-lettered and reported as gone`, async () => {
    const dest = await scriptedDestination((_n, req) => ({ status: req.headers['x-want'] === 'gone' ? 410 : 422 }));
    const r = await rig(dest);
    try {
      await r.connector();
      const bad = await r.post('{}', { 'x-want': 'bad' });
      const gone = await r.post('{}', { 'x-want': 'gone' });
      const dls = await eventually(async () => { const d = await r.deadLetters(); return d.length === 2 && d; }, { message: 'two dead letters', timeoutMs: 20_000, intervalMs: 50 });
      const byId = new Map(dls.map((d) => [d.id, d]));
      assert.match(byId.get(bad)?.reason ?? '', /HTTP 422/);
      assert.equal(byId.get(bad)?.lastResult?.statusCode, 422);
      assert.match(byId.get(gone)?.reason ?? '', /gone/);
      assert.equal(dest.received.length, 2, 'one attempt each, no retries');
      assert.equal(r.reports.find((x) => x.id === gone)?.gone, true);
      assert.equal(r.reports.find((x) => x.id === bad)?.gone, false);
      const stats = await r.adminStats();
      assert.equal(stats.destination_gone_total, 1, 'the receiver reports the 410 for the subscription');
      assert.match(String(stats.destination_gone_at), /^\d{4}-\d\d-\d\dT/);
    } finally { await r.done(); }
  });

  test(`${name}: after maxAttempts the message is dead-lettered with the last status and attempt count`, async () => {
    const dest = await scriptedDestination(() => ({ status: 502 }));
    const r = await rig(dest, { delivery: { maxAttempts: 3, retryScheduleMs: [100] } });
    try {
      await r.connector();
      const id = await r.post('{"x":1}');
      const [dl] = await eventually(async () => { const d = await r.deadLetters(); return d.length === 1 && d; }, { message: 'dead letter', timeoutMs: 20_000, intervalMs: 50 });
      assert.equal(dl.id, id);
      assert.match(dl.reason, /max attempts reached \(3\/3\): HTTP 502/);
      assert.equal(dl.lastResult?.statusCode, 502);
      assert.equal(dl.attempts, 3);
      assert.equal(dest.received.length, 3);
    } finally { await r.done(); }
  });

  test(`${name}: an open circuit hands messages back without burning attempts (same attempt number when tried)`, async () => {
    const dest = await scriptedDestination((n) => ({ status: n === 1 ? 503 : 200 }));
    // ack timeout 3 s − delivery timeout 1 s − 2 s margin: the connector cannot hold, so it nacks while open.
    const r = await rig(dest, {
      channel: { ackTimeoutSeconds: 3 },
      delivery: { maxAttempts: 2, timeoutMs: 1000, retryScheduleMs: [50], circuitBreaker: { failureRatio: 0.5, minRequests: 1, openMs: 600 } },
    });
    try {
      await r.connector();
      const id = await r.post('{"circuit":1}');
      const h = await eventually(async () => { const v = await r.history(id); return delivered(v) && v; }, { message: 'delivered once the circuit closes', timeoutMs: 20_000, intervalMs: 50 });
      assert.deepEqual(dest.received.map((x) => x.headers['x-hookbridge-attempt']), ['1', '2'], 'circuit-open hand-backs did not count as attempts');
      const attempts = h?.subscriptions[`${SUB.namespace}/${SUB.name}`].attempts ?? [];
      assert.deepEqual(attempts.map((a) => [a.attempt, a.result?.statusCode]), [[1, 503], [2, 200]]);
      assert.ok(r.reports.some((x) => x.reason === 'circuit open'), 'the circuit was open at least once');
      assert.deepEqual(await r.deadLetters(), []);
    } finally { await r.done(); }
  });

  test(`${name}: a connector killed mid-delivery → the message is redelivered to the next one`, async () => {
    const dest = await scriptedDestination((n) => (n === 1 ? { status: 200, hang: true } : { status: 200 }));
    const r = await rig(dest);
    try {
      const child = r.connectorProcess();
      const id = await r.post('{"kill":"me"}');
      await dest.count(1);
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
      await r.connector();
      await dest.count(2);
      assert.equal(dest.received[1].headers['webhook-id'], id, 'same message, redelivered');
      assert.ok(dest.received[1].body.equals(dest.received[0].body));
      await eventually(async () => delivered(await r.history(id)), { message: 'delivered', timeoutMs: 20_000, intervalMs: 50 });
      await eventually(async () => { const s = await r.stats(); return s.messagesQueued === 0 && s.messagesInFlight === 0; }, { message: 'queue drained', timeoutMs: 20_000, intervalMs: 50 });
      assert.deepEqual(await r.deadLetters(), []);
    } finally { await r.done(); }
  });

  test(`${name}: graceful shutdown finishes in-flight deliveries; unstarted messages go to the next connector`, async () => {
    const dest = await scriptedDestination((n) => ({ status: 200, delayMs: n === 1 ? 400 : 0 }));
    const r = await rig(dest, { delivery: { concurrency: 1 } });
    try {
      const c = await r.connector();
      const first = await r.post('{"n":1}');
      const second = await r.post('{"n":2}');
      await dest.count(1);
      await c.close(5000);
      assert.equal(dest.received.length, 1, 'nothing new started while draining');
      await eventually(async () => delivered(await r.history(first)), { message: 'the in-flight one was acked before the stream closed', timeoutMs: 20_000, intervalMs: 50 });
      await r.connector();
      await dest.count(2);
      assert.deepEqual(dest.received.map((x) => x.headers['webhook-id']), [first, second]);
      await eventually(async () => delivered(await r.history(second)), { message: 'second delivered', timeoutMs: 20_000, intervalMs: 50 });
    } finally { await r.done(); }
  });

  test(`${name}: SSE transport delivers and acks`, async () => {
    const dest = await scriptedDestination(() => ({ status: 200 }));
    const r = await rig(dest, { transport: 'sse' });
    try {
      await r.connector();
      const ids = [await r.post('a'), await r.post(Buffer.from([0xff, 0x00])), await r.post('c')];
      await dest.count(3);
      for (const id of ids) await eventually(async () => delivered(await r.history(id)), { message: `delivered ${id}`, timeoutMs: 20_000, intervalMs: 50 });
      assert.ok(dest.received.every((x) => verifiesFromSpec(x)));
      await eventually(async () => { const s = await r.stats(); return s.messagesQueued === 0 && s.messagesInFlight === 0; }, { message: 'queue drained', timeoutMs: 20_000, intervalMs: 50 });
    } finally { await r.done(); }
  });
}
