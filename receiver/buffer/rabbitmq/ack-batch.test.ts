import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AckBatch, planAcks } from './ack-batch.ts';

test('a run of settled tags below every outstanding one is one multiple ack; the rest go singly', () => {
  assert.deepEqual(planAcks([3, 1, 2, 7], 5), { upTo: 3, singles: [7] });
  assert.deepEqual(planAcks([4, 9, 6], Infinity), { upTo: 9, singles: [] });
});

test('one tag, or none below the lowest outstanding, goes singly (multiple would cover an unsettled one)', () => {
  assert.deepEqual(planAcks([2], Infinity), { singles: [2] });
  assert.deepEqual(planAcks([6, 8], 5), { singles: [6, 8] });
  assert.deepEqual(planAcks([4, 8, 9], 5), { singles: [4, 8, 9] });
});

const msg = (tag: number): ConsumeMessage => ({ fields: { deliveryTag: tag } }) as ConsumeMessage;

test('AckBatch sends a turn\'s acks at the end of the turn, as planned against what is still outstanding', async () => {
  const sent: [number, boolean][] = [];
  const ch = { ack: (m: ConsumeMessage, all?: boolean) => { sent.push([m.fields.deliveryTag, all === true]); } } as unknown as Channel;
  let outstanding = 4;
  const batch = new AckBatch(ch, () => outstanding);
  batch.add(msg(2)); batch.add(msg(1)); batch.add(msg(3)); batch.add(msg(6));
  assert.deepEqual(sent, [], 'nothing before the turn ends');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sent, [[3, true], [6, false]]);
  outstanding = Infinity;
  batch.add(msg(4));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sent.at(-1), [4, false]);
});

test('a channel that closed before the flush: the throw is swallowed (the broker takes the messages back)', async () => {
  const ch = { ack: () => { throw new Error('Channel closed'); } } as unknown as Channel;
  const batch = new AckBatch(ch, () => Infinity);
  batch.add(msg(1));
  await new Promise((resolve) => setImmediate(resolve));
  batch.flush(); // nothing pending: no-op
});
