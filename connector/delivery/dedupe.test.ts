import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeTimers } from '../../test/harness/fake-timers.ts';
import { Dedupe } from './dedupe.ts';

test('an id delivered within the window is a duplicate; after the window it is not', () => {
  const clock = new FakeTimers(1_700_000_000_000);
  const d = new Dedupe<string>(clock, 60_000);
  assert.equal(d.wasDelivered('m1'), false);
  d.markDelivered('m1');
  clock.advance(59_000);
  assert.equal(d.wasDelivered('m1'), true);
  clock.advance(2_000);
  assert.equal(d.wasDelivered('m1'), false);
});

test('bounded: the oldest ids are forgotten first', () => {
  const clock = new FakeTimers(1_700_000_000_000);
  const d = new Dedupe<string>(clock, 60_000, 3);
  for (const id of ['a', 'b', 'c', 'd']) { d.markDelivered(id); clock.advance(1); }
  assert.deepEqual(['a', 'b', 'c', 'd'].map((id) => d.wasDelivered(id)), [false, true, true, true]);
});

test('a running delivery is shared until it settles', async () => {
  const d = new Dedupe<string>(new FakeTimers(1_700_000_000_000));
  let finish!: (v: string) => void;
  const p = d.track('m', new Promise<string>((r) => { finish = r; }));
  assert.equal(d.inProgress('m'), p);
  finish('done');
  assert.equal(await p, 'done');
  await new Promise((r) => setImmediate(r));
  assert.equal(d.inProgress('m'), undefined);
});
