// Where the control plane meets the data plane. The operator (from the Kubernetes API) and standalone
// mode (from manifest files) both compile WebhookChannel/Subscription/Secret objects into these shapes;
// the receiver and the connector only ever read these. Plain JSON, so it travels in a Secret/ConfigMap.
import type { EventTypeSource, VerifyProvider } from './api/v1alpha1.ts';

export interface ObjectKey { namespace: string; name: string }
export const keyOf = (k: ObjectKey): string => `${k.namespace}/${k.name}`;

/** A token the receiver accepts for one subscription. Only the hash ever reaches the receiver. */
export interface TokenHash {
  /** hex sha256 of the UTF-8 token. */
  sha256: string;
  /** ISO time after which the token is revoked (end of a rotation grace period); absent = current token. */
  notAfter?: string;
}

/** One subscription bound to a channel, as the receiver sees it. */
export interface SubscriptionRoute extends ObjectKey {
  /** Glob patterns (`*` matches any run of characters); empty = every event type. */
  eventTypes: string[];
  tokens: TokenHash[];
  /** Retry delays in ms, used by the broker's delay queues (a retry waits for the smallest tier >= its delay). */
  retryScheduleMs: number[];
}

/** Everything the receiver needs for one channel. Sent as `channel.json` in a Secret (it holds verify secrets). */
export interface ChannelConfig extends ObjectKey {
  maxQueueSize: number;
  ttlSeconds: number;
  ackTimeoutSeconds: number;
  maxConnections: number;
  maxPayloadBytes: number;
  deliveryLimit: number;
  eventType?: EventTypeSource;
  verify?: { provider: VerifyProvider; secrets: string[]; toleranceSeconds: number };
  deletionPolicy: 'Delete' | 'Retain';
  subscriptions: SubscriptionRoute[];
}

export interface ReceiverConfig { channels: ChannelConfig[] }

/** One subscription served by a connector. Paths are relative to the connector's `--secrets-dir`. */
export interface ConnectorSubscription extends ObjectKey {
  channel: ObjectKey;
  /** File holding the subscription's stream token (`<sub>-hookbridge-token` Secret, key `token`). */
  tokenFile: string;
  destination: { url: string };
  delivery: {
    timeoutMs: number;
    maxAttempts: number;
    retryScheduleMs: number[];
    jitter: number;
    concurrency: number;
    rateLimitPerSecond?: number;
    ordering: 'none' | 'perKey';
    keyFrom?: EventTypeSource;
    circuitBreaker?: { failureRatio: number; minRequests: number; openMs: number };
  };
  signing: {
    scheme: 'standard-webhooks' | 'hmac-sha256';
    /** Files holding signing secrets; during rotation there are several and every one signs. */
    secretFiles: string[];
  };
  transform?: { format: 'raw' | 'zapier' | 'make' | 'convertkit' | 'template'; template?: string; includeMessageId?: boolean };
}

/** The per-namespace connector's configuration (`config.json` in the connector ConfigMap). */
export interface ConnectorConfig {
  /** Base URL of the receiver, e.g. https://hooks.example.com (http(s); ws(s) is derived). */
  receiverUrl: string;
  transport: 'websocket' | 'sse';
  /** Hostnames or CIDRs a destination may resolve to besides the namespace's own services. */
  allowedDestinations?: string[];
  subscriptions: ConnectorSubscription[];
}

/** Queue naming shared by every buffer: one queue per (channel, subscription). */
export const queueName = (channel: ObjectKey, sub: ObjectKey): string =>
  `hb.${channel.namespace}.${channel.name}.${sub.namespace}.${sub.name}`;
