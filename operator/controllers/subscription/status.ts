// A Subscription's status, computed from what the reconciler found. Pure: table-tested.
import { destinationUrl } from '../../../shared/api/compile.ts';
import { tokenSecretName, type Subscription } from '../../../shared/api/v1alpha1.ts';
import { ConditionType as T, Reason } from '../../api/conditions.ts';
import { CONNECTOR_NAME } from '../../../shared/labels.ts';
import { SIDECAR_CONFIG_MAP } from '../../injection/mutation.ts';
import type { Condition, SubscriptionStatus } from '../../api/status.ts';
import { condFalse, condTrue, condUnknown, mergeConditions, rfc3339, rollup, type ConditionInput } from '../../runtime/conditions.ts';
import type { KubeObject } from '../../../shared/kube/client.ts';
import type { Binding } from '../binding.ts';
import type { Figures } from '../../stats/receiver-stats.ts';
import { destinationHealth } from './destination-health.ts';

export interface SubscriptionStatusInput {
  sub: Subscription;
  previous?: SubscriptionStatus;
  binding: Binding;
  /** Secrets condition (token + signing), when bound. */
  secrets?: ConditionInput;
  token?: { rotatedAt: string; nextRotationAt?: number };
  /** The namespace's connector: does its config list this subscription, and the Deployment. */
  connector: { configured: boolean; deployment?: KubeObject };
  /** destination.sidecar only: the sidecars serving it (connector above is then the namespace's hookbridge-sidecar ConfigMap). */
  sidecars?: SidecarView;
  figures?: Figures;
  /** The operator has not heard from the receivers yet (just started): receiver-derived conditions stand. */
  statsPending?: boolean;
  now: number;
}

/**
 * ConnectorReady: the connector's ConfigMap lists this Subscription and its Deployment exists and is
 * not reporting Available=False. Where nothing runs pods (no kubelet, e.g. the test apiserver), a
 * Deployment without status counts as deployed; with a deployment controller, Available decides.
 */
export function connectorCondition(c: SubscriptionStatusInput['connector']): ConditionInput {
  if (!c.configured || !c.deployment) return condUnknown(T.ConnectorReady, Reason.ConnectorPending, `Waiting for Deployment ${CONNECTOR_NAME} to list this Subscription`);
  const conds = ((c.deployment.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
  const available = conds.find((x) => x.type === 'Available');
  if (available?.status === 'False') return condFalse(T.ConnectorReady, Reason.ConnectorUnavailable, `Deployment ${CONNECTOR_NAME}: ${available.message || available.reason}`);
  if (available?.status === 'True') return condTrue(T.ConnectorReady, Reason.ConnectorAvailable, `Deployment ${CONNECTOR_NAME} is available`);
  return condTrue(T.ConnectorReady, Reason.ConnectorDeployed, `Deployment ${CONNECTOR_NAME} is deployed`);
}

export interface SidecarView {
  /** Pods whose sidecar serves this Subscription and is ready. */
  ready: number;
  /** Streams the receivers count for this Subscription (undefined: no figures yet). */
  connected?: number;
  /** The channel's maxConnections: the receiver refuses streams beyond it. */
  maxConnections: number;
}

/**
 * ConnectorReady of a destination.sidecar Subscription: the namespace's hookbridge-sidecar ConfigMap lists
 * it, at least one pod's sidecar serving it is ready, and (once the receivers have been heard) at least one
 * of their streams is open. No pod at all is False: nothing delivers, so Ready must not say otherwise.
 * More sidecars than the channel's maxConnections is said in the message (the extra ones cannot connect).
 */
export function sidecarCondition(configured: boolean, v: SidecarView): ConditionInput {
  if (!configured) return condUnknown(T.ConnectorReady, Reason.ConnectorPending, `Waiting for ConfigMap ${SIDECAR_CONFIG_MAP} to list this Subscription`);
  if (v.ready === 0) return condFalse(T.ConnectorReady, Reason.NoSidecars, `No ready pod serves this Subscription: annotate a pod template with hookbridge.io/inject`);
  const over = v.ready > v.maxConnections
    ? `; ${v.ready} sidecars exceed the channel's maxConnections ${v.maxConnections}: ${v.ready - v.maxConnections} cannot open a stream (raise maxConnections)` : '';
  if (v.connected === 0) return condUnknown(T.ConnectorReady, Reason.SidecarsNotConnected, `${v.ready} sidecar(s) ready, no stream open yet${over}`);
  const streams = v.connected === undefined ? '' : `, ${v.connected} stream(s) open`;
  return condTrue(T.ConnectorReady, Reason.SidecarsConnected, `${v.ready} sidecar(s) ready${streams}${over}`);
}

export function subscriptionStatus(i: SubscriptionStatusInput): SubscriptionStatus {
  const { sub, previous: prev } = i;
  const gen = sub.metadata.generation;
  const destination = destinationUrl(sub);
  const created = sub.metadata.creationTimestamp;
  const health = destinationHealth({ createdAt: typeof created === 'string' ? created : undefined, destination, previous: prev, figures: i.figures, pending: i.statsPending });
  let conds: ConditionInput[];
  if (!i.binding.bound) {
    const bound = condFalse(T.ChannelBound, i.binding.reason, i.binding.message);
    conds = [condFalse(T.Ready, bound.reason, bound.message), bound];
  } else {
    const deps = [
      condTrue(T.ChannelBound, Reason.Bound, 'Bound to the channel'),
      i.secrets ?? condUnknown(T.SecretsReady, Reason.TokenPending, 'Token not issued yet'),
      i.sidecars ? sidecarCondition(i.connector.configured, i.sidecars) : connectorCondition(i.connector),
      health.condition,
    ];
    // A 410 Gone holds Ready back (False DestinationGone): the Subscription delivers nothing while it lasts.
    // DestinationHealthy Unknown (no figures yet, destination just changed) does not.
    conds = [rollup(deps, Reason.Ready, i.sidecars ? 'Delivering through connector sidecars' : 'Delivering through the namespace connector', [T.DestinationHealthy]), ...deps];
  }
  const f = i.figures;
  const keep = <K extends 'backlog' | 'deadLettered'>(k: K, v: SubscriptionStatus[K]) => {
    const value = v ?? prev?.[k];
    return value === undefined ? {} : { [k]: value };
  };
  return {
    conditions: mergeConditions(prev?.conditions, conds, gen, new Date(i.now)),
    observedGeneration: gen,
    ...(destination ? { destination } : {}),
    ...(i.binding.bound && !i.sidecars ? { connector: CONNECTOR_NAME } : {}),
    ...(i.binding.bound && i.sidecars ? { sidecars: i.sidecars.ready } : {}),
    ...(i.binding.bound ? { tokenSecretRef: { name: tokenSecretName(sub.metadata.name), key: 'token' } } : {}),
    ...(i.binding.bound && i.token ? {
      tokenRotatedAt: i.token.rotatedAt,
      ...(i.token.nextRotationAt !== undefined ? { nextTokenRotationAt: rfc3339(new Date(i.token.nextRotationAt)) } : {}),
    } : {}),
    ...keep('backlog', f?.backlog),
    ...keep('deadLettered', f?.deadLettered),
    ...(health.lastDeliveryAt !== undefined ? { lastDeliveryAt: health.lastDeliveryAt } : {}),
    ...(health.destinationGoneAt !== undefined ? { destinationGoneAt: health.destinationGoneAt } : {}),
  };
}
