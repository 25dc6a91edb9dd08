// `<subscription>-hookbridge-token`: the token the connector presents (key `token`), a staged successor
// during a rotation (key `next-token`, not mounted) and, as annotations, when the token was minted and
// the previous token's hash during a rotation's grace period.
import { tokenSecretName, type Subscription } from '../../shared/api/v1alpha1.ts';
import {
  Component, managedLabels, NEXT_TOKEN_KEY, PREVIOUS_HASH_ANNOTATION, PREVIOUS_NOT_AFTER_ANNOTATION, ROTATE_HANDLED_ANNOTATION, ROTATED_AT_ANNOTATION, TOKEN_KEY,
} from '../../shared/labels.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { b64, ownerRef } from '../../shared/kube/owner.ts';
import { Subscriptions } from '../../shared/kube/resource-types.ts';
import type { TokenState } from './token-state.ts';

export function buildTokenSecret(sub: Subscription, state: TokenState): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: tokenSecretName(sub.metadata.name),
      namespace: sub.metadata.namespace,
      labels: managedLabels(Component.Token),
      annotations: {
        [ROTATED_AT_ANNOTATION]: state.rotatedAt,
        ...(state.previous ? { [PREVIOUS_HASH_ANNOTATION]: state.previous.sha256, [PREVIOUS_NOT_AFTER_ANNOTATION]: state.previous.notAfter } : {}),
        ...(state.handled !== undefined ? { [ROTATE_HANDLED_ANNOTATION]: state.handled } : {}),
      },
      ...(sub.metadata.uid ? { ownerReferences: [ownerRef(Subscriptions, sub)] } : {}),
    },
    type: 'Opaque',
    data: { [TOKEN_KEY]: b64(state.token), ...(state.next ? { [NEXT_TOKEN_KEY]: b64(state.next) } : {}) },
  };
}
