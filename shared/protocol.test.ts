// Client frame validation: finite numbers only (JSON has no Infinity), ids bounded, junk refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClientFrame } from './protocol.ts';

test('ping/pong t must be a finite number, else 0', () => {
  assert.deepEqual(parseClientFrame('{"type":"ping","t":1e400}'), { type: 'ping', t: 0 });
  assert.deepEqual(parseClientFrame('{"type":"ping","t":-1e400}'), { type: 'ping', t: 0 });
  assert.deepEqual(parseClientFrame('{"type":"ping","t":"12"}'), { type: 'ping', t: 0 });
  assert.deepEqual(parseClientFrame('{"type":"pong","t":12.5}'), { type: 'pong', t: 12.5 });
});

test('ack/nack need a bounded string id; a nack delay that is not a finite number >= 0 is dropped', () => {
  assert.equal(parseClientFrame('{"type":"ack","id":5}'), undefined);
  assert.equal(parseClientFrame('{"type":"ack","id":""}'), undefined);
  assert.equal(parseClientFrame(JSON.stringify({ type: 'ack', id: 'x'.repeat(257) })), undefined);
  assert.deepEqual(parseClientFrame('{"type":"nack","id":"a","action":"retry","delayMs":1e400}'), { type: 'nack', id: 'a', action: 'retry' });
  assert.deepEqual(parseClientFrame('{"type":"nack","id":"a","action":"retry","delayMs":-5}'), { type: 'nack', id: 'a', action: 'retry' });
  assert.deepEqual(parseClientFrame('{"type":"nack","id":"a","action":"retry","delayMs":0}'), { type: 'nack', id: 'a', action: 'retry', delayMs: 0 });
  assert.deepEqual(parseClientFrame('{"type":"nack","id":"a","action":"retry","delayMs":250}'), { type: 'nack', id: 'a', action: 'retry', delayMs: 250 });
  assert.equal(parseClientFrame('{"type":"nack","id":"a","action":"later"}'), undefined);
});

test('junk is not a frame', () => {
  for (const s of ['', 'null', '[]', '"ping"', '{"type":"hello"}', '{"__proto__":{"type":"ping"}}', '{']) assert.equal(parseClientFrame(s), undefined, s);
});
