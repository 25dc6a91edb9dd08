// The token step of a Subscription reconcile: evaluate the rotation policy and carry out what
// token-state.ts says (issue, stage, promote, drop an expired previous hash). A staged token is
// promoted only after the receiver config has carried its hash for `settleMs` — longer than the
// receiver takes to reload — so the connector never receives a token the receiver would refuse.
import { channelKeyOf } from '../../shared/api/compile.ts';
import { parseDuration, ROTATE_ANNOTATION, tokenSecretName, type Subscription, type WebhookChannel } from '../../shared/api/v1alpha1.ts';
import { hashToken, mintToken } from '../../shared/tokens.ts';
import { EventReason } from '../api/conditions.ts';
import { PREVIOUS_HASH_ANNOTATION, PREVIOUS_NOT_AFTER_ANNOTATION, ROTATE_HANDLED_ANNOTATION, ROTATED_AT_ANNOTATION } from '../../shared/labels.ts';
import { deepEqual, needsApply } from '../../shared/kube/compare.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { Secrets, Subscriptions } from '../../shared/kube/resource-types.ts';
import type { Deps } from '../controllers/deps.ts';
import { readReceiverConfig, receiverConfigSecretName } from '../controllers/receiver-config.ts';
import { buildTokenSecret } from './token-secret.ts';
import { tokenPolicy } from './token-policy.ts';
import { forceRequest, nextTokenState, readTokenSecret, type SecretLike } from './token-state.ts';

const OWNED_ANNOTATIONS = [ROTATED_AT_ANNOTATION, PREVIOUS_HASH_ANNOTATION, PREVIOUS_NOT_AFTER_ANNOTATION, ROTATE_HANDLED_ANNOTATION];
export const DEFAULT_TOKEN_SETTLE_MS = 2_000;

export interface TokenResult { rotatedAt: string; nextRotationAt: number; /** When to look again for a step of a rotation in progress. */ wakeAt?: number }

export class TokenKeeper {
  readonly #d: Deps;
  /** `sub|hash` → when the receiver config was first seen carrying the staged hash. */
  readonly #seen = new Map<string, number>();

  constructor(d: Deps) { this.#d = d; }

  async ensure(sub: Subscription, raw: KubeObject, channel: WebhookChannel): Promise<TokenResult> {
    const d = this.#d;
    const ns = sub.metadata.namespace ?? 'default';
    const name = tokenSecretName(sub.metadata.name);
    const interval = parseDuration(channel.spec.tokenRotation.interval);
    const graceMs = parseDuration(channel.spec.tokenRotation.gracePeriod);
    const annotation = forceRequest(channel.metadata.annotations?.[ROTATE_ANNOTATION], sub.metadata.annotations?.[ROTATE_ANNOTATION]);
    const owned = (o?: KubeObject) => Object.fromEntries(Object.entries(o?.metadata.annotations ?? {}).filter(([k]) => OWNED_ANNOTATIONS.includes(k)));
    const plan = (live: SecretLike | undefined) => {
      const now = d.now();
      const current = readTokenSecret(live);
      const decision = tokenPolicy({ secret: live ? current : undefined, annotation, lastHandledAnnotation: current.handled, interval, now });
      const next = nextTokenState({ current, decision, annotation, nextAccepted: this.#accepted(sub, current.next, now), graceMs, now, mint: mintToken });
      const desired = buildTokenSecret(sub, next.state);
      return { current, decision, next, desired, changes: needsApply(live, desired) || !deepEqual(owned(live), owned(desired)) || (live?.data?.['next-token'] !== undefined && !next.state.next) };
    };
    let p = plan(d.world.secret(ns, name) as SecretLike | undefined);
    // A credential is about to be written: decide on the apiserver's copy, not a cache that may lag our own last write.
    if (p.changes) p = plan(await d.client.tryGet<SecretLike>(Secrets, ns, name));
    const { current, decision, next } = p;
    if (p.changes) {
      await d.client.apply(Secrets, p.desired);
      this.#record(raw, name, next.step, decision.reason, current, next.state.previous?.notAfter);
    }
    const now = d.now();
    const rotatedAt = Date.parse(next.state.rotatedAt);
    const nextRotationAt = rotatedAt + interval;
    d.metrics.tokens.set(`${ns}/${sub.metadata.name}`, { namespace: ns, subscription: sub.metadata.name, rotatedAt, nextRotationAt });
    const settle = d.settings.tokenSettleMs ?? DEFAULT_TOKEN_SETTLE_MS;
    const wakeAt = next.state.next ? now + Math.max(200, settle / 2) : next.state.previous ? Date.parse(next.state.previous.notAfter) + 1000 : undefined;
    return { rotatedAt: next.state.rotatedAt, nextRotationAt, ...(wakeAt !== undefined ? { wakeAt } : {}) };
  }

  /** The staged token's hash has been in the receiver config for the settle time. */
  #accepted(sub: Subscription, next: string | undefined, now: number): boolean {
    if (!next) return false;
    const d = this.#d;
    const ck = channelKeyOf(sub);
    const config = readReceiverConfig(d.world.secret(d.settings.receiverNamespace, receiverConfigSecretName(ck)));
    const hash = hashToken(next);
    const route = config?.subscriptions.find((s) => s.namespace === sub.metadata.namespace && s.name === sub.metadata.name);
    const key = `${sub.metadata.namespace}/${sub.metadata.name}|${hash}`;
    if (!route?.tokens.some((t) => t.sha256 === hash && t.notAfter === undefined)) { this.#seen.delete(key); return false; }
    const since = this.#seen.get(key) ?? now;
    this.#seen.set(key, since);
    if (this.#seen.size > 10_000) this.#seen.clear();
    return now - since >= (d.settings.tokenSettleMs ?? DEFAULT_TOKEN_SETTLE_MS);
  }

  #record(raw: KubeObject, secret: string, step: string, reason: string, current: ReturnType<typeof readTokenSecret>, notAfter?: string): void {
    const ev = this.#d.events;
    if (step === 'issued') ev.record(Subscriptions, raw, 'Normal', current.token ? EventReason.TokenRotated : EventReason.TokenIssued, 'Issue', `Token issued in Secret ${secret}${current.token ? ' (the old one was not a valid token)' : ''}`);
    else if (step === 'promoted') ev.record(Subscriptions, raw, 'Normal', EventReason.TokenRotated, 'Rotate', `Token rotated${notAfter ? `; the previous token is accepted until ${notAfter}` : '; the previous token is revoked now'}`);
    else if (step === 'staged') this.#d.logger.info({ subscription: `${raw.metadata.namespace}/${raw.metadata.name}`, reason }, 'token rotation started: new token staged for the receiver');
    else if (current.previous && !(notAfter)) ev.record(Subscriptions, raw, 'Normal', EventReason.TokenRevoked, 'Revoke', 'Previous token revoked: grace period over');
  }
}
