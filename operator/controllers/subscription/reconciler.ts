// Subscription: binding (ChannelBound), token Secret with rotation, signing Secret, status. The
// namespace's connector is the connector controller's (connector.ts); this one reports on it.
import { channelKeyOf } from '../../../shared/api/compile.ts';
import { tokenSecretName, type Subscription, type WebhookChannel } from '../../../shared/api/v1alpha1.ts';
import type { ConnectorConfig } from '../../../shared/config.ts';
import { ConditionType as T, EventReason, Reason } from '../../api/conditions.ts';
import { CONNECTOR_CONFIG_KEY, CONNECTOR_NAME } from '../../../shared/labels.ts';
import type { Condition, SubscriptionStatus } from '../../api/status.ts';
import { condFalse, condTrue, findCondition, mergeConditions, type ConditionInput } from '../../runtime/conditions.ts';
import { combine, done, requeueAfter, terminal, type Outcome } from '../../runtime/controller.ts';
import type { KubeObject } from '../../../shared/kube/client.ts';
import { Secrets, Subscriptions } from '../../../shared/kube/resource-types.ts';
import { bindingOf } from '../binding.ts';
import { MAX_REQUEUE_MS, MISSING_SECRET_RECHECK_MS, type Deps } from '../deps.ts';
import { buildSigningSecret, mintSigningSecret } from './resources/signing-secret.ts';
import { subscriptionStatus } from './status.ts';
import { TokenKeeper } from '../../tokens/keeper.ts';

export const CONTROLLER = 'subscription';

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
    if (!parsed.ok) {
      const invalid = condFalse(T.Ready, Reason.InvalidSpec, parsed.error);
      await d.applier.status(Subscriptions, raw, { conditions: mergeConditions(undefined, [invalid], raw.metadata.generation, new Date(d.now())), observedGeneration: raw.metadata.generation });
      return terminal(parsed.error);
    }
    const sub = parsed.value;
    const previous = raw.status as SubscriptionStatus | undefined;
    const binding = bindingOf(sub, d.world);
    const was = findCondition(previous?.conditions, T.ChannelBound);
    const wasBound = was?.status;
    if (!binding.bound) {
      d.metrics.tokens.delete(key);
      // An event when it stops binding, or stops for another reason; a refused destination has its own reason.
      if (wasBound !== 'False' || was?.reason !== binding.reason) {
        const reason = binding.reason === Reason.InvalidDestination ? EventReason.InvalidDestination : EventReason.NotBound;
        d.events.record(Subscriptions, raw, 'Warning', reason, 'Bind', `${binding.reason}: ${binding.message}`);
      }
      const status = subscriptionStatus({ sub, previous, binding, connector: { configured: false }, now: d.now() });
      await d.applier.status(Subscriptions, raw, status as Record<string, unknown>);
      return done(); // a change to the channel, namespace or peers re-queues this key
    }
    if (wasBound !== 'True') d.events.record(Subscriptions, raw, 'Normal', EventReason.Bound, 'Bind', `Bound to WebhookChannel ${channelKeyOf(sub).namespace}/${channelKeyOf(sub).name}`);
    const ck = channelKeyOf(sub);
    const channel = d.world.channel(ck.namespace, ck.name) as WebhookChannel;
    const token = await tokens.ensure(sub, raw, channel);
    const signing = await ensureSigning(d, sub);
    const secrets = signing ?? condTrue(T.SecretsReady, Reason.SecretsIssued, `Token in Secret ${tokenSecretName(name)}`);
    const view = d.stats.view(ck);
    const status = subscriptionStatus({
      sub, previous, binding, secrets, token: { rotatedAt: token.rotatedAt, nextRotationAt: token.nextRotationAt },
      connector: { configured: connectorLists(d.world.c.configMaps.get(ns, CONNECTOR_NAME), sub), deployment: d.world.c.deployments.get(ns, CONNECTOR_NAME) },
      figures: view.state === 'ok' ? view.stats.subscriptions[key] : undefined,
      statsPending: view.state === 'pending',
      now: d.now(),
    });
    await d.applier.status(Subscriptions, raw, status as Record<string, unknown>);
    destinationEvent(d, raw, findCondition(previous?.conditions, T.DestinationHealthy), findCondition(status.conditions, T.DestinationHealthy));
    const now = d.now();
    return combine(
      requeueAfter(Math.min(token.nextRotationAt - now, MAX_REQUEUE_MS)),
      ...(token.wakeAt !== undefined ? [requeueAfter(token.wakeAt - now)] : []),
      ...(signing ? [requeueAfter(d.settings.missingSecretRecheckMs ?? MISSING_SECRET_RECHECK_MS)] : []),
    );
  };
}

/** An event when the destination starts answering 410 Gone, and when it is back (a delivery succeeded). */
function destinationEvent(d: Deps, raw: KubeObject, was: Condition | undefined, now: Condition | undefined): void {
  if (!now || now.status === was?.status) return;
  if (now.reason === Reason.DestinationGone) d.events.record(Subscriptions, raw, 'Warning', EventReason.DestinationGone, 'Deliver', now.message);
  else if (now.reason === Reason.DestinationRecovered && was?.status === 'False') d.events.record(Subscriptions, raw, 'Normal', EventReason.DestinationRecovered, 'Deliver', now.message);
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
