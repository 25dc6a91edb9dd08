// Standalone configuration (`-f FILE|DIR`): the manifests read by shared/api/manifests.ts, compiled with
// shared/api/compile.ts exactly as the operator does. Stream tokens come from `<sub>-hookbridge-token`
// Secrets in the manifests, else they are minted once per process and reported.
import { channelKeyOf, compileChannel, destinationProblem, destinationUrl, duplicateOf, namespaceAllowed, objectKey, type BoundSubscription } from '../../shared/api/compile.ts';
import type { ManifestSet } from '../../shared/api/manifests.ts';
import { tokenSecretName } from '../../shared/api/v1alpha1.ts';
import { keyOf, type ObjectKey, type ReceiverConfig } from '../../shared/config.ts';
import { hashToken, mintToken } from '../../shared/tokens.ts';
import { secretKey } from '../../shared/standard-webhooks.ts';

/** A stream token for one bound subscription, with where it came from. */
export interface SubscriptionToken { subscription: ObjectKey; channel: ObjectKey; token: string; minted: boolean; destination?: string }

export interface CompiledManifests {
  config: ReceiverConfig;
  tokens: SubscriptionToken[];
  /** Objects that were skipped or degraded, for a person to fix. */
  problems: string[];
}

/**
 * Compiles manifests into the receiver's configuration. `minted` remembers tokens minted earlier in this
 * process (by subscription key), so re-reading the files never changes a token a connector already uses.
 */
export function compileManifests(set: ManifestSet, minted: Map<string, string>): CompiledManifests {
  const problems: string[] = [];
  const tokens: SubscriptionToken[] = [];
  const channels = set.channels.map((ch) => {
    const key = keyOf(objectKey(ch));
    const candidates = set.subscriptions.filter((s) => keyOf(channelKeyOf(s)) === key);
    const bound: BoundSubscription[] = [];
    for (const sub of candidates) {
      const subKey = keyOf(objectKey(sub));
      const dup = duplicateOf(sub, candidates);
      if (!namespaceAllowed(ch, objectKey(sub).namespace)) { problems.push(`Subscription ${subKey}: NamespaceNotAllowed on channel ${key}`); continue; }
      if (dup) { problems.push(`Subscription ${subKey}: DuplicateSubscription of ${keyOf(objectKey(dup))}`); continue; }
      const invalid = destinationProblem(sub);
      if (invalid) { problems.push(`Subscription ${subKey}: InvalidDestination (${invalid})`); continue; }
      const destination = destinationUrl(sub);
      const fromSecret = set.secrets.get(`${objectKey(sub).namespace}/${tokenSecretName(sub.metadata.name)}`)?.token?.trim();
      let token = fromSecret;
      if (!token) {
        token = minted.get(subKey) ?? mintToken();
        minted.set(subKey, token);
      }
      tokens.push({ subscription: objectKey(sub), channel: objectKey(ch), token, minted: !fromSecret, destination });
      bound.push({ subscription: sub, tokens: [{ sha256: hashToken(token) }] });
    }
    const verifySecrets: string[] = [];
    const ref = ch.spec.verify?.secretRef;
    if (ref) {
      const value = set.secrets.get(`${objectKey(ch).namespace}/${ref.name}`)?.[ref.key];
      if (value) {
        verifySecrets.push(value);
        if (ch.spec.verify?.provider === 'standard-webhooks') {
          try { secretKey(value); } catch (err) { problems.push(`WebhookChannel ${key}: verify secret ${ref.name}/${ref.key}: ${(err as Error).message}; every request will fail verification`); }
        }
      }
      else problems.push(`WebhookChannel ${key}: verify secret ${ref.name}/${ref.key} not found in the manifests; every request will fail verification`);
    }
    return compileChannel(ch, bound, verifySecrets);
  });
  for (const sub of set.subscriptions) {
    const ck = keyOf(channelKeyOf(sub));
    if (!set.channels.some((c) => keyOf(objectKey(c)) === ck)) problems.push(`Subscription ${keyOf(objectKey(sub))}: ChannelNotFound (${ck})`);
  }
  return { config: { channels }, tokens, problems };
}
