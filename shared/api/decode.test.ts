import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeStrict, unknownFields } from './decode.ts';
import { Subscription } from './v1alpha1.ts';

const TOP = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

test('unknownFields: paths in apiserver spelling through objects, arrays, records and unions', () => {
  const doc = {
    apiVersion: 'hookbridge.io/v1alpha1', kind: 'Subscription', metadata: { name: 's', labels: { any: 'thing' }, annotations: { a: 'b' } },
    spec: { channelRef: { name: 'c', nmespace: 'x' }, eventTypes: ['a'], destination: { service: { name: 'svc', prot: 80 } }, delivery: { keyFrom: { header: 'X', bogus: 1 } }, transform: { format: 'raw' } },
    status: { whatever: 1 },
  };
  assert.deepEqual(unknownFields(Subscription, doc, TOP), ['spec.channelRef.nmespace', 'spec.delivery.keyFrom.bogus', 'spec.destination.service.prot']);
});

test('decodeStrict: ours, Secrets, other core kinds and other groups', () => {
  assert.equal(decodeStrict({ apiVersion: 'hookbridge.io/v1alpha1', kind: 'WebhookChannel', metadata: { name: 'a' } }).kind, 'WebhookChannel');
  assert.equal(decodeStrict({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a' }, type: 'Opaque', data: {} }).kind, 'Secret');
  assert.equal(decodeStrict({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }).kind, 'other');
  assert.equal(decodeStrict({ apiVersion: 'example.com/v1', kind: 'Widget' }).kind, 'other');
  assert.throws(() => decodeStrict({ apiVersion: 'example.com/v1', kind: 'Subscription' }), /no matches for kind "Subscription" in version "example.com\/v1"/);
  assert.throws(() => decodeStrict({ kind: 'Secret' }), /'apiVersion' is missing/);
});
