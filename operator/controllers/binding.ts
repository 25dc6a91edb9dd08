// Whether a Subscription binds to its WebhookChannel — one pure decision both controllers use (the
// Subscription's ChannelBound condition and the channel's receiver config must agree).
import { BindReason, channelKeyOf, destinationProblem, duplicateOf, namespaceAllowed } from '../../shared/api/compile.ts';
import type { Subscription, WebhookChannel } from '../../shared/api/v1alpha1.ts';
import { keyOf } from '../../shared/config.ts';

export type Binding = { bound: true } | { bound: false; reason: BindReason; message: string };

export interface BindingWorld {
  channel(namespace: string, name: string): WebhookChannel | undefined;
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** Every live Subscription that references the channel (for duplicate detection). */
  subscriptionsOf(channelNamespace: string, channelName: string): Subscription[];
}

/** The checks that do not depend on other Subscriptions. */
function basic(sub: Subscription, world: BindingWorld): Binding {
  const ck = channelKeyOf(sub);
  const channel = world.channel(ck.namespace, ck.name);
  if (!channel || channel.metadata.deletionTimestamp) {
    return { bound: false, reason: BindReason.ChannelNotFound, message: `WebhookChannel ${keyOf(ck)} does not exist` };
  }
  const problem = destinationProblem(sub);
  if (problem) return { bound: false, reason: BindReason.InvalidDestination, message: problem };
  const ns = sub.metadata.namespace ?? 'default';
  if (!namespaceAllowed(channel, ns, world.namespaceLabels(ns))) {
    return { bound: false, reason: BindReason.NamespaceNotAllowed, message: `WebhookChannel ${keyOf(ck)} does not allow Subscriptions from namespace ${ns} (see its spec.allowedNamespaces)` };
  }
  return { bound: true };
}

export function bindingOf(sub: Subscription, world: BindingWorld): Binding {
  const b = basic(sub, world);
  if (!b.bound) return b;
  const ck = channelKeyOf(sub);
  const peers = world.subscriptionsOf(ck.namespace, ck.name).filter((o) => !o.metadata.deletionTimestamp && basic(o, world).bound);
  const older = duplicateOf(sub, peers);
  if (older) {
    return { bound: false, reason: BindReason.DuplicateSubscription, message: `Subscription ${older.metadata.namespace}/${older.metadata.name} already delivers the same event types of this channel to the same destination` };
  }
  return { bound: true };
}
