// Issue 9 item 7: while RabbitMQ blocks publishers (a memory alarm raised on the real broker with
// rabbitmqctl), ingest answers an honest 503 buffer_error with Retry-After at once and stores nothing;
// /health, /readyz and hookbridge_buffer_blocked show it; consumers keep acking (draining the queues is
// how an alarm ends), and when the alarm clears, ingest accepts again.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { RabbitBuffer } from '../../receiver/buffer/rabbitmq/index.ts';
import type { Delivery } from '../../receiver/buffer/types.ts';
import { DEFAULT_CONFIRM_TIMEOUT_MS } from '../../receiver/buffer/rabbitmq/publisher.ts';
import { startReceiver, type RunningReceiver } from '../../receiver/server.ts';
import { channel, route } from '../../receiver/test-support.ts';
import { createLogger } from '../../shared/logger.ts';
import { createRegistry } from '../../shared/metrics.ts';
import { startRabbit, type Rabbit } from '../harness/rabbitmq.ts';
import { eventually } from '../harness/eventually.ts';

let rabbit: Rabbit;
let buffer: RabbitBuffer;
let rx: RunningReceiver;
let watermark = '0.4';
const logger = createLogger({ name: 'alarm-test', level: 'warn', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

before(async () => {
  rabbit = await startRabbit();
  watermark = /vm_memory_high_watermark[^\d]*([\d.]+)/.exec(await rabbit.ctl(['environment']).catch(() => ''))?.[1] ?? '0.4';
  buffer = new RabbitBuffer({ url: rabbit.url, logger, reconnectMinMs: 50, reconnectMaxMs: 500 });
  rx = await startReceiver({ buffer, port: 0, host: '127.0.0.1', logger, registry: createRegistry({ defaults: false }) });
  await rx.applyConfig({ channels: [channel('orders', [route('sink')])] });
});
after(async () => {
  await rabbit.ctl(['set_vm_memory_high_watermark', watermark]).catch(() => {});
  await rx.close();
  await buffer.close();
  await rabbit.dispose();
});

const ingest = async (): Promise<{ status: number; body: { error?: string; message?: string }; retryAfter: string | null; ms: number }> => {
  const t0 = performance.now();
  const r = await fetch(`${rx.url}/webhook/shop/orders`, { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(30_000) });
  return { status: r.status, body: await r.json() as { error?: string; message?: string }, retryAfter: r.headers.get('retry-after'), ms: performance.now() - t0 };
};
const health = async (path: string): Promise<{ status: number; json: Record<string, unknown> }> => {
  const r = await fetch(`${rx.url}${path}`, { signal: AbortSignal.timeout(30_000) });
  return { status: r.status, json: await r.json() as Record<string, unknown> };
};

test('the confirm timeout is well under the 10 s providers wait', () => {
  assert.ok(DEFAULT_CONFIRM_TIMEOUT_MS <= 5_000);
});

test('during a memory alarm: 503 buffer_error with Retry-After at once, nothing stored, shown in /health, /readyz and metrics; acks still flow', { timeout: 120_000 }, async (t) => {
  const queue = { channel: { namespace: 'shop', name: 'orders' }, subscription: { namespace: 'shop', name: 'sink' } };
  for (let i = 0; i < 2; i++) assert.equal((await ingest()).status, 202);
  await eventually(async () => (await buffer.stats(queue)).messagesQueued === 2, { message: 'two messages queued before the alarm', timeoutMs: 15_000 });

  const raised = performance.now();
  await rabbit.ctl(['set_vm_memory_high_watermark', '0.0000001']);
  const h = await eventually(async () => { const x = await health('/health'); return x.json.buffer === 'blocked' ? x : undefined; }, { message: '/health shows the alarm', timeoutMs: 15_000 });
  const detectedMs = performance.now() - raised;
  assert.equal(h.status, 503);
  assert.equal(h.json.status, 'degraded');
  const ready = await health('/readyz');
  assert.equal(ready.status, 503);
  assert.match(JSON.stringify(ready.json.reasons), /buffer blocked: RabbitMQ refuses writes \(low on memory\)/);
  assert.match(await (await fetch(`${rx.url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text(), /^hookbridge_buffer_blocked 1$/m);

  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await ingest());
  for (const a of answers) {
    assert.equal(a.status, 503);
    assert.equal(a.body.error, 'buffer_error');
    assert.match(String(a.body.message), /resource alarm/);
    assert.ok(Number(a.retryAfter) > 0);
  }

  // Consumers are on a connection that does not publish, so RabbitMQ keeps reading it: acks drain the queue.
  const taken: Delivery[] = [];
  const consumer = await buffer.consume(queue, 10, (d) => taken.push(d));
  await eventually(async () => taken.length === 2, { message: 'both messages delivered during the alarm', timeoutMs: 15_000 });
  for (const d of taken) await d.ack();
  await eventually(async () => (await buffer.stats(queue)).messagesQueued === 0, { message: 'the acks went through during the alarm', timeoutMs: 15_000 });
  await consumer.cancel();
  assert.equal((await health('/health')).json.buffer, 'blocked', 'still blocked while the queue drained');

  await rabbit.ctl(['set_vm_memory_high_watermark', watermark]);
  await eventually(async () => (await health('/health')).json.buffer === 'connected', { message: '/health after the alarm cleared', timeoutMs: 15_000 });
  assert.equal((await health('/readyz')).status, 200);
  assert.equal((await ingest()).status, 202);
  await eventually(async () => (await buffer.stats(queue)).messagesQueued === 1, { message: 'queued', timeoutMs: 15_000 });
  assert.equal((await buffer.stats(queue)).messagesQueued, 1, 'the 503s stored nothing: only the message accepted after the alarm is queued');
  t.diagnostic(`alarm seen by /health after ${Math.round(detectedMs)} ms; 503 answers in ${answers.map((a) => Math.round(a.ms)).join(', ')} ms`);
});
