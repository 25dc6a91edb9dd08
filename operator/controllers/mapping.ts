// Which keys to enqueue when something changes. Handlers only enqueue; they never look at what kind of
// change it was (level-based). A Subscription's previous channel is remembered so moving it to
// another channel also re-reconciles the one it left. An object's own key is always enqueued; the
// fan-out to dependents only when what they read changed (spec/generation, labels, annotations,
// deletion) — not on our own status writes, which would otherwise echo across a whole channel.
import { channelKeyOf } from '../../shared/api/compile.ts';
import { keyOf } from '../../shared/config.ts';
import { COMPONENT, Component, CONNECTOR_NAME, CHANNEL_ANNOTATION } from '../../shared/labels.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import type { World } from './world.ts';
import { INJECTED_ANNOTATION, parseInjectAnnotation, SIDECAR_CONFIG_MAP } from '../injection/mutation.ts';

export interface Queues {
  channel(key: string): void;
  subscription(key: string): void;
  connector(namespace: string): void;
}

const k = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Remembers a fingerprint of what dependents read; true when it changed (or the object came or went). */
function changeFilter(): (key: string, obj: KubeObject | undefined) => boolean {
  const seen = new Map<string, string>();
  return (key, obj) => {
    if (!obj) return seen.delete(key) || true;
    const m = obj.metadata;
    const print = JSON.stringify([m.uid, m.generation, m.labels, m.annotations, m.deletionTimestamp]);
    if (seen.get(key) === print) return false;
    seen.set(key, print);
    return true;
  };
}

export function wireMapping(world: World, q: Queues): { channelStatsChanged: (channelKey: string) => void } {
  const lastChannel = new Map<string, string>();

  const channelAndDependents = (channelKey: string) => {
    q.channel(channelKey);
    const i = channelKey.indexOf('/');
    for (const s of world.subscriptionsOf(channelKey.slice(0, i), channelKey.slice(i + 1))) {
      q.subscription(keyOf(s.metadata as { namespace: string; name: string }));
      q.connector(s.metadata.namespace ?? 'default');
    }
  };

  const channelChanged = changeFilter();
  world.c.channels.onChange((ch) => {
    const key = k(ch);
    const live = world.c.channels.get(ch.metadata.namespace, ch.metadata.name);
    if (channelChanged(key, live)) channelAndDependents(key); else q.channel(key);
  });

  const subscriptionChanged = changeFilter();
  world.c.subscriptions.onChange((raw) => {
    const key = k(raw);
    q.subscription(key);
    if (!subscriptionChanged(key, world.c.subscriptions.get(raw.metadata.namespace, raw.metadata.name))) return;
    q.connector(raw.metadata.namespace ?? 'default');
    const parsed = world.parsedSubscription(raw.metadata.namespace ?? 'default', raw.metadata.name);
    const now = parsed?.ok ? keyOf(channelKeyOf(parsed.value)) : undefined;
    const before = lastChannel.get(key);
    // Peers on the channel too: a duplicate may become the one that binds.
    for (const ch of new Set([now, before])) if (ch) channelAndDependents(ch);
    if (now && parsed) lastChannel.set(key, now); else lastChannel.delete(key);
  });

  const namespaceChanged = changeFilter();
  world.c.namespaces.onChange((ns) => {
    if (!namespaceChanged(ns.metadata.name, world.c.namespaces.get(undefined, ns.metadata.name))) return;
    q.connector(ns.metadata.name);
    const channels = new Set<string>();
    for (const s of world.allSubscriptions(ns.metadata.name)) {
      q.subscription(`${ns.metadata.name}/${s.metadata.name}`);
      channels.add(keyOf(channelKeyOf(s)));
    }
    for (const ch of channels) q.channel(ch);
  });

  world.c.secrets.onChange((secret) => {
    const ns = secret.metadata.namespace ?? 'default';
    const component = secret.metadata.labels?.[COMPONENT];
    if (component === Component.ReceiverConfig) {
      const ch = secret.metadata.annotations?.[CHANNEL_ANNOTATION];
      if (!ch) return;
      q.channel(ch);
      // A staged token is promoted once the receiver config carries it.
      const i = ch.indexOf('/');
      for (const s of world.subscriptionsOf(ch.slice(0, i), ch.slice(i + 1))) q.subscription(`${s.metadata.namespace}/${s.metadata.name}`);
      return;
    }
    if (component !== Component.Token && component !== Component.Signing) return;
    q.connector(ns);
    for (const owner of secret.metadata.ownerReferences ?? []) {
      if (owner.kind !== 'Subscription') continue;
      q.subscription(`${ns}/${owner.name}`);
      const parsed = world.parsedSubscription(ns, owner.name);
      if (parsed?.ok && component === Component.Token) q.channel(keyOf(channelKeyOf(parsed.value)));
    }
  });

  const connectorChild = (o: KubeObject) => {
    if (o.metadata.name !== CONNECTOR_NAME && o.metadata.name !== SIDECAR_CONFIG_MAP) return;
    const ns = o.metadata.namespace ?? 'default';
    q.connector(ns);
    for (const s of world.allSubscriptions(ns)) q.subscription(`${ns}/${s.metadata.name}`);
  };
  world.c.configMaps.onChange(connectorChild);
  world.c.deployments.onChange(connectorChild);
  world.c.serviceAccounts.onChange(connectorChild);

  // Injected pods: their Subscriptions' status counts them (status.sidecars, ConnectorReady).
  world.c.pods?.onChange((pod) => {
    const ns = pod.metadata.namespace ?? 'default';
    for (const name of parseInjectAnnotation(pod.metadata.annotations?.[INJECTED_ANNOTATION])) q.subscription(`${ns}/${name}`);
  });

  return {
    channelStatsChanged: (channelKey) => {
      q.channel(channelKey);
      const i = channelKey.indexOf('/');
      for (const s of world.subscriptionsOf(channelKey.slice(0, i), channelKey.slice(i + 1))) q.subscription(`${s.metadata.namespace}/${s.metadata.name}`);
    },
  };
}
