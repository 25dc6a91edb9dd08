// The per-namespace connector controller (key: a namespace). Desired state: ConfigMap, ServiceAccount
// and Deployment `hookbridge-connector` listing the namespace's bound Subscriptions; none of them when
// there are none. It also deletes token/signing Secrets whose Subscription is gone (garbage collection
// does the same where kube-controller-manager runs; this keeps the namespace clean without it).
import { PRIVATE_RANGES } from '../../../shared/destinations.ts';
import { EventReason } from '../../api/conditions.ts';
import { COMPONENT, Component, CONNECTOR_NAME } from '../../../shared/labels.ts';
import { done, type Outcome } from '../../runtime/controller.ts';
import type { KubeObject, ResourceType } from '../../../shared/kube/client.ts';
import { ConfigMaps, Deployments, Secrets, ServiceAccounts } from '../../../shared/kube/resource-types.ts';
import { bindingOf } from '../binding.ts';
import type { Deps } from '../deps.ts';
import { buildConnectorConfigMap, buildConnectorDeployment, buildConnectorServiceAccount, type ConnectorInput } from './resources/connector.ts';

import { SIDECAR_CONFIG_MAP } from '../../injection/mutation.ts';
import { buildSidecarConfigMap } from '../../injection/sidecar-config.ts';

export const CONTROLLER = 'connector';

export function connectorReconciler(d: Deps): (namespace: string) => Promise<Outcome> {
  return async (namespace) => {
    // destination.sidecar Subscriptions are delivered by sidecars in the app's pods (operator/injection):
    // this Deployment would refuse their localhost destination (--forbid-loopback) and dead-letter everything.
    const subs = d.world.allSubscriptions(namespace).filter((s) => !s.metadata.deletionTimestamp && !s.spec.destination.sidecar && bindingOf(s, d.world).bound);
    await sweepOrphanSecrets(d, namespace);
    await reconcileSidecarConfig(d, namespace);
    const caches: [ResourceType, (n: string, name: string) => KubeObject | undefined][] = [
      [Deployments, (n, name) => d.world.c.deployments.get(n, name)],
      [ConfigMaps, (n, name) => d.world.c.configMaps.get(n, name)],
      [ServiceAccounts, (n, name) => d.world.c.serviceAccounts.get(n, name)],
    ];
    if (subs.length === 0) {
      let removed = false;
      for (const [type, get] of caches) {
        if (!get(namespace, CONNECTOR_NAME)) continue;
        await d.client.delete(type, namespace, CONNECTOR_NAME);
        d.applier.forget(type, namespace, CONNECTOR_NAME);
        removed = true;
      }
      if (removed) d.logger.info({ namespace }, 'connector removed: no Subscriptions left');
      return done();
    }
    const input: ConnectorInput = {
      namespace, subscriptions: subs, receiverUrl: d.settings.connectorReceiverUrl, image: d.settings.connectorImage,
      imagePullPolicy: d.settings.connectorImagePullPolicy,
      allowedDestinations: d.settings.destinationAllow ?? [...PRIVATE_RANGES], allowLoopback: d.settings.connectorAllowLoopback,
    };
    // ConfigMap and ServiceAccount before the Deployment that mounts and runs as them.
    const desired: [ResourceType, KubeObject][] = [
      [ConfigMaps, buildConnectorConfigMap(input)],
      [ServiceAccounts, buildConnectorServiceAccount(input)],
      [Deployments, buildConnectorDeployment(input)],
    ];
    for (const [type, obj] of desired) {
      const live = caches.find(([t]) => t === type)?.[1](namespace, CONNECTOR_NAME);
      const applied = await d.applier.apply<KubeObject>(type, obj, live);
      if (applied && type === Deployments) {
        d.events.record(Deployments, applied, 'Normal', EventReason.ConnectorUpdated, 'Configure', `Connector ${live ? 'updated' : 'created'} for ${subs.length} Subscription(s)`);
      }
    }
    return done();
  };
}

/**
 * The namespace's hookbridge-sidecar ConfigMap (operator/injection/sidecar-config.ts): every bound
 * destination.sidecar Subscription of the namespace, read by each sidecar there. Applied while there is one,
 * deleted with the last. Written whether or not a pod asks yet, so an injected pod never waits for it.
 */
async function reconcileSidecarConfig(d: Deps, namespace: string): Promise<void> {
  const subs = d.world.allSubscriptions(namespace).filter((s) => !s.metadata.deletionTimestamp && s.spec.destination.sidecar && bindingOf(s, d.world).bound);
  const live = d.world.c.configMaps.get(namespace, SIDECAR_CONFIG_MAP);
  if (subs.length === 0) {
    if (!live) return;
    await d.client.delete(ConfigMaps, namespace, SIDECAR_CONFIG_MAP);
    d.applier.forget(ConfigMaps, namespace, SIDECAR_CONFIG_MAP);
    d.logger.info({ namespace }, 'sidecar config removed: no sidecar Subscriptions left');
    return;
  }
  await d.applier.apply<KubeObject>(ConfigMaps, buildSidecarConfigMap(namespace, subs, d.settings.connectorReceiverUrl), live);
}

/** Token and signing Secrets we generated whose owning Subscription no longer exists. */
async function sweepOrphanSecrets(d: Deps, namespace: string): Promise<void> {
  const mine = new Set<string>([Component.Token, Component.Signing]);
  const uids = new Set(d.world.c.subscriptions.list(namespace).map((s) => s.metadata.uid));
  for (const secret of d.world.c.secrets.list(namespace)) {
    if (!mine.has(secret.metadata.labels?.[COMPONENT] ?? '')) continue;
    const owners = (secret.metadata.ownerReferences ?? []).filter((r) => r.kind === 'Subscription');
    if (owners.length === 0 || owners.some((r) => uids.has(r.uid))) continue;
    await d.client.delete(Secrets, namespace, secret.metadata.name, { uid: secret.metadata.uid });
    d.logger.info({ namespace, secret: secret.metadata.name }, 'removed Secret of a deleted Subscription');
  }
}
