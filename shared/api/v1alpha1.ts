// hookbridge.io/v1alpha1 — the one source of truth for the WebhookChannel and Subscription schemas.
// The CRD YAML in crds/ and the chart copy are generated from these zod schemas (`make manifests`);
// the operator validates with them and standalone mode (`hookbridge dev -f`) reads the same YAML.
import { z } from 'zod';

export const GROUP = 'hookbridge.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

const dnsName = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
const duration = z.string().regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/, 'a Go-style duration such as 720h or 90s');

export const SecretKeyRef = z.object({
  name: dnsName.describe('Name of a Secret in the same namespace as the referring object.'),
  key: z.string().min(1).default('secret').describe('Key within the Secret.'),
}).describe('A reference to one key of a Secret in the same namespace.');
export type SecretKeyRef = z.infer<typeof SecretKeyRef>;

export const EventTypeSource = z.union([
  z.object({ header: z.string().min(1).describe('Request header holding the event type, e.g. X-GitHub-Event.') }).strict(),
  z.object({ jsonPointer: z.string().regex(/^\//).describe('RFC 6901 JSON pointer into the JSON body, e.g. /type.') }).strict(),
]).describe('Where a message\'s event type comes from; absent means messages carry no type.');
export type EventTypeSource = z.infer<typeof EventTypeSource>;

export const VerifyProviders = ['github', 'stripe', 'slack', 'standard-webhooks', 'hmac'] as const;
export type VerifyProvider = (typeof VerifyProviders)[number];

// The enums the data-plane configuration (shared/config/) carries over unchanged from these resources:
// written once here so a value the API admits is one the receiver and the connector accept.
export const DeletionPolicies = ['Delete', 'Retain'] as const;
export type DeletionPolicy = (typeof DeletionPolicies)[number];
export const OrderingModes = ['none', 'perKey'] as const;
export type OrderingMode = (typeof OrderingModes)[number];
export const SigningSchemes = ['standard-webhooks', 'hmac-sha256'] as const;
export type SigningScheme = (typeof SigningSchemes)[number];
export const TransformFormats = ['raw', 'zapier', 'make', 'convertkit', 'template'] as const;
export type TransformFormat = (typeof TransformFormats)[number];

export const Verify = z.object({
  provider: z.enum(VerifyProviders).describe('Inbound signature scheme checked at the edge.'),
  secretRef: SecretKeyRef.describe('Secret holding the provider signing secret.'),
  toleranceSeconds: z.number().int().min(0).default(300).describe('Maximum age of a signed timestamp (stripe, slack, standard-webhooks).'),
}).describe('Inbound signature verification; failures answer 401 invalid_signature and are never enqueued.');

const LabelSelector = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(z.object({
    key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional(),
  })).optional(),
}).describe('A Kubernetes label selector.');

export const AllowedNamespaces = z.object({
  names: z.array(dnsName).optional().describe('Namespaces whose Subscriptions may bind.'),
  selector: LabelSelector.optional().describe('Label selector over namespaces whose Subscriptions may bind.'),
}).describe('Namespaces whose Subscriptions may bind to this channel; defaults to the channel\'s own namespace.');

export const TokenRotation = z.object({
  interval: duration.default('720h').describe('How often subscription tokens are rotated.'),
  gracePeriod: duration.default('1h').describe('How long the previous token stays valid after a rotation.'),
});

export const WebhookChannelSpec = z.object({
  maxQueueSize: z.number().int().min(1).max(10_000_000).default(10000).describe('Maximum messages queued per subscription; when full, ingest answers 503 queue_full.'),
  ttlSeconds: z.number().int().min(1).default(86400).describe('How long a queued message lives before it expires.'),
  ackTimeoutSeconds: z.number().int().min(1).max(3600).default(30).describe('Seconds a connector has to ack a message before it is redelivered.'),
  maxConnections: z.number().int().min(1).max(1000).default(10).describe('Maximum concurrent connector streams per subscription.'),
  maxPayloadBytes: z.number().int().min(1).max(64 * 1024 * 1024).default(1048576).describe('Largest accepted request body; larger answers 413 payload_too_large.'),
  deliveryLimit: z.number().int().min(1).max(1000).default(10).describe('Redeliveries after lost acks before a message is dead-lettered.'),
  eventType: EventTypeSource.optional(),
  verify: Verify.optional(),
  allowedNamespaces: AllowedNamespaces.optional(),
  tokenRotation: TokenRotation.default({ interval: '720h', gracePeriod: '1h' }).describe('Schedule for rotating subscription tokens.'),
  deletionPolicy: z.enum(DeletionPolicies).default('Delete').describe('Whether broker queues are removed with the channel.'),
});
export type WebhookChannelSpec = z.infer<typeof WebhookChannelSpec>;

export const DestinationSpec = z.object({
  url: z.url().optional().describe('Absolute http(s) URL of the destination.'),
  service: z.object({
    name: dnsName.describe('Service in the Subscription\'s namespace.'),
    port: z.number().int().min(1).max(65535).default(80),
    path: z.string().regex(/^\//).default('/'),
    scheme: z.enum(['http', 'https']).default('http'),
  }).optional(),
  // A third kind rather than a `delivery.mode` flag: "served by a sidecar" and "delivered to the pod's own
  // localhost" are the same decision, so one field cannot contradict the other (a sidecar mode with a
  // Service destination, or a localhost URL the namespace connector would refuse).
  sidecar: z.object({
    port: z.number().int().min(1).max(65535).describe('Port the application listens on inside its own pod (the sidecar takes another one for its metrics).'),
    path: z.string().regex(/^\//).default('/').describe('HTTP path on localhost.'),
  }).optional().describe('Delivered by a connector sidecar injected into each pod annotated hookbridge.io/inject with this Subscription\'s name, to http://localhost:<port><path> inside that pod; the namespace connector Deployment does not serve it.'),
}).describe('Where messages are delivered: a URL, a Service in the Subscription\'s namespace, or the pods that carry a connector sidecar (exactly one).');

export const RetrySpec = z.object({
  maxAttempts: z.number().int().min(1).max(100).default(5).describe('Attempts before a message is dead-lettered.'),
  schedule: z.array(duration).min(1).default(['5s', '25s', '125s', '625s']).describe('Delay before each retry; the last entry repeats.'),
  jitter: z.number().min(0).max(1).default(0.2).describe('Random fraction added to or taken from each delay.'),
});

export const CircuitBreakerSpec = z.object({
  failureRatio: z.number().gt(0).max(1).default(0.5),
  minRequests: z.number().int().min(1).default(20),
  openSeconds: z.number().int().min(1).default(30),
});

export const DeliverySpec = z.object({
  timeoutSeconds: z.number().int().min(1).max(300).default(10),
  retry: RetrySpec.default({ maxAttempts: 5, schedule: ['5s', '25s', '125s', '625s'], jitter: 0.2 }),
  concurrency: z.number().int().min(1).max(1000).default(10),
  rateLimitPerSecond: z.number().positive().optional().describe('Maximum deliveries per second; unlimited when absent.'),
  ordering: z.enum(OrderingModes).default('none'),
  keyFrom: EventTypeSource.optional().describe('Where the ordering key comes from when ordering is perKey.'),
  circuitBreaker: CircuitBreakerSpec.optional(),
});
export type DeliverySpec = z.infer<typeof DeliverySpec>;

export const SigningSpec = z.object({
  scheme: z.enum(SigningSchemes).default('standard-webhooks'),
  secretRef: SecretKeyRef.optional().describe('Signing secret; the operator generates a whsec_ secret when absent.'),
});

export const TransformSpec = z.object({
  format: z.enum(TransformFormats).default('raw'),
  template: z.string().optional().describe('JSON template with {{ .path }} placeholders, for format template.'),
  includeMessageId: z.boolean().optional().describe('Add the message id as "message_id" to the delivered JSON object, so the destination can drop duplicates; a body that is not a JSON object is delivered unchanged (the id is always in the webhook-id header).'),
});

export const SubscriptionSpec = z.object({
  channelRef: z.object({ name: dnsName, namespace: dnsName.optional().describe('Defaults to the Subscription\'s namespace.') }),
  eventTypes: z.array(z.string().min(1)).default([]).describe('Glob patterns of event types to receive, e.g. invoice.*; empty receives all.'),
  destination: DestinationSpec,
  delivery: DeliverySpec.default(DeliverySpec.parse({})),
  signing: SigningSpec.default({ scheme: 'standard-webhooks' }),
  transform: TransformSpec.optional(),
});
export type SubscriptionSpec = z.infer<typeof SubscriptionSpec>;

export const ObjectMeta = z.object({
  name: dnsName,
  namespace: dnsName.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  resourceVersion: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  finalizers: z.array(z.string()).optional(),
}).loose();

/** Channel and Subscription names are DNS labels: they are '.'-joined segments of broker queue names. */
const dnsLabel = z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS label: lowercase letters, digits and -, no dots');
const LabelNamedMeta = ObjectMeta.extend({ name: dnsLabel });

export const WebhookChannel = z.object({
  apiVersion: z.literal(API_VERSION), kind: z.literal('WebhookChannel'), metadata: LabelNamedMeta,
  spec: WebhookChannelSpec.default(WebhookChannelSpec.parse({})), status: z.record(z.string(), z.unknown()).optional(),
});
export type WebhookChannel = z.infer<typeof WebhookChannel>;

export const Subscription = z.object({
  apiVersion: z.literal(API_VERSION), kind: z.literal('Subscription'), metadata: LabelNamedMeta,
  spec: SubscriptionSpec, status: z.record(z.string(), z.unknown()).optional(),
});
export type Subscription = z.infer<typeof Subscription>;

/** Parse a Go-style duration ("1h30m", "90s", "250ms") into milliseconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
  let matched = '';
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]];
    matched += m[0];
  }
  if (matched.length === 0 || matched !== text) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  return total;
}

export const TOKEN_PREFIX = 'hbt_';
export const ROTATE_ANNOTATION = `${GROUP}/rotate-token`;
export const tokenSecretName = (subscription: string): string => `${subscription}-hookbridge-token`;
