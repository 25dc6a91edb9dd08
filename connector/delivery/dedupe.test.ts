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

test('pruned in steps: never more than 1% over the bound, the newest kept, expired ids dropped within a tenth of the window', () => {
  const clock = new FakeTimers(1_700_000_000_000);
  const d = new Dedupe<string>(clock, 60_000, 1000);
  for (let i = 0; i < 5000; i++) {
    d.markDelivered(`m${i}`);
    assert.ok(d.size <= 1010 && d.size >= Math.min(i + 1, 1000), `${d.size} ids held after ${i + 1}`);
  }
  assert.equal(d.wasDelivered('m4999'), true);
  assert.equal(d.wasDelivered('m3999'), true, 'the newest thousand are all kept');
  assert.equal(d.wasDelivered('m3000'), false);
  clock.advance(61_000);
  d.markDelivered('late');
  assert.equal(d.size, 1, 'everything older than the window went at the next delivery');
});
