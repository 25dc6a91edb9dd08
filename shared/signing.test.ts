import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { verifyWithSecrets } from './standard-webhooks.ts';
import { signatureHeaders, signingProblem } from './signing.ts';

// The one Standard Webhooks verifier (./standard-webhooks.ts; test/abuse/signing.test.ts holds it
// against the official library). Tolerance 0: these vectors have fixed timestamps.
const specVerify = (secret: string, headers: Record<string, string>, body: Buffer): boolean => verifyWithSecrets([secret], headers, body, 0, 0).ok;

test('matches the Standard Webhooks reference test vector', () => {
  const h = signatureHeaders('standard-webhooks', ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, Buffer.from('{"test": 2432232314}'));
  assert.equal(h['webhook-signature'], 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  assert.equal(h['webhook-id'], 'msg_p5jXN8AQM9LWM0D4loKWxJek');
  assert.equal(h['webhook-timestamp'], '1614265330');
});

test('binary, non-UTF-8 bodies sign over the exact bytes', () => {
  const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
  const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a]);
  const h = signatureHeaders('standard-webhooks', [secret], 'msg_1', 1700000000, body);
  assert.ok(specVerify(secret, h, body));
  assert.ok(!specVerify(secret, h, Buffer.from(body.toString('utf8'))), 'a UTF-8 round trip would change the signature');
});

test('during rotation every secret signs; a verifier holding either secret accepts', () => {
  const oldS = 'whsec_' + Buffer.from('old-secret-bytes-old-secret-byte').toString('base64');
  const newS = 'whsec_' + Buffer.from('new-secret-bytes-new-secret-byte').toString('base64');
  const body = Buffer.from('{"a":1}');
  const h = signatureHeaders('standard-webhooks', [oldS, newS], 'msg_2', 1700000000, body);
  assert.equal(h['webhook-signature'].split(' ').length, 2);
  assert.ok(specVerify(oldS, h, body));
  assert.ok(specVerify(newS, h, body));
  assert.ok(!specVerify('whsec_' + Buffer.from('someone-else').toString('base64'), h, body));
});

test('hmac-sha256 scheme: X-Signature: sha256=<hex of HMAC over the raw body>', () => {
  const body = Buffer.from('{"event":"invoice.paid"}');
  const h = signatureHeaders('hmac-sha256', ['my-shared-secret'], 'msg_3', 1700000000, body);
  const expected = createHmac('sha256', 'my-shared-secret').update(body).digest('hex');
  assert.equal(h['x-signature'], `sha256=${expected}`);
  assert.equal(h['webhook-signature'], undefined);
});

test('no secrets → no signature header, but id and timestamp still sent', () => {
  const h = signatureHeaders('standard-webhooks', ['', '  '], 'msg_4', 1, Buffer.alloc(0));
  assert.deepEqual(h, { 'webhook-id': 'msg_4', 'webhook-timestamp': '1' });
});

test('signingProblem: a Standard Webhooks secret that is not base64 cannot sign; hmac-sha256 takes any string', () => {
  assert.equal(signingProblem('standard-webhooks', ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']), undefined);
  assert.match(signingProblem('standard-webhooks', ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'plain text']) ?? '', /not base64/);
  assert.equal(signingProblem('hmac-sha256', ['plain text']), undefined);
});
