// Issue 9 item 5: signing must agree with itself and with the official Standard Webhooks library, both
// ways, with and without the `whsec_` prefix. Before the fix the connector keyed a secret without the
// prefix by its UTF-8 bytes while the receiver (and every Standard Webhooks library) base64-decoded it,
// so a destination using the official library refused every delivery signed with such a secret.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { signatureHeaders } from '../../shared/signing.ts';
import { createVerifier } from '../../receiver/ingest/verify/index.ts';

const KEY = randomBytes(32);
const SECRETS = { 'with whsec_': `whsec_${KEY.toString('base64')}`, 'without whsec_': KEY.toString('base64') };
const BODY = Buffer.from('{"type":"invoice.paid","amount":4200,"note":"ünïcödé"}');

for (const [name, secret] of Object.entries(SECRETS)) {
  test(`connector signs, official library verifies (${name})`, () => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders('standard-webhooks', [secret], 'msg_2Kx9', ts, BODY);
    assert.deepEqual(new Webhook(secret).verify(BODY.toString('utf8'), headers), JSON.parse(BODY.toString('utf8')));
    assert.equal(headers['webhook-signature'], new Webhook(secret).sign('msg_2Kx9', new Date(ts * 1000), BODY.toString('utf8')), 'byte-identical signature');
  });

  test(`official library signs, receiver verify: standard-webhooks accepts (${name})`, () => {
    const now = Date.now();
    const ts = Math.floor(now / 1000);
    const headers = { 'webhook-id': 'msg_7Yq', 'webhook-timestamp': String(ts), 'webhook-signature': new Webhook(secret).sign('msg_7Yq', new Date(ts * 1000), BODY.toString('utf8')) };
    const verify = createVerifier({ provider: 'standard-webhooks', secrets: [secret], toleranceSeconds: 300 });
    assert.equal(verify(headers, BODY, now), true);
    assert.equal(verify({ ...headers, 'webhook-id': 'msg_other' }, BODY, now), false, 'not vacuous: another id fails');
  });

  test(`connector signs, receiver verifies: one key for both (${name})`, () => {
    const now = Date.now();
    const headers = signatureHeaders('standard-webhooks', [secret], 'msg_3', Math.floor(now / 1000), BODY);
    assert.equal(createVerifier({ provider: 'standard-webhooks', secrets: [secret], toleranceSeconds: 300 })(headers, BODY, now), true);
  });
}

// Issue 13: the connector trimmed a secret before keying it, the receiver did not: a secret read with a
// leading newline or space signed deliveries the receiver's `verify: standard-webhooks` refused.
test('connector and receiver key a secret with whitespace around it the same way', () => {
  const now = Date.now();
  for (const secret of [` ${SECRETS['with whsec_']}`, `\n${SECRETS['with whsec_']}\n`, `\t${SECRETS['without whsec_']}`]) {
    const headers = signatureHeaders('standard-webhooks', [secret], 'msg_ws', Math.floor(now / 1000), BODY);
    assert.equal(createVerifier({ provider: 'standard-webhooks', secrets: [secret], toleranceSeconds: 300 })(headers, BODY, now), true, JSON.stringify(secret));
  }
});

test('the prefix only labels the secret: with and without whsec_ sign identically', () => {
  const a = signatureHeaders('standard-webhooks', [SECRETS['with whsec_']], 'msg_1', 1700000000, BODY);
  const b = signatureHeaders('standard-webhooks', [SECRETS['without whsec_']], 'msg_1', 1700000000, BODY);
  assert.equal(a['webhook-signature'], b['webhook-signature']);
});

test('a secret that is not base64 is refused by the official library, the connector and the receiver alike (never used as UTF-8)', () => {
  const secret = 'my-plain-secret!';
  assert.throws(() => new Webhook(secret));
  assert.throws(() => signatureHeaders('standard-webhooks', [secret], 'msg_1', 1700000000, BODY), (err: Error) => {
    assert.match(err.message, /not base64/);
    assert.ok(!err.message.includes(secret), 'the error does not carry the secret');
    return true;
  });
  // What a signer that used the UTF-8 bytes would send is not accepted by the receiver.
  const utf8Signed = new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' }).sign('msg_1', new Date(1700000000_000), BODY.toString('utf8'));
  const verify = createVerifier({ provider: 'standard-webhooks', secrets: [secret], toleranceSeconds: 0 });
  assert.equal(verify({ 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': utf8Signed }, BODY, 1700000000_000), false);
});
