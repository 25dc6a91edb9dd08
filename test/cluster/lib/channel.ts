// The WebhookChannel + Subscription pair both cluster tests apply: a channel whose token rotates on
// demand with a grace period the tests wait out, and a Subscription that retries long enough to ride
// through pod deletions and rollouts (only its destination differs).

export interface ChannelPair {
  namespace: string;
  channel: string;
  subscription: string;
  /** Grace period of a token rotation, in seconds. */
  graceSeconds: number;
  /** The Subscription's spec.destination (url, service or sidecar). */
  destination: Record<string, unknown>;
}

/** The two objects as a multi-document manifest for `kubectl apply -f -`. */
export function channelPairManifest(p: ChannelPair): string {
  return JSON.stringify({
    apiVersion: 'hookbridge.io/v1alpha1', kind: 'WebhookChannel', metadata: { name: p.channel, namespace: p.namespace },
    spec: { eventType: { jsonPointer: '/type' }, tokenRotation: { interval: '720h', gracePeriod: `${p.graceSeconds}s` } },
  }) + '\n---\n' + JSON.stringify({
    apiVersion: 'hookbridge.io/v1alpha1', kind: 'Subscription', metadata: { name: p.subscription, namespace: p.namespace },
    spec: {
      channelRef: { name: p.channel },
      destination: p.destination,
      delivery: { retry: { maxAttempts: 100, schedule: ['1s', '2s', '4s'], jitter: 0.2 } },
    },
  });
}
