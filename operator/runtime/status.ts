// Status is written through the status subresource, by server-side apply, and only when it differs
// from what the object already shows (so an idle operator writes nothing).
import { deepEqual } from './compare.ts';
import type { KubeClient, KubeObject, ResourceType } from './kube-client.ts';

/** Writes `status` if it differs from `obj.status`; returns whether a write happened. */
export async function writeStatusIfChanged(client: KubeClient, type: ResourceType, obj: KubeObject, status: Record<string, unknown>): Promise<boolean> {
  const clean = JSON.parse(JSON.stringify(status)) as Record<string, unknown>;
  if (deepEqual(obj.status ?? {}, clean)) return false;
  await client.apply(type, { metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, status: clean }, 'status');
  return true;
}
