// Typed WebhookChannel/Subscription objects for unit tests, defaults applied as the apiserver would.
import { Subscription, WebhookChannel, API_VERSION } from '../../../shared/api/v1alpha1.ts';

let uid = 0;
const nextUid = () => `00000000-0000-4000-8000-${String(++uid).padStart(12, '0')}`;

export function sub(o: { name: string; namespace?: string; spec?: Record<string, unknown>; annotations?: Record<string, string>; createdAt?: string }): Subscription {
  return Subscription.parse({
    apiVersion: API_VERSION,
    kind: 'Subscription',
    metadata: { name: o.name, namespace: o.namespace ?? 'default', uid: nextUid(), generation: 1, creationTimestamp: o.createdAt ?? '2030-01-01T00:00:00Z', ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { channelRef: { name: 'payments' }, destination: { url: 'http://sink.default.svc/hook' }, ...o.spec },
  });
}

export function channel(o: { name: string; namespace?: string; spec?: Record<string, unknown>; annotations?: Record<string, string> }): WebhookChannel {
  return WebhookChannel.parse({
    apiVersion: API_VERSION,
    kind: 'WebhookChannel',
    metadata: { name: o.name, namespace: o.namespace ?? 'default', uid: nextUid(), generation: 1, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: o.spec ?? {},
  });
}
