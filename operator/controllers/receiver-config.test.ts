import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileChannel } from '../../shared/api/compile.ts';
import { receiverConfigFromSecrets } from '../../receiver/config/kube.ts';
import { channel, sub } from './testing/fixtures.ts';
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

test('the receiver reads what the operator writes (receiver/config/kube.ts)', () => {
  const ch = channel({ name: 'gh', namespace: 'shop', spec: { verify: { provider: 'github', secretRef: { name: 's' } }, eventType: { header: 'X-GitHub-Event' } } });
  const cfg = compileChannel(ch, [{ subscription: sub({ name: 'a', namespace: 'shop' }), tokens: [{ sha256: 'ab'.repeat(32) }, { sha256: 'cd'.repeat(32), notAfter: '2030-01-01T00:00:00Z' }] }], ['topsecret']);
  const problems: string[] = [];
  const read = receiverConfigFromSecrets([buildReceiverConfigSecret('hookbridge-system', cfg) as never], (_s, e) => problems.push(e));
  assert.deepEqual(problems, []);
  assert.deepEqual(read.channels, [cfg]);
});
