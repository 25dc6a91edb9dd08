// The setup most operator integration tests (and the e2e flow) start from: a Namespace, a WebhookChannel
// and a Subscription bound to it, applied with `kubectl apply` and waited for Ready. The manifests are
// built from objects, so a test states only what differs (names, a spec, what to wait for); the pieces
// are exported for the tests whose world has another shape.
import type { z } from 'zod';
import { stringify } from 'yaml';
import type { Kube } from './kube.ts';
import { API_VERSION, type SubscriptionSpec, type WebhookChannelSpec } from '../../shared/api/v1alpha1.ts';
import { must } from './operator-env.ts';

/** Specs as a person writes them (defaults may be left out). */
export type ChannelSpecInput = z.input<typeof WebhookChannelSpec>;
export type SubscriptionSpecInput = z.input<typeof SubscriptionSpec>;
export type Manifest = Record<string, unknown>;

export const namespace = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** A WebhookChannel; without `spec` the object has none (the apiserver's defaults apply). */
export const channel = (ns: string, name: string, spec?: ChannelSpecInput): Manifest =>
  ({ apiVersion: API_VERSION, kind: 'WebhookChannel', metadata: { name, namespace: ns }, ...(spec && { spec }) });

export const subscription = (ns: string, name: string, spec: SubscriptionSpecInput): Manifest =>
  ({ apiVersion: API_VERSION, kind: 'Subscription', metadata: { name, namespace: ns }, spec });

/** `kubectl apply -f -` of the manifests, in order, as one multi-document YAML. */
export const applyManifests = (kube: Pick<Kube, 'kubectl'>, manifests: Manifest[]): Promise<string> =>
  must(kube, ['apply', '-f', '-'], manifests.map((m) => stringify(m)).join('---\n'));

export interface ChannelAndSubscription {
  ns: string;
  /** Apply the Namespace too (default true); false when it exists already. */
  createNamespace?: boolean;
  channel: string;
  channelSpec?: ChannelSpecInput;
  subscription: string;
  /** channelRef is always `channel`; the destination defaults to http://<subscription>.example/. */
  subscriptionSpec?: Partial<Omit<SubscriptionSpecInput, 'channelRef'>>;
  /** Which objects to wait for Ready=True (default both); false waits for none. */
  wait?: 'both' | 'channel' | 'subscription' | false;
  /** kubectl wait --timeout (default 60s). */
  waitTimeout?: string;
}

export async function applyChannelAndSubscription(kube: Pick<Kube, 'kubectl'>, o: ChannelAndSubscription): Promise<void> {
  const { ns, wait = 'both' } = o;
  await applyManifests(kube, [
    ...(o.createNamespace === false ? [] : [namespace(ns)]),
    channel(ns, o.channel, o.channelSpec),
    subscription(ns, o.subscription, {
      destination: { url: `http://${o.subscription}.example/` }, ...o.subscriptionSpec, channelRef: { name: o.channel },
    }),
  ]);
  if (wait === false) return;
  const objects = [wait !== 'subscription' ? `whc/${o.channel}` : '', wait !== 'channel' ? `whsub/${o.subscription}` : ''].filter(Boolean);
  await must(kube, ['wait', '--for=condition=Ready', `--timeout=${o.waitTimeout ?? '60s'}`, '-n', ns, ...objects]);
}
