import assert from 'node:assert/strict';
import { test } from 'node:test';
import { b64, ownerRef } from './owner.ts';
import { Subscriptions } from './resource-types.ts';

test('an owner reference names the owner by kind and uid, without blocking its deletion', () => {
  assert.deepEqual(ownerRef(Subscriptions, { metadata: { name: 's', namespace: 'ns', uid: 'u1' } }), {
    apiVersion: 'hookbridge.io/v1alpha1', kind: 'Subscription', name: 's', uid: 'u1', controller: true, blockOwnerDeletion: false,
  });
  assert.throws(() => ownerRef(Subscriptions, { metadata: { name: 's' } }), /no uid/);
  assert.equal(Buffer.from(b64('héllo'), 'base64').toString('utf8'), 'héllo');
});
