import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, within } from './eventually.ts';

test('returns the first answer; undefined, null, false and throws are "not yet"', async () => {
  const answers: unknown[] = [undefined, null, false, new Error('not ready'), 0];
  let calls = 0;
  const v = await eventually(() => {
    const a = answers[calls++];
    if (a instanceof Error) throw a;
    return a as number | undefined;
  }, { intervalMs: 1 });
  assert.equal(v, 0, '0 is an answer');
  assert.equal(calls, 5);
});

test('waits for an async probe', async () => {
  let ready = false;
  setTimeout(() => { ready = true; }, 30);
  assert.equal(await eventually(async () => ready && 'ready', { intervalMs: 5 }), 'ready');
});

test('gives up after timeoutMs, naming what was awaited and the last error', async () => {
  await assert.rejects(
    eventually(() => { throw new Error('queue is empty'); }, { timeoutMs: 30, intervalMs: 5, message: 'a delivery' }),
    /^Error: a delivery not reached within 30 ms: queue is empty$/,
  );
  await assert.rejects(eventually(() => false, { timeoutMs: 20, intervalMs: 5 }), /^Error: condition not reached within 20 ms$/);
  let built = 0;
  await assert.rejects(eventually(() => false, { timeoutMs: 20, intervalMs: 5, message: () => `ready (log: ${++built})` }), /^Error: ready \(log: 1\) not reached/);
  assert.equal(built, 1, 'a message function is called once, when giving up');
});

test('abort ends the wait at once with its reason', async () => {
  const started = Date.now();
  await assert.rejects(eventually(() => false, { timeoutMs: 60_000, message: 'the receiver', abort: () => 'it exited with 1' }), /^Error: the receiver: it exited with 1$/);
  assert.ok(Date.now() - started < 5_000);
});

test('within: the promise if it settles in time, else a rejection naming what', async () => {
  assert.equal(await within('a value', Promise.resolve(7), 1_000), 7);
  await assert.rejects(within('the hello', new Promise(() => {}), 10), /^Error: the hello: not within 10 ms$/);
});
