import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedSerializer, jsonPointer, orderingKey } from './ordering.ts';
import { messageFrame } from './testing/fake-receiver.ts';

test('keys from a header or a JSON pointer', () => {
  const m = messageFrame({ headers: { 'x-customer': 'c-1' }, body: Buffer.from('{"data":{"a/b":{"id":7}}}').toString('base64') });
  assert.equal(orderingKey(m, { header: 'X-Customer' }), 'c-1');
  assert.equal(orderingKey(m, { jsonPointer: '/data/a~1b/id' }), '7');
  assert.equal(orderingKey(m, { jsonPointer: '/missing' }), undefined);
  assert.equal(orderingKey(m, undefined), undefined);
  assert.equal(orderingKey(messageFrame({ body: Buffer.from('not json').toString('base64') }), { jsonPointer: '/a' }), undefined);
  assert.deepEqual(jsonPointer({ a: [1, { b: 2 }] }, '/a/1'), { b: 2 });
});

test('same key runs one at a time in arrival order; other keys do not wait', async () => {
  const s = new KeyedSerializer();
  const log: string[] = [];
  const gate: Record<string, () => void> = {};
  const task = (name: string) => () => new Promise<string>((r) => { log.push(`start ${name}`); gate[name] = () => { log.push(`end ${name}`); r(name); }; });
  const a1 = s.run('a', task('a1'));
  const a2 = s.run('a', task('a2'));
  const b1 = s.run('b', task('b1'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['start a1', 'start b1']);
  gate.a1();
  await a1;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['start a1', 'start b1', 'end a1', 'start a2']);
  gate.a2(); gate.b1();
  assert.deepEqual(await Promise.all([a2, b1]), ['a2', 'b1']);
});

test('a failed task does not block the key', async () => {
  const s = new KeyedSerializer();
  await assert.rejects(s.run('k', async () => { throw new Error('boom'); }));
  assert.equal(await s.run('k', async () => 'next'), 'next');
});
