// Subscription: binding (ChannelBound), token Secret with rotation, signing Secret, status. The
// namespace's connector is the connector controller's (controllers/connector/); this one reports on it.
import { channelKeyOf } from '../../../shared/api/compile.ts';
import { tokenSecretName, type Subscription, type WebhookChannel } from '../../../shared/api/v1alpha1.ts';
import type { ConnectorConfig } from '../../../shared/config.ts';
import { mintSigningSecret } from '../../../shared/standard-webhooks.ts';
import { ConditionType as T, EventReason, Reason } from '../../api/conditions.ts';
import { CONNECTOR_CONFIG_KEY, CONNECTOR_NAME } from '../../../shared/labels.ts';
import type { Condition, SubscriptionStatus } from '../../api/status.ts';
import { condFalse, condTrue, findCondition, mergeConditions, type ConditionInput } from '../../runtime/conditions.ts';
import { combine, done, requeueAfter, terminal, type Outcome } from '../../runtime/controller.ts';
import type { KubeObject } from '../../../shared/kube/client.ts';
import { Secrets, Subscriptions } from '../../../shared/kube/resource-types.ts';
import { bindingOf, type Binding } from '../binding.ts';
import { MAX_REQUEUE_MS, MISSING_SECRET_RECHECK_MS, type Deps } from '../deps.ts';
import { buildSigningSecret } from './resources/signing-secret.ts';
import { subscriptionStatus, type SidecarView } from './status.ts';
import { SIDECAR_CONFIG_MAP } from '../../injection/mutation.ts';
import { countSidecars } from '../../injection/status.ts';
import { TokenKeeper, type TokenResult } from '../../tokens/keeper.ts';

export const CONTROLLER = 'subscription';

/**
 * One pass per concern: binding (and its events), the token, the signing Secret, then status and the
 * destination's events; the outcome is when to look again. Each concern reads the caches and writes only
 * what differs, so the pass is level-based and repeatable.
 */
export function subscriptionReconciler(d: Deps): (key: string) => Promise<Outcome> {
  const tokens = new TokenKeeper(d);
  return async (key) => {
    const i = key.indexOf('/');
    const [ns, name] = [key.slice(0, i), key.slice(i + 1)];
    const parsed = d.world.parsedSubscription(ns, name);
    if (!parsed || parsed.raw.metadata.deletionTimestamp) {
      d.metrics.tokens.delete(key);
      return done(); // children are owned by the Subscription; the connector controller sweeps the namespace
    }
    const raw = parsed.raw;
    if (!parsed.ok) return invalidSpec(d, raw, parsed.error);
    const sub = parsed.value;
    const previous = raw.status as SubscriptionStatus | undefined;
    const binding = bindingOf(sub, d.world);
    bindingEvent(d, sub, raw, binding, findCondition(previous?.conditions, T.ChannelBound));
    if (!binding.bound) {
      d.metrics.tokens.delete(key);
      const status = subscriptionStatus({ sub, previous, binding, connector: { configured: false }, now: d.now() });
      await d.applier.status(Subscriptions, raw, status as Record<string, unknown>);
      return done(); // a change to the channel, namespace or peers re-queues this key
    }
    const ck = channelKeyOf(sub);
    const token = await tokens.ensure(sub, raw, d.world.channel(ck.namespace, ck.name) as WebhookChannel);
    const signing = await ensureSigning(d, sub);
    const status = boundStatus(d, key, sub, previous, binding, token, signing);
    await d.applier.status(Subscriptions, raw, status as Record<string, unknown>);
    destinationEvent(d, raw, findCondition(previous?.conditions, T.DestinationHealthy), findCondition(status.conditions, T.DestinationHealthy));
    sidecarLimitEvent(d, raw, previous, status, d.world.channel(ck.namespace, ck.name)?.spec.maxConnections);
    return nextLook(d, token, signing);
  };
}

/** A spec the schema refuses: Ready=False InvalidSpec, and no retry until the object changes. */
async function invalidSpec(d: Deps, raw: KubeObject, error: string): Promise<Outcome> {
  const invalid = condFalse(T.Ready, Reason.InvalidSpec, error);
  await d.applier.status(Subscriptions, raw, { conditions: mergeConditions(undefined, [invalid], raw.metadata.generation, new Date(d.now())), observedGeneration: raw.metadata.generation });
  return terminal(error);
}

/** An event when the Subscription binds, when it stops binding, or stops for another reason; a refused destination has its own reason. */
function bindingEvent(d: Deps, sub: Subscription, raw: KubeObject, binding: Binding, was: Condition | undefined): void {
  if (binding.bound) {
    if (was?.status !== 'True') d.events.record(Subscriptions, raw, 'Normal', EventReason.Bound, 'Bind', `Bound to WebhookChannel ${channelKeyOf(sub).namespace}/${channelKeyOf(sub).name}`);
    return;
  }
  if (was?.status !== 'False' || was.reason !== binding.reason) {
    const reason = binding.reason === Reason.InvalidDestination ? EventReason.InvalidDestination : EventReason.NotBound;
    d.events.record(Subscriptions, raw, 'Warning', reason, 'Bind', `${binding.reason}: ${binding.message}`);
  }
}

/** The status of a bound Subscription: its Secrets, token schedule, the namespace's connector and the receivers' figures. */
function boundStatus(d: Deps, key: string, sub: Subscription, previous: SubscriptionStatus | undefined, binding: Binding,
  token: TokenResult, signing: ConditionInput | undefined): SubscriptionStatus {
  const ns = sub.metadata.namespace ?? 'default';
  const ck = channelKeyOf(sub);
  const view = d.stats.view(ck);
  const figures = view.state === 'ok' ? view.stats.subscriptions[key] : undefined;
  if (sub.spec.destination.sidecar) {
    const sidecars: SidecarView = {
      ready: countSidecars(d.world.sidecarPods(ns)).get(sub.metadata.name) ?? 0,
      connected: figures?.connected,
      maxConnections: d.world.channel(ck.namespace, ck.name)?.spec.maxConnections ?? Infinity,
    };
    return subscriptionStatus({
      sub, previous, binding,
      secrets: signing ?? condTrue(T.SecretsReady, Reason.SecretsIssued, `Token in Secret ${tokenSecretName(sub.metadata.name)}`),
      token: { rotatedAt: token.rotatedAt, nextRotationAt: token.nextRotationAt },
      connector: { configured: connectorLists(d.world.c.configMaps.get(ns, SIDECAR_CONFIG_MAP), sub) },
      sidecars,
      figures,
      statsPending: view.state === 'pending',
      now: d.now(),
    });
  }
  return subscriptionStatus({
    sub, previous, binding,
    secrets: signing ?? condTrue(T.SecretsReady, Reason.SecretsIssued, `Token in Secret ${tokenSecretName(sub.metadata.name)}`),
    token: { rotatedAt: token.rotatedAt, nextRotationAt: token.nextRotationAt },
    connector: { configured: connectorLists(d.world.c.configMaps.get(ns, CONNECTOR_NAME), sub), deployment: d.world.c.deployments.get(ns, CONNECTOR_NAME) },
    figures,
    statsPending: view.state === 'pending',
    now: d.now(),
  });
}

/** Look again at the next rotation, at a rotation step in progress, and soon while a named signing Secret is missing. */
function nextLook(d: Deps, token: TokenResult, signing: ConditionInput | undefined): Outcome {
  const now = d.now();
  return combine(
    requeueAfter(Math.min(token.nextRotationAt - now, MAX_REQUEUE_MS)),
    ...(token.wakeAt !== undefined ? [requeueAfter(token.wakeAt - now)] : []),
    ...(signing ? [requeueAfter(d.settings.missingSecretRecheckMs ?? MISSING_SECRET_RECHECK_MS)] : []),
  );
}

/** An event when the destination starts answering 410 Gone, and when it is back (a delivery succeeded). */
function destinationEvent(d: Deps, raw: KubeObject, was: Condition | undefined, now: Condition | undefined): void {
  if (!now || now.status === was?.status) return;
  if (now.reason === Reason.DestinationGone) d.events.record(Subscriptions, raw, 'Warning', EventReason.DestinationGone, 'Deliver', now.message);
  else if (now.reason === Reason.DestinationRecovered && was?.status === 'False') d.events.record(Subscriptions, raw, 'Normal', EventReason.DestinationRecovered, 'Deliver', now.message);
}

const OVER_LIMIT = /exceed the channel's maxConnections/;

/** A warning when the sidecars serving a Subscription first exceed its channel's maxConnections (the extra ones are refused streams). */
function sidecarLimitEvent(d: Deps, raw: KubeObject, previous: SubscriptionStatus | undefined, now: SubscriptionStatus, max: number | undefined): void {
  if (max === undefined || now.sidecars === undefined || now.sidecars <= max) return;
  // Over already at the last look (more pods, or a lowered maxConnections, got us here then): said once.
  if (OVER_LIMIT.test(findCondition(previous?.conditions, T.ConnectorReady)?.message ?? '')) return;
  d.events.record(Subscriptions, raw, 'Warning', EventReason.TooManySidecars, 'Count',
    `${now.sidecars} pods run a sidecar for this Subscription but its channel allows ${max} streams (spec.maxConnections): ${now.sidecars - max} cannot connect; raise maxConnections above the app's replicas plus surge`);
}

/** The signing secret: the referenced one must exist; else one is generated once (create, never overwrite). */
async function ensureSigning(d: Deps, sub: Subscription): Promise<ConditionInput | undefined> {
  const ns = sub.metadata.namespace ?? 'default';
  const ref = sub.spec.signing.secretRef;
  if (ref) {
    const secret = await d.client.tryGet(Secrets, ns, ref.name);
    if ((secret?.data as Record<string, string> | undefined)?.[ref.key] === undefined) {
      return condFalse(T.SecretsReady, Reason.SigningSecretNotFound, `Secret ${ref.name} with key ${ref.key} (spec.signing.secretRef) not found`);
    }
    return undefined;
  }
  const desired = buildSigningSecret(sub, mintSigningSecret());
  if (d.world.secret(ns, desired.metadata.name)) return undefined;
  if (await d.client.tryGet(Secrets, ns, desired.metadata.name)) return undefined;
  try {
    await d.client.create(Secrets, desired);
    d.logger.info({ namespace: ns, secret: desired.metadata.name }, 'signing secret generated');
  } catch (err) {
    if (!(err instanceof Error && 'status' in err && err.status === 409)) throw err;
  }
  return undefined;
}

/** Whether the namespace's connector config already lists this Subscription. */
function connectorLists(cm: KubeObject | undefined, sub: Subscription): boolean {
  const text = (cm?.data as Record<string, string> | undefined)?.[CONNECTOR_CONFIG_KEY];
  if (!text) return false;
  try {
    const cfg = JSON.parse(text) as ConnectorConfig;
    return cfg.subscriptions.some((s) => s.namespace === sub.metadata.namespace && s.name === sub.metadata.name);
  } catch { return false; }
}
