import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secretKey, sign, signHeaders, SigningSecretError, verify, verifyWithSecrets } from './standard-webhooks.ts';

// The published Standard Webhooks test vector.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = Buffer.from('{"test": 2432232314}');
const SIG = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

test('secretKey: base64 with or without whsec_; anything else is refused without echoing it', () => {
  assert.deepEqual(secretKey(SECRET), secretKey(SECRET.slice(6)));
  assert.equal(secretKey('YWJj').toString(), 'abc');
  assert.equal(secretKey('YWI=').toString(), 'ab');
  for (const bad of ['', 'whsec_', 'my-secret', 'YWJ', 'a-b_', 'YW=j', 'YWJj\x00']) {
    assert.throws(() => secretKey(bad), (e: Error) => e instanceof SigningSecretError && (bad === '' || !e.message.includes(bad)), JSON.stringify(bad));
  }
});

// Issue 13: the connector keyed `secret.trim()` (connector/delivery/signing.ts) while the receiver's verifier
// and the manifest check keyed `secret` as it came (secretKey trimmed only after looking for `whsec_`), so a
// secret with whitespace before it signed every delivery with a key the receiver refused.
test('secretKey: whitespace around a secret is not part of it, before or after the prefix', () => {
  for (const padded of [` ${SECRET}`, `\n${SECRET}\n`, `\t${SECRET} `, `${SECRET}\n`, ` ${SECRET.slice(6)}\n`]) {
    assert.deepEqual(secretKey(padded), secretKey(SECRET), JSON.stringify(padded));
  }
});

test('sign matches the published vector', () => {
  assert.equal(sign(secretKey(SECRET), ID, TS, BODY), SIG);
  assert.deepEqual(signHeaders([secretKey(SECRET)], ID, TS, BODY), { 'webhook-id': ID, 'webhook-timestamp': String(TS), 'webhook-signature': SIG });
});

test('verify: any matching v1 entry, within the tolerance, nothing else', () => {
  const k = [secretKey(SECRET)];
  const h = { 'webhook-id': ID, 'webhook-timestamp': String(TS), 'webhook-signature': `v2,abc v1,Zm9v ${SIG}` };
  assert.deepEqual(verify(k, h, BODY, TS * 1000), { ok: true });
  assert.deepEqual(verify(k, h, BODY, (TS + 301) * 1000), { ok: false, reason: 'webhook-timestamp outside the tolerance' });
  assert.deepEqual(verify(k, h, BODY, (TS + 9999) * 1000, 0), { ok: true }, 'tolerance 0 disables the age check');
  assert.equal(verify(k, { ...h, 'webhook-timestamp': '1e9' }, BODY, TS * 1000).ok, false);
  assert.equal(verify(k, { ...h, 'webhook-signature': 'v1,' }, BODY, TS * 1000).ok, false);
  assert.equal(verify(k, { 'webhook-id': ID, 'webhook-timestamp': String(TS) }, BODY, TS * 1000).ok, false);
  assert.equal(verify(k, h, Buffer.concat([BODY, Buffer.from(' ')]), TS * 1000).ok, false);
  assert.equal(verify([], h, BODY, TS * 1000).ok, false);
});

test('verifyWithSecrets: a rotation accepts either secret; a secret without a key matches nothing', () => {
  const h = { 'webhook-id': ID, 'webhook-timestamp': String(TS), 'webhook-signature': SIG };
  assert.equal(verifyWithSecrets([SECRET], { ...h, 'webhook-signature': `v1,bogus ${SIG}` }, BODY, TS * 1000).ok, true);
  assert.equal(verifyWithSecrets([SECRET], h, Buffer.from('{"test": 2432232315}'), TS * 1000).ok, false, 'tampered body');
  assert.equal(verifyWithSecrets([SECRET], h, BODY, (TS + 3600) * 1000).ok, false, 'stale timestamp');
  assert.equal(verifyWithSecrets(['not base64!', SECRET], h, BODY, TS * 1000).ok, true);
  assert.deepEqual(verifyWithSecrets(['not base64!'], h, BODY, TS * 1000), { ok: false, reason: 'no usable signing secret' });
});
