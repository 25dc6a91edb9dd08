import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileChannel } from '../../../../shared/api/compile.ts';
import { channel, sub } from '../../testing/fixtures.ts';
import { buildReceiverConfigSecret, readReceiverConfig, receiverConfigSecretName } from './receiver-config.ts';

test('receiver config Secret: labelled for the receiver, channel.json round-trips, names are unique and bounded', () => {
  const ch = channel({ name: 'payments', namespace: 'shop', spec: { deletionPolicy: 'Retain' } });
  const cfg = compileChannel(ch, [{ subscription: sub({ name: 'a', namespace: 'shop' }), tokens: [{ sha256: 'ab'.repeat(32) }] }], []);
  const secret = buildReceiverConfigSecret('hookbridge-system', cfg);
  assert.equal(secret.metadata.namespace, 'hookbridge-system');
  assert.equal(secret.metadata.labels?.['hookbridge.io/receiver-config'], 'true');
  assert.equal(secret.metadata.ownerReferences, undefined, 'no cross-namespace owner');
  assert.deepEqual(readReceiverConfig(secret), cfg);
  assert.notEqual(receiverConfigSecretName({ namespace: 'a-b', name: 'c' }), receiverConfigSecretName({ namespace: 'a', name: 'b-c' }));
  const long = receiverConfigSecretName({ namespace: 'n'.repeat(63), name: 'x'.repeat(253) });
  assert.ok(long.length <= 253 && long.startsWith('hookbridge-channel.'));
});
