// The namespace's `hookbridge-sidecar` ConfigMap: the ConnectorConfig every sidecar of the namespace reads,
// listing the namespace's bound destination.sidecar Subscriptions (each sidecar serves the ones its pod
// names, `--subscriptions`). One ConfigMap per namespace, independent of the pods, so a pod never waits
// for it to be written for its own set, and a Subscription change reaches running sidecars by the same
// in-place volume update the connector Deployment uses. The connector controller applies it.
import { compileConnector } from '../../shared/api/compile.ts';
import type { Subscription } from '../../shared/api/v1alpha1.ts';
import { Component, managedLabels, NAME } from '../../shared/labels.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { ownerRef } from '../../shared/kube/owner.ts';
import { Subscriptions } from '../../shared/kube/resource-types.ts';
import { SIDECAR_CONFIG_KEY, SIDECAR_CONFIG_MAP } from './mutation.ts';

/**
 * A sidecar delivers to its own pod only. Its URLs are localhost by construction (destinationUrl), and
 * this allowlist says so to the connector's guard too, so no configuration mistake can make a sidecar
 * reach another address (the guard still admits its namespace's Services by name, as for every connector).
 */
export const SIDECAR_ALLOWED_DESTINATIONS = ['127.0.0.0/8', '::1/128'];

export const sidecarSubscriptions = (subs: Subscription[]): Subscription[] =>
  subs.filter((s) => s.spec.destination.sidecar && !s.metadata.deletionTimestamp);

export function sidecarConfigJson(receiverUrl: string, subs: Subscription[]): string {
  return `${JSON.stringify(compileConnector(receiverUrl, sidecarSubscriptions(subs), 'websocket', SIDECAR_ALLOWED_DESTINATIONS), null, 2)}\n`;
}

/** The ConfigMap for `namespace`, owned (not controlled) by the Subscriptions it lists, like the connector's. */
export function buildSidecarConfigMap(namespace: string, bound: Subscription[], receiverUrl: string): KubeObject {
  const subs = sidecarSubscriptions(bound);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: SIDECAR_CONFIG_MAP,
      namespace,
      labels: { ...managedLabels(Component.Connector), [NAME]: SIDECAR_CONFIG_MAP },
      ownerReferences: subs.filter((s) => s.metadata.uid).map((s) => ownerRef(Subscriptions, s, false)).sort((a, b) => a.name.localeCompare(b.name)),
    },
    data: { [SIDECAR_CONFIG_KEY]: sidecarConfigJson(receiverUrl, subs) },
  };
}
