// The receiver's runtime view of its configuration: each ChannelConfig compiled once (verifier, event-type
// extractor, glob matchers, token index) into an immutable snapshot that applyConfig swaps in one assignment.
// Request handlers read the current snapshot; nothing re-parses config per request.
import { keyOf, type ChannelConfig, type ObjectKey, type ReceiverConfig, type SubscriptionRoute, type TokenHash } from '../shared/config.ts';
import { hashToken, tokenAccepted } from '../shared/tokens.ts';
import type { QueueRef } from './buffer/types.ts';
import { eventTypeExtractor, type EventTypeExtractor } from './ingest/event-type.ts';
import { eventTypeMatcher, type EventTypeMatcher } from './ingest/glob.ts';
import { createVerifier, type Verifier } from './ingest/verify/index.ts';

export interface RuntimeSubscription {
  readonly key: string; // ns/name
  /** Metric label: the name, or ns/name when the subscription lives outside the channel's namespace. */
  readonly label: string;
  readonly ref: ObjectKey;
  readonly queue: QueueRef;
  readonly route: SubscriptionRoute;
  readonly matches: EventTypeMatcher;
}

export interface RuntimeChannel {
  readonly key: string; // ns/name
  readonly ref: ObjectKey;
  readonly config: ChannelConfig;
  readonly subscriptions: readonly RuntimeSubscription[];
  readonly byKey: ReadonlyMap<string, RuntimeSubscription>;
  readonly verify: Verifier | undefined;
  readonly eventTypeOf: EventTypeExtractor;
  /** Subscriptions whose globs match (refs for the buffer, `ns/name` keys for history); cached per event type. */
  routesFor(eventType: string | undefined): Routes;
  /** What the buffer's topology depends on; a change means declareChannel again. */
  readonly topology: string;
}

const ROUTE_CACHE_MAX = 1024;
const NO_TYPE = '\u0000';

export function compileChannel(config: ChannelConfig): RuntimeChannel {
  const ref = { namespace: config.namespace, name: config.name };
  const subscriptions = config.subscriptions.map((route): RuntimeSubscription => {
    const subRef = { namespace: route.namespace, name: route.name };
    return { key: keyOf(route), label: route.namespace === config.namespace ? route.name : keyOf(route), ref: subRef, queue: { channel: ref, subscription: subRef }, route, matches: eventTypeMatcher(route.eventTypes) };
  });
  const cache = new Map<string, Routes>();
  const { subscriptions: subs, verify: _verify, ...limits } = config;
  return {
    key: keyOf(config),
    ref,
    config,
    subscriptions,
    byKey: new Map(subscriptions.map((s) => [s.key, s])),
    verify: config.verify ? createVerifier(config.verify) : undefined,
    eventTypeOf: eventTypeExtractor(config.eventType),
    routesFor(eventType) {
      const k = eventType ?? NO_TYPE;
      let routes = cache.get(k);
      if (routes === undefined) {
        const matched = subscriptions.filter((s) => s.matches(eventType));
        routes = { refs: matched.map((s) => s.ref), keys: matched.map((s) => s.key) };
        if (cache.size >= ROUTE_CACHE_MAX) cache.clear();
        cache.set(k, routes);
      }
      return routes;
    },
    topology: JSON.stringify({ limits, subs: subs.map((s) => [s.namespace, s.name, s.retryScheduleMs]) }),
  };
}

export interface Routes { readonly refs: ObjectKey[]; readonly keys: string[] }

export type Identified =
  | { ok: true; channel: RuntimeChannel; subscription: RuntimeSubscription; tokenHash: string }
  | { ok: false; error: 'invalid_token' | 'channel_not_found' | 'not_bound' };

export class ChannelSnapshot {
  readonly channels: ReadonlyMap<string, RuntimeChannel>;
  /** sha256(token) → where that subscription is bound. */
  readonly #tokens = new Map<string, { channel: RuntimeChannel; subscription: RuntimeSubscription }>();

  constructor(channels: RuntimeChannel[]) {
    this.channels = new Map(channels.map((c) => [c.key, c]));
    for (const channel of channels) {
      for (const subscription of channel.subscriptions) {
        for (const t of subscription.route.tokens) this.#tokens.set(t.sha256.toLowerCase(), { channel, subscription });
      }
    }
  }

  static from(cfg: ReceiverConfig, previous?: ChannelSnapshot): ChannelSnapshot {
    return new ChannelSnapshot(cfg.channels.map((c) => {
      const old = previous?.channels.get(keyOf(c));
      return old && JSON.stringify(old.config) === JSON.stringify(c) ? old : compileChannel(c);
    }));
  }

  get(namespace: string, name: string): RuntimeChannel | undefined {
    return this.channels.get(`${namespace}/${name}`);
  }

  /**
   * Which subscription a stream token belongs to. An unknown token is `invalid_token` whatever channel was
   * asked for, so only a token holder learns whether a channel exists (4002) or is the wrong one (4004).
   */
  identify(channel: ObjectKey, token: string, now: number): Identified {
    const hash = hashToken(token);
    const hit = this.#tokens.get(hash);
    if (!hit || !tokenAccepted(token, hit.subscription.route.tokens, now)) return { ok: false, error: 'invalid_token' };
    const asked = this.get(channel.namespace, channel.name);
    if (!asked) return { ok: false, error: 'channel_not_found' };
    if (asked !== hit.channel) return { ok: false, error: 'not_bound' };
    return { ok: true, channel: asked, subscription: hit.subscription, tokenHash: hash };
  }
}

/** Whether a token (by hash) is still accepted for a subscription at `now` (revocation, grace period end). */
export function tokenStillValid(tokens: readonly TokenHash[], hash: string, now: number): boolean {
  return tokens.some((t) => t.sha256.toLowerCase() === hash && (t.notAfter === undefined || Date.parse(t.notAfter) > now));
}
