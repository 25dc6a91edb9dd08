// Backpressure rules on a fake outgoing queue: control frames skipped over the backlog, a slow reader found
// after N heartbeats without progress, a reader that drains (even slowly) never is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backpressure, CONTROL_BACKLOG_BYTES, hardLimitBytes } from './backpressure.ts';

test('control frames are skipped only while more than CONTROL_BACKLOG_BYTES wait', () => {
  let waiting = 0;
  const b = new Backpressure({ buffered: () => waiting }, 3);
  assert.ok(b.controlAllowed());
  waiting = CONTROL_BACKLOG_BYTES + 1;
  assert.ok(!b.controlAllowed());
  assert.equal(b.skipped, 1);
});

test('a peer that takes nothing for 3 beats while frames wait is a slow reader; one that drains is not', () => {
  let waiting = 0;
  const stuck = new Backpressure({ buffered: () => waiting }, 3);
  stuck.sent(1000);
  waiting = 1000;
  assert.deepEqual([stuck.beat(), stuck.beat(), stuck.beat()], [false, false, true]);

  let slowWaiting = 0;
  const slow = new Backpressure({ buffered: () => slowWaiting }, 3);
  for (let i = 0; i < 10; i++) {
    slow.sent(1000);
    slowWaiting += 1000 - 10; // takes 10 bytes per beat
    assert.equal(slow.beat(), false, `beat ${i}`);
  }
  const idle = new Backpressure({ buffered: () => 0 }, 3);
  for (let i = 0; i < 10; i++) assert.equal(idle.beat(), false, 'nothing waiting is never stalled');
});

test('the hard limit covers a full window of the largest message frames', () => {
  assert.ok(hardLimitBytes(10, 1024 * 1024) > 10 * 1024 * 1024 * 4 / 3);
  assert.ok(hardLimitBytes(1, 1024) < 2 * 1024 * 1024);
});
