// Owner references: only within a namespace (cross-namespace children are found by label instead).
import { apiVersionOf, type OwnerReference, type ResourceType } from './client.ts';

export interface Ownable { metadata: { name: string; namespace?: string; uid?: string } }

export function ownerRef(type: ResourceType, owner: Ownable, controller = true): OwnerReference {
  if (!owner.metadata.uid) throw new Error(`owner ${owner.metadata.namespace}/${owner.metadata.name} has no uid`);
  return { apiVersion: apiVersionOf(type), kind: type.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller, blockOwnerDeletion: false };
}

export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
