// WebhookChannel: finalizer, receiver config Secret (queue parameters, token hashes of bound
// Subscriptions, verification secrets), status. Level-based: read the caches, converge, report.
import { compileChannel } from '../../../shared/api/compile.ts';
import { tokenSecretName, type Subscription, type WebhookChannel } from '../../../shared/api/v1alpha1.ts';
import { keyOf, type ObjectKey } from '../../../shared/config.ts';
import { ConditionType as T, EventReason, FINALIZER, Reason } from '../../api/conditions.ts';
import type { WebhookChannelStatus } from '../../api/status.ts';
import { condFalse, condTrue, mergeConditions, type ConditionInput } from '../../runtime/conditions.ts';
import { combine, done, requeueAfter, terminal, type Outcome } from '../../runtime/controller.ts';
import type { KubeObject } from '../../../shared/kube/client.ts';
import { Secrets, WebhookChannels } from '../../../shared/kube/resource-types.ts';
import { bindingOf } from '../binding.ts';
import { MAX_REQUEUE_MS, MISSING_SECRET_RECHECK_MS, REFERENCED_SECRET_RECHECK_MS, type Deps } from '../deps.ts';
import { tokenHashes } from '../../tokens/token-state.ts';
import { buildReceiverConfigSecret, readReceiverConfig, receiverConfigSecretName } from '../receiver-config.ts';
import { channelStatus } from './status.ts';

export const CONTROLLER = 'webhookchannel';

const splitKey = (key: string): ObjectKey => {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
};

export function channelReconciler(d: Deps): (key: string) => Promise<Outcome> {
  return async (key) => {
    const ck = splitKey(key);
    const parsed = d.world.parsedChannel(ck.namespace, ck.name);
    if (!parsed) return removeConfig(d, ck, undefined);
    const raw = parsed.raw;
    if (raw.metadata.deletionTimestamp) return finalize(d, raw, parsed.ok ? parsed.value : undefined);
    if (!(raw.metadata.finalizers ?? []).includes(FINALIZER)) await setFinalizer(d, raw, true);
    if (!parsed.ok) {
      const invalid = condFalse(T.Ready, Reason.InvalidSpec, parsed.error);
      await d.applier.status(WebhookChannels, raw, { ...(raw.status as object), conditions: mergeConditions(undefined, [invalid], raw.metadata.generation, new Date(d.now())), observedGeneration: raw.metadata.generation });
      return terminal(parsed.error);
    }
    return reconcileLive(d, parsed.value, raw);
  };
}

async function reconcileLive(d: Deps, ch: WebhookChannel, raw: KubeObject): Promise<Outcome> {
  const now = d.now();
  const bound = d.world.subscriptionsOf(ch.metadata.namespace ?? 'default', ch.metadata.name).filter((s) => bindingOf(s, d.world).bound);
  const tokenSecret = (s: Subscription) => d.world.secret(s.metadata.namespace ?? 'default', tokenSecretName(s.metadata.name));
  const configured = await applyReceiverConfig(d, ch, raw, bound, tokenSecret, now);
  const status = channelStatus({
    channel: ch, previous: raw.status as WebhookChannelStatus | undefined, publicUrl: d.settings.publicUrl,
    bound, tokenSecret, receiverConfigured: configured, stats: d.stats.view(ch.metadata as ObjectKey), now,
  });
  await d.applier.status(WebhookChannels, raw, status as Record<string, unknown>);
  // Look again when a previous token's grace ends (to drop its hash from the receiver config).
  const graceEnds = bound.flatMap((s) => tokenHashes(tokenSecret(s), now)).flatMap((t) => (t.notAfter ? [Date.parse(t.notAfter) - now + 1000] : []));
  const verifyRecheck = !ch.spec.verify ? MAX_REQUEUE_MS : configured.status === 'True' ? REFERENCED_SECRET_RECHECK_MS : (d.settings.missingSecretRecheckMs ?? MISSING_SECRET_RECHECK_MS);
  return combine(...graceEnds.map((ms) => requeueAfter(Math.min(ms, MAX_REQUEUE_MS))), requeueAfter(verifyRecheck));
}

/** Converges the receiver config Secret; its condition says whether the receiver has what it needs. */
async function applyReceiverConfig(d: Deps, ch: WebhookChannel, raw: KubeObject, bound: Subscription[],
  tokenSecret: (s: Subscription) => KubeObject | undefined, now: number): Promise<ConditionInput> {
  let verifySecrets: string[] = [];
  if (ch.spec.verify) {
    const ref = ch.spec.verify.secretRef;
    const secret = await d.client.tryGet(Secrets, ch.metadata.namespace, ref.name);
    const value = (secret?.data as Record<string, string> | undefined)?.[ref.key];
    if (value === undefined) {
      const message = `Secret ${ref.name} with key ${ref.key} (spec.verify.secretRef) not found; the receiver keeps the last good configuration`;
      d.events.record(WebhookChannels, raw, 'Warning', EventReason.VerifySecretNotFound, 'Configure', message);
      return condFalse(T.ReceiverConfigured, Reason.VerifySecretNotFound, message);
    }
    verifySecrets = [Buffer.from(value, 'base64').toString('utf8')];
  }
  const config = compileChannel(ch, bound.map((s) => ({ subscription: s, tokens: tokenHashes(tokenSecret(s), now) })), verifySecrets);
  const desired = buildReceiverConfigSecret(d.settings.receiverNamespace, config);
  const live = d.world.secret(d.settings.receiverNamespace, desired.metadata.name);
  if (await d.applier.apply(Secrets, desired, live)) {
    // One event when the channel first gets its configuration; later updates (tokens, subscriptions)
    // have their own events on the Subscriptions and are logged here.
    if (!live) d.events.record(WebhookChannels, raw, 'Normal', EventReason.ReceiverConfigured, 'Configure', `Receiver configuration created in Secret ${d.settings.receiverNamespace}/${desired.metadata.name}`);
    d.logger.info({ channel: `${ch.metadata.namespace}/${ch.metadata.name}`, subscriptions: config.subscriptions.length }, 'receiver configuration applied');
  }
  return condTrue(T.ReceiverConfigured, Reason.Configured, `Receiver configuration in Secret ${d.settings.receiverNamespace}/${desired.metadata.name}`);
}

/**
 * Deletion. The receiver removes a channel's queues when its config Secret disappears and the last
 * ChannelConfig it saw said deletionPolicy Delete; so first make the Secret carry the current policy,
 * then delete it, and only then release the channel.
 */
async function finalize(d: Deps, raw: KubeObject, ch: WebhookChannel | undefined): Promise<Outcome> {
  if (!(raw.metadata.finalizers ?? []).includes(FINALIZER)) return done();
  const key = { namespace: raw.metadata.namespace ?? 'default', name: raw.metadata.name };
  const live = d.world.secret(d.settings.receiverNamespace, receiverConfigSecretName(key));
  const last = readReceiverConfig(live);
  if (ch && last && last.deletionPolicy !== ch.spec.deletionPolicy) {
    await d.applier.apply(Secrets, buildReceiverConfigSecret(d.settings.receiverNamespace, { ...last, deletionPolicy: ch.spec.deletionPolicy }), live);
  }
  await removeConfig(d, key, raw);
  await setFinalizer(d, raw, false);
  d.events.record(WebhookChannels, raw, 'Normal', EventReason.CleanedUp, 'Delete',
    `Receiver configuration removed; queues ${ch?.spec.deletionPolicy === 'Retain' ? 'retained' : 'deleted by the receiver'}`);
  return done();
}

async function removeConfig(d: Deps, key: ObjectKey, raw: KubeObject | undefined): Promise<Outcome> {
  const name = receiverConfigSecretName(key);
  if (d.world.secret(d.settings.receiverNamespace, name)) {
    await d.client.delete(Secrets, d.settings.receiverNamespace, name);
    d.applier.forget(Secrets, d.settings.receiverNamespace, name);
    d.logger.info({ channel: keyOf(key) }, 'receiver configuration removed');
    if (raw) d.events.record(WebhookChannels, raw, 'Normal', EventReason.ReceiverConfigRemoved, 'Delete', 'Receiver configuration removed');
  }
  return done();
}

/**
 * Adds or removes our finalizer: a merge patch guarded by resourceVersion (a race is a 409, retried
 * quietly). Not server-side apply: an apply racing a deletion would re-create the channel.
 */
async function setFinalizer(d: Deps, raw: KubeObject, present: boolean): Promise<void> {
  const others = (raw.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  await d.client.mergePatch(WebhookChannels, raw.metadata.namespace, raw.metadata.name, {
    metadata: { resourceVersion: raw.metadata.resourceVersion, finalizers: present ? [...others, FINALIZER] : others },
  });
}
