import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Applier } from './applier.ts';
import type { KubeClient, KubeObject, ResourceType } from './client.ts';
import { ConfigMaps } from './resource-types.ts';

/** A client that records applies and answers with increasing resourceVersions. */
function recordingClient(): { client: KubeClient; applies: { type: ResourceType; obj: KubeObject; sub?: string }[] } {
  const applies: { type: ResourceType; obj: KubeObject; sub?: string }[] = [];
  let rv = 10;
  const client = {
    apply: async (type: ResourceType, obj: KubeObject, sub?: string) => {
      applies.push({ type, obj, ...(sub && { sub }) });
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
    },
  } as unknown as KubeClient;
  return { client, applies };
}

const desired: KubeObject = { metadata: { name: 'c', namespace: 'ns', labels: { a: '1' } }, data: { k: 'v' } };

test('applies only what the live object lacks', async () => {
  const { client, applies } = recordingClient();
  const a = new Applier(client);
  assert.equal(await a.apply(ConfigMaps, desired, { metadata: { name: 'c', namespace: 'ns', labels: { a: '1', other: 'x' } }, data: { k: 'v' } }), undefined);
  assert.equal(applies.length, 0, 'the live object has it (extra labels are someone else\'s)');
  assert.ok(await a.apply(ConfigMaps, desired, undefined));
  assert.equal(applies.length, 1);
});

test('an identical write still on its way to the cache is not repeated; once the cache shows it, the live object decides', async () => {
  const { client, applies } = recordingClient();
  const a = new Applier(client);
  const changed = { ...desired, data: { k: 'changed' } };
  assert.ok(await a.apply(ConfigMaps, desired, undefined));
  assert.equal(await a.apply(ConfigMaps, desired, undefined), undefined, 'the cache still lags');
  assert.ok(await a.apply(ConfigMaps, changed, undefined), 'a different write goes out');
  assert.equal(await a.apply(ConfigMaps, changed, undefined), undefined);
  a.observe(ConfigMaps, { metadata: { name: 'c', namespace: 'ns', resourceVersion: '5' } });
  assert.equal(await a.apply(ConfigMaps, changed, undefined), undefined, 'an older version in the cache is not our write');
  a.observe(ConfigMaps, { metadata: { name: 'c', namespace: 'ns', resourceVersion: '999' } });
  assert.ok(await a.apply(ConfigMaps, changed, undefined), 'caught up: the live object (here: none) decides');
  assert.equal(applies.length, 3);
});

test('status goes through the status subresource, only when it differs', async () => {
  const { client, applies } = recordingClient();
  const a = new Applier(client);
  const obj: KubeObject = { metadata: { name: 'c', namespace: 'ns' }, status: { phase: 'x' } };
  assert.equal(await a.status(ConfigMaps, obj, { phase: 'x', gone: undefined }), false, 'undefined fields do not count');
  assert.equal(await a.status(ConfigMaps, obj, { phase: 'y' }), true);
  assert.equal(await a.status(ConfigMaps, obj, { phase: 'y' }), false, 'in flight');
  assert.deepEqual(applies.map((x) => [x.sub, x.obj.status]), [['status', { phase: 'y' }]]);
  a.forget(ConfigMaps, 'ns', 'c');
  assert.equal(await a.status(ConfigMaps, obj, { phase: 'y' }), true, 'forgotten after our own delete');
});
