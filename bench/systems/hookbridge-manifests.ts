// The bench's Hookbridge configuration, as the same YAML a user would `kubectl apply`: two channels in
// namespace `bench` (`ingest`, nobody consuming; `e2e`, delivered to the destination), one Subscription
// each, and the token and signing Secrets standalone mode reads. Queues are sized so a 10 s closed-loop
// run never fills them (that would measure 503 queue_full, not ingest).
import { stringify } from 'yaml';
import { API_VERSION, tokenSecretName } from '../../shared/api/v1alpha1.ts';
import { signingSecretName } from '../../shared/api/compile.ts';
import type { BenchChannel } from './types.ts';

export const NAMESPACE = 'bench';
export const subscriptionOf = (channel: BenchChannel): string => `${channel}-sink`;

export interface BenchManifestInput {
  destinationUrl: string;
  signingSecret: string; // whsec_...
  tokens: Record<BenchChannel, string>; // hbt_...
  concurrency: number;
}

const secret = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NAMESPACE }, type: 'Opaque', stringData: data,
});

export function benchManifests(o: BenchManifestInput): string {
  const docs: unknown[] = [];
  for (const channel of ['ingest', 'e2e'] as const) {
    const sub = subscriptionOf(channel);
    docs.push({
      apiVersion: API_VERSION, kind: 'WebhookChannel', metadata: { name: channel, namespace: NAMESPACE },
      spec: { maxQueueSize: 10_000_000, ackTimeoutSeconds: 30, maxConnections: 10 },
    });
    docs.push({
      apiVersion: API_VERSION, kind: 'Subscription', metadata: { name: sub, namespace: NAMESPACE },
      spec: {
        channelRef: { name: channel },
        destination: { url: o.destinationUrl },
        delivery: { concurrency: o.concurrency, timeoutSeconds: 10 },
        signing: { scheme: 'standard-webhooks', secretRef: { name: signingSecretName(sub), key: 'secret' } },
      },
    });
    docs.push(secret(tokenSecretName(sub), { token: o.tokens[channel] }));
    docs.push(secret(signingSecretName(sub), { secret: o.signingSecret }));
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

export interface IdleStreamManifestInput {
  /** One token (hbt_...) per subscription; one WebhookChannel + one Subscription each. */
  tokens: string[];
  /** The channels' maxConnections: streams each subscription may hold (1..1000). */
  maxConnections: number;
}

export const idleChannelOf = (i: number): string => `idle-${i}`;

/**
 * Many subscriptions with many streams each, nothing ever published: channel idle-<i> with Subscription
 * idle-<i>-sink, defaults everywhere except maxConnections. The destination is never called.
 */
export function idleStreamManifests(o: IdleStreamManifestInput): string {
  const docs: unknown[] = [];
  o.tokens.forEach((token, i) => {
    const channel = idleChannelOf(i);
    const sub = `${channel}-sink`;
    docs.push({ apiVersion: API_VERSION, kind: 'WebhookChannel', metadata: { name: channel, namespace: NAMESPACE }, spec: { maxConnections: o.maxConnections } });
    docs.push({
      apiVersion: API_VERSION, kind: 'Subscription', metadata: { name: sub, namespace: NAMESPACE },
      spec: { channelRef: { name: channel }, destination: { url: 'http://127.0.0.1:9/never' } },
    });
    docs.push(secret(tokenSecretName(sub), { token }));
  });
  return docs.map((d) => stringify(d)).join('---\n');
}
