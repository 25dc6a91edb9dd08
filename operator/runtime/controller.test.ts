import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../shared/logger.ts';
import { createRegistry } from '../../shared/metrics.ts';
import { combine, Controller, done, requeueAfter, retry, terminal, type Outcome } from './controller.ts';
import { FakeTimers } from './fake-timers.ts';
import { ApiError } from '../../shared/kube/client.ts';
import { createOperatorMetrics } from './metrics.ts';
import { WorkQueue } from './workqueue.ts';

const logger = createLogger({ name: 't', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });

function setup(reconcile: (key: string) => Promise<Outcome>) {
  const timers = new FakeTimers();
  const registry = createRegistry({ defaults: false });
  const metrics = createOperatorMetrics(registry);
  const queue = new WorkQueue({ baseDelayMs: 100, timers });
  const c = new Controller({ name: 'test', reconcile, logger, metrics, queue });
  const count = async (result: string) => (await metrics.reconcileTotal.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { c, queue, timers, count, metrics };
}

test('outcomes: done forgets, requeueAfter schedules, retry backs off, terminal stops, conflict retries quietly', async () => {
  let next: () => Promise<Outcome> = async () => done();
  const { c, queue, timers, count, metrics } = setup(() => next());

  await c.process('k');
  assert.equal(queue.length, 0);
  assert.equal(await count('success'), 1);

  next = async () => requeueAfter(5000);
  await c.process('k');
  timers.advance(4999);
  assert.equal(queue.length, 0);
  timers.advance(1);
  assert.equal(queue.length, 1, 'back after the requested delay');
  await queue.get(); queue.done('k');

  next = async () => retry('not yet');
  await c.process('k');
  await c.process('k');
  assert.equal(queue.failuresOf('k'), 2, 'retries back off per key');
  assert.equal(await count('error'), 2);
  assert.equal((await metrics.reconcileErrors.get()).values[0].value, 2);

  next = async () => { throw new ApiError(409, 'Conflict', 'the object has been modified'); };
  await c.process('k');
  assert.equal((await metrics.reconcileErrors.get()).values[0].value, 2, 'a conflict is not an error');
  assert.equal(await count('requeue'), 2);

  next = async () => { throw new Error('boom'); };
  await c.process('k');
  assert.equal((await metrics.reconcileErrors.get()).values[0].value, 3, 'an exception is');

  next = async () => terminal('fix the spec');
  await c.process('k');
  assert.equal(queue.failuresOf('k'), 0, 'terminal: no more retries');
});

test('combine: retry wins, else the earliest requeue, else done', () => {
  assert.deepEqual(combine(done(), requeueAfter(500), requeueAfter(100)), requeueAfter(100));
  assert.deepEqual(combine(requeueAfter(100), retry('x')), retry('x'));
  assert.deepEqual(combine(done(), done()), done());
  assert.deepEqual(requeueAfter(Infinity), done());
});

test('workers never reconcile one key concurrently', async () => {
  let running = 0;
  let max = 0;
  let calls = 0;
  const { c } = setup(async () => {
    running++; max = Math.max(max, running); calls++;
    await new Promise((r) => setImmediate(r));
    running--;
    return done();
  });
  c.start();
  for (let i = 0; i < 20; i++) { c.enqueue('same'); await new Promise((r) => setImmediate(r)); }
  await new Promise((r) => setTimeout(r, 20));
  await c.stop();
  assert.equal(max, 1);
  assert.ok(calls >= 2 && calls <= 20);
});
