import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BODY_BYTES, makeBody, readStamp } from './payload.ts';
import { hmacHex, signStandard, verifyHmacHeader, verifyStandard } from './signatures.ts';

test('bench bodies are exactly 1 KiB of JSON and carry their stamp', () => {
  const t = 1_750_000_000_123.456;
  const body = makeBody(123456, t);
  assert.equal(body.length, BODY_BYTES);
  assert.deepEqual(readStamp(body), { seq: 123456, t });
  // The BullMQ baseline re-serialises the parsed object; the stamp survives that too.
  assert.deepEqual(readStamp(JSON.stringify(JSON.parse(body.toString()))), { seq: 123456, t });
  assert.equal(readStamp(Buffer.from('not json')), undefined);
});

test('Standard Webhooks signatures verify, with several signatures and not when tampered', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  const body = makeBody(1, 2);
  const sig = signStandard(secret, 'msg_1', 1700000000, body);
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,bm90LWl0 ${sig}` };
  assert.ok(verifyStandard(secret, headers, body));
  assert.ok(!verifyStandard(secret, { ...headers, 'webhook-id': 'msg_2' }, body));
  assert.ok(!verifyStandard(secret, headers, makeBody(1, 3)));
  assert.ok(!verifyStandard(secret, { ...headers, 'webhook-signature': undefined }, body));
});

test('X-Signature sha256= verifies and rejects another secret', () => {
  const body = makeBody(9, 9);
  const headers = { 'x-signature': `sha256=${hmacHex('s3', body)}` };
  assert.ok(verifyHmacHeader('s3', headers, body));
  assert.ok(!verifyHmacHeader('other', headers, body));
  assert.ok(!verifyHmacHeader('s3', {}, body));
});
