import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { untilSignal, type SignalTarget } from './signals.ts';

/** A process stand-in: signals are emitted by hand and exit() is recorded instead of ending the test. */
function fakeProcess(): SignalTarget & { emitter: EventEmitter; exits: number[] } {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    emitter,
    exits,
    on: (signal, listener) => emitter.on(signal, listener),
    exit: ((code: number) => { exits.push(code); }) as (code: number) => never,
  };
}

test('the first signal runs the shutdown once and resolves when it has finished', async () => {
  const p = fakeProcess();
  const seen: string[] = [];
  let finish!: () => void;
  const done = untilSignal((signal) => { seen.push(signal); return new Promise<void>((r) => { finish = r; }); }, { target: p });
  let resolved = false;
  void done.then(() => { resolved = true; });
  p.emitter.emit('SIGTERM', 'SIGTERM');
  await Promise.resolve();
  assert.equal(resolved, false, 'still shutting down');
  finish();
  await done;
  assert.deepEqual(seen, ['SIGTERM']);
  assert.deepEqual(p.exits, []);
});

test('a second signal during the shutdown exits at once with the chosen code', async () => {
  const p = fakeProcess();
  const told: string[] = [];
  let calls = 0;
  void untilSignal(() => { calls++; return new Promise<void>(() => {}); }, { target: p, secondSignalExitCode: 1, onSecondSignal: (s) => told.push(s) });
  p.emitter.emit('SIGINT', 'SIGINT');
  p.emitter.emit('SIGTERM', 'SIGTERM');
  assert.equal(calls, 1, 'no second shutdown');
  assert.deepEqual(told, ['SIGTERM']);
  assert.deepEqual(p.exits, [1]);
});

test('the default second-signal exit code is 130', () => {
  const p = fakeProcess();
  void untilSignal(() => new Promise<void>(() => {}), { target: p });
  p.emitter.emit('SIGINT', 'SIGINT');
  p.emitter.emit('SIGINT', 'SIGINT');
  assert.deepEqual(p.exits, [130]);
});

test('a failed shutdown is reported and still resolves', async () => {
  const p = fakeProcess();
  const errors: unknown[] = [];
  const done = untilSignal(() => Promise.reject(new Error('broker gone')), { target: p, onShutdownError: (e) => errors.push(e) });
  p.emitter.emit('SIGTERM', 'SIGTERM');
  await done;
  assert.equal((errors[0] as Error).message, 'broker gone');
});
