// Pure functions that turn WebhookChannel/Subscription objects (from the API or from manifest files)
// into the receiver's ChannelConfig and the connector's ConnectorConfig. The operator and standalone
// mode share them, so a laptop and a cluster configure the data plane identically.
import { destinationUrlProblem } from '../destinations.ts';
import type { ChannelConfig, ConnectorConfig, ConnectorSubscription, ObjectKey, TokenHash, Transport } from '../config.ts';
import { parseDuration, tokenSecretName, type Subscription, type WebhookChannel } from './v1alpha1.ts';

/** Reasons a Subscription does not bind (SPEC §2); constant CamelCase, shown in conditions. */
export const BindReason = {
  ChannelNotFound: 'ChannelNotFound',
  NamespaceNotAllowed: 'NamespaceNotAllowed',
  DuplicateSubscription: 'DuplicateSubscription',
  InvalidDestination: 'InvalidDestination',
} as const;
export type BindReason = (typeof BindReason)[keyof typeof BindReason];

export const channelKeyOf = (sub: Subscription): ObjectKey => ({
  namespace: sub.spec.channelRef.namespace ?? sub.metadata.namespace ?? 'default',
  name: sub.spec.channelRef.name,
});

export const objectKey = (o: { metadata: { name: string; namespace?: string } }): ObjectKey => ({
  namespace: o.metadata.namespace ?? 'default',
  name: o.metadata.name,
});

/** Why the destination may not be used (no DNS: admission-time rules of shared/destinations.ts), or undefined. */
export function destinationProblem(sub: Subscription): string | undefined {
  const url = destinationUrl(sub);
  if (!url) return 'destination needs exactly one of url (http or https), service or sidecar';
  return destinationUrlProblem(url);
}

/**
 * Where `destination.service` goes when there is no cluster (`hookbridge dev` on a laptop): that host,
 * the Service's port and path — the laptop's own process on that port stands in for the Service.
 */
export interface DestinationOptions { serviceHost?: string }

/** The destination URL a connector in the Subscription's namespace delivers to. */
export function destinationUrl(sub: Subscription, o: DestinationOptions = {}): string | undefined {
  const d = sub.spec.destination;
  if ([d.url, d.service, d.sidecar].filter(Boolean).length > 1) return undefined;
  // The sidecar shares the pod's network namespace: localhost is the application.
  if (d.sidecar) return `http://localhost:${d.sidecar.port}${d.sidecar.path}`;
  if (d.url) {
    const u = URL.canParse(d.url) ? new URL(d.url) : undefined;
    return u && (u.protocol === 'http:' || u.protocol === 'https:') ? d.url : undefined;
  }
  if (d.service) {
    const ns = sub.metadata.namespace ?? 'default';
    const host = o.serviceHost === undefined ? `${d.service.name}.${ns}.svc` : o.serviceHost.includes(':') ? `[${o.serviceHost}]` : o.serviceHost;
    return `${d.service.scheme}://${host}:${d.service.port}${d.service.path}`;
  }
  return undefined;
}

/**
 * Whether a Subscription may bind to a channel. `namespaceLabels` are the Subscription namespace's
 * labels when known (operator); standalone mode has none, so a selector there only admits matchLabels {}.
 */
export function namespaceAllowed(channel: WebhookChannel, subNamespace: string, namespaceLabels?: Record<string, string>): boolean {
  const allowed = channel.spec.allowedNamespaces;
  const own = channel.metadata.namespace ?? 'default';
  if (!allowed || (!allowed.names && !allowed.selector)) return subNamespace === own;
  if (allowed.names?.includes(subNamespace) || subNamespace === own) return true;
  const sel = allowed.selector;
  if (!sel) return false;
  const labels = namespaceLabels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = k(e.key, labels);
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(labels[e.key])) return false;
  }
  return true;
}
const k = (key: string, labels: Record<string, string>): boolean => Object.hasOwn(labels, key);

/** Duplicate = same channel, same destination and same event types as an older Subscription. */
export function duplicateOf(sub: Subscription, others: Subscription[]): Subscription | undefined {
  const sig = (s: Subscription) => `${channelKeyOf(s).namespace}/${channelKeyOf(s).name}|${destinationUrl(s)}|${[...s.spec.eventTypes].sort().join(',')}`;
  const mine = sig(sub);
  const age = (s: Subscription) => `${(s.metadata as { creationTimestamp?: string }).creationTimestamp ?? ''}|${s.metadata.namespace}/${s.metadata.name}`;
  return others
    .filter((o) => o !== sub && !(o.metadata.namespace === sub.metadata.namespace && o.metadata.name === sub.metadata.name))
    .filter((o) => sig(o) === mine && age(o) < age(sub))
    .sort((a, b) => (age(a) < age(b) ? -1 : 1))[0];
}

export interface BoundSubscription { subscription: Subscription; tokens: TokenHash[] }

export function compileChannel(channel: WebhookChannel, bound: BoundSubscription[], verifySecrets: string[]): ChannelConfig {
  const s = channel.spec;
  return {
    ...objectKey(channel),
    maxQueueSize: s.maxQueueSize,
    ttlSeconds: s.ttlSeconds,
    ackTimeoutSeconds: s.ackTimeoutSeconds,
    maxConnections: s.maxConnections,
    maxPayloadBytes: s.maxPayloadBytes,
    deliveryLimit: s.deliveryLimit,
    ...(s.eventType ? { eventType: s.eventType } : {}),
    ...(s.verify ? { verify: { provider: s.verify.provider, secrets: verifySecrets, toleranceSeconds: s.verify.toleranceSeconds } } : {}),
    deletionPolicy: s.deletionPolicy,
    subscriptions: bound
      .map(({ subscription: sub, tokens }) => ({
        ...objectKey(sub),
        eventTypes: sub.spec.eventTypes,
        tokens,
        retryScheduleMs: sub.spec.delivery.retry.schedule.map(parseDuration),
      }))
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
  };
}

/** Relative paths (under the connector's --secrets-dir) where a Secret key is mounted. */
export const secretFilePath = (secretName: string, key: string): string => `secrets/${secretName}/${key}`;
export const signingSecretName = (subscription: string): string => `${subscription}-hookbridge-signing`;

export function compileConnectorSubscription(sub: Subscription, o: DestinationOptions = {}): ConnectorSubscription {
  const d = sub.spec.delivery;
  const signingRef = sub.spec.signing.secretRef ?? { name: signingSecretName(sub.metadata.name), key: 'secret' };
  return {
    ...objectKey(sub),
    channel: channelKeyOf(sub),
    tokenFile: secretFilePath(tokenSecretName(sub.metadata.name), 'token'),
    destination: { url: destinationUrl(sub, o) ?? '' },
    delivery: {
      timeoutMs: d.timeoutSeconds * 1000,
      maxAttempts: d.retry.maxAttempts,
      retryScheduleMs: d.retry.schedule.map(parseDuration),
      jitter: d.retry.jitter,
      concurrency: d.concurrency,
      ...(d.rateLimitPerSecond ? { rateLimitPerSecond: d.rateLimitPerSecond } : {}),
      ordering: d.ordering,
      ...(d.keyFrom ? { keyFrom: d.keyFrom } : {}),
      ...(d.circuitBreaker
        ? { circuitBreaker: { failureRatio: d.circuitBreaker.failureRatio, minRequests: d.circuitBreaker.minRequests, openMs: d.circuitBreaker.openSeconds * 1000 } }
        : {}),
    },
    signing: { scheme: sub.spec.signing.scheme, secretFiles: [secretFilePath(signingRef.name, signingRef.key)] },
    ...(sub.spec.transform ? { transform: sub.spec.transform } : {}),
  };
}

export function compileConnector(receiverUrl: string, subs: Subscription[], transport: Transport = 'websocket', allowedDestinations?: string[], o: DestinationOptions = {}): ConnectorConfig {
  return {
    receiverUrl,
    transport,
    ...(allowedDestinations ? { allowedDestinations } : {}),
    subscriptions: subs
      .map((s) => compileConnectorSubscription(s, o))
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
  };
}
