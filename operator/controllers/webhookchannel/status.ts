// A WebhookChannel's status, computed from what the reconciler found. Pure: table-tested.
import { parseDuration, type Subscription, type WebhookChannel } from '../../../shared/api/v1alpha1.ts';
import { ConditionType as T, Reason } from '../../api/conditions.ts';
import type { WebhookChannelStatus } from '../../api/status.ts';
import { condFalse, condTrue, condUnknown, findCondition, mergeConditions, rfc3339, rollup, type ConditionInput } from '../../runtime/conditions.ts';
import { readTokenSecret, type SecretLike } from '../../tokens/token-state.ts';
import type { StatsView } from '../../stats/receiver-stats.ts';

export interface ChannelStatusInput {
  channel: WebhookChannel;
  previous?: WebhookChannelStatus;
  publicUrl: string;
  bound: Subscription[];
  tokenSecret: (sub: Subscription) => SecretLike | undefined;
  receiverConfigured: ConditionInput;
  stats: StatsView;
  now: number;
}

export const ingestUrl = (publicUrl: string, ns: string, name: string): string =>
  `${publicUrl.replace(/\/$/, '')}/webhook/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;

function tokensReady(i: ChannelStatusInput): ConditionInput {
  if (i.bound.length === 0) return condTrue(T.TokensReady, Reason.NoSubscriptions, 'No Subscriptions are bound yet');
  const pending = i.bound.filter((s) => !readTokenSecret(i.tokenSecret(s)).token);
  if (pending.length) {
    return condUnknown(T.TokensReady, Reason.TokensPending, `Waiting for token Secrets of ${pending.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).join(', ')}`);
  }
  return condTrue(T.TokensReady, Reason.TokensIssued, `${i.bound.length} subscription token(s) issued`);
}

function bufferReady(stats: StatsView, previous: ConditionInput | undefined): ConditionInput {
  switch (stats.state) {
    // Just started (e.g. a new leader): what was known stands until the receivers answer, so a restart
    // neither flips the condition to Unknown and back nor resets its lastTransitionTime.
    case 'pending': return previous ?? condUnknown(T.BufferReady, Reason.StatsPending, 'Waiting for the first figures from the receivers');
    case 'disabled': return condUnknown(T.BufferReady, Reason.StatsDisabled, 'The operator has no --receiver-url to ask');
    case 'unreachable': return condUnknown(T.BufferReady, Reason.ReceiverUnreachable, `Receiver admin API unreachable: ${stats.error}`);
    case 'missing': return condUnknown(T.BufferReady, Reason.ChannelNotLoaded, 'The receiver has not loaded this channel yet');
    case 'bufferError': return condFalse(T.BufferReady, Reason.BufferError, `The receiver cannot read this channel's queues: ${stats.error}`);
    case 'ok': return condTrue(T.BufferReady, Reason.QueuesReady, 'The receiver serves this channel');
  }
}

/** The oldest current token's mint time among bound subscriptions. */
function oldestRotation(i: ChannelStatusInput): number | undefined {
  const times = i.bound.map((s) => Date.parse(readTokenSecret(i.tokenSecret(s)).rotatedAt ?? '')).filter(Number.isFinite);
  return times.length ? Math.min(...times) : undefined;
}

export function channelStatus(i: ChannelStatusInput): WebhookChannelStatus {
  const { channel: ch, previous: prev } = i;
  const deps = [i.receiverConfigured, tokensReady(i), bufferReady(i.stats, findCondition(prev?.conditions, T.BufferReady))];
  const url = ingestUrl(i.publicUrl, ch.metadata.namespace ?? 'default', ch.metadata.name);
  // BufferReady is the receiver's word: Unknown (receiver not asked or not answering) does not hold Ready back.
  const ready = rollup(deps, Reason.Ready, `Accepting webhooks at ${url}`, [T.BufferReady]);
  const rotated = oldestRotation(i);
  const s = i.stats.state === 'ok' ? i.stats.stats : undefined;
  return {
    conditions: mergeConditions(prev?.conditions, [ready, ...deps], ch.metadata.generation, new Date(i.now)),
    observedGeneration: ch.metadata.generation,
    url,
    subscriptions: i.bound.length,
    // Receiver figures: current when it answers, else the last ones known (no churn while it is away).
    ...pick('connectedConnectors', s?.connected, prev),
    ...pick('backlog', s?.backlog, prev),
    ...pick('deadLettered', s?.deadLettered, prev),
    ...(rotated !== undefined ? {
      tokenRotatedAt: rfc3339(new Date(rotated)),
      nextTokenRotationAt: rfc3339(new Date(rotated + parseDuration(ch.spec.tokenRotation.interval))),
    } : {}),
  };
}

function pick<K extends 'connectedConnectors' | 'backlog' | 'deadLettered'>(key: K, value: number | undefined, prev?: WebhookChannelStatus): Partial<Record<K, number>> {
  const v = value ?? prev?.[key];
  return v === undefined ? {} : ({ [key]: v } as Partial<Record<K, number>>);
}
