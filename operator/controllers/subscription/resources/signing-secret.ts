// `<subscription>-hookbridge-signing`: the generated Standard Webhooks secret (mintSigningSecret in
// shared/standard-webhooks.ts) when the Subscription names no secretRef. Minted once; never regenerated.
import { signingSecretName } from '../../../../shared/api/compile.ts';
import type { Subscription } from '../../../../shared/api/v1alpha1.ts';
import { Component, managedLabels, SIGNING_KEY } from '../../../../shared/labels.ts';
import type { KubeObject } from '../../../../shared/kube/client.ts';
import { b64, ownerRef } from '../../../../shared/kube/owner.ts';
import { Subscriptions } from '../../../../shared/kube/resource-types.ts';


export function buildSigningSecret(sub: Subscription, secret: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: signingSecretName(sub.metadata.name),
      namespace: sub.metadata.namespace,
      labels: managedLabels(Component.Signing),
      ...(sub.metadata.uid ? { ownerReferences: [ownerRef(Subscriptions, sub)] } : {}),
    },
    type: 'Opaque',
    data: { [SIGNING_KEY]: b64(secret) },
  };
}
