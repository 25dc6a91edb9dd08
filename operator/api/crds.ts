// The two CustomResourceDefinitions, built from the zod schemas (shared/api/v1alpha1.ts for spec,
// ./status.ts for status) plus what zod cannot say: CEL cross-field rules, printer columns, names,
// list semantics and a few descriptions for `kubectl explain`.
import { GROUP, SubscriptionSpec, VERSION, WebhookChannelSpec } from '../../shared/api/v1alpha1.ts';
import { addRule, at, exactlyOne, structuralSchema, type JSONSchemaProps } from './crd-schema.ts';
import { SubscriptionStatus, WebhookChannelStatus } from './status.ts';

export interface PrinterColumn { name: string; type: string; jsonPath: string; description?: string; priority?: number }
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

const READY: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
const REASON: PrinterColumn = { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 };
const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
/** Names become broker queue/exchange name segments joined by '.', so they must not contain dots. */
const NAME_IS_LABEL = {
  rule: "size(self.metadata.name) <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
  message: "metadata.name must be a DNS label (lowercase letters, digits and '-', at most 63 characters, no dots)",
};
const HTTP_URL = "isURL(self) && url(self).getScheme() in ['http', 'https']";

/**
 * What admission can refuse of shared/destinations.ts without DNS (the operator applies all of it and
 * reports `Ready=False InvalidDestination`; the connector checks again after DNS). Regexes over the URL
 * itself (bounded by maxLength, so the CEL cost estimate stays within budget), case-insensitive.
 */
const AT_HOST = (host: string): string => `!self.matches(r'^(?i)https?://([^/?#@]*@)?${host}[.]?(:[0-9]*)?([/?#]|$)')`;
const DEC = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
export const DESTINATION_HOST_RULES = [
  {
    rule: AT_HOST('(metadata[.]google[.]internal|metadata[.]goog|metadata|instance-data|instance-data[.]ec2[.]internal|metadata[.]azure[.]com)'),
    message: 'destination.url must not be a cloud metadata endpoint',
  },
  {
    rule: AT_HOST('(kubernetes([.]default([.]svc([.][^/?#:@]*)?)?)?|([^/?#:@]+[.])?kube-(system|public|node-lease)([.]svc([.][^/?#:@]*)?)?)'),
    message: 'destination.url must not be the cluster\'s API server or a Service in a system namespace (kube-system, kube-public, kube-node-lease)',
  },
  {
    rule: `${AT_HOST('((0x[0-9a-f]*|[0-9]+)[.]){0,3}(0x[0-9a-f]*|[0-9]+)')} || ${AT_HOST(`${DEC}([.]${DEC}){3}`).slice(1)}`,
    message: 'destination.url must write an IPv4 address as a dotted quad (decimal, octal and hex spellings are refused)',
  },
  {
    rule: AT_HOST('(169[.]254[.][0-9]+[.][0-9]+|0[.][0-9]+[.][0-9]+[.][0-9]+|168[.]63[.]129[.]16|100[.]100[.]100[.]200)'),
    message: 'destination.url must not be a link-local (169.254.0.0/16, cloud metadata), unspecified (0.0.0.0/8) or metadata address',
  },
  {
    rule: AT_HOST(String.raw`\[([0:]+|fe[89ab][0-9a-f]:[^\]]*|fd00:0{0,3}ec2:(0{1,4}:)*:?0?254|[^\]]*[.][^\]]*|[0:]*:ffff:[^\]]*)\]`),
    message: 'destination.url must not be an unspecified (::), link-local (fe80::/10), metadata or IPv4-mapped IPv6 address',
  },
];

/** Descriptions zod does not carry (objects described where they are used, not where they are defined). */
function describe(schema: JSONSchemaProps, entries: Record<string, string>): void {
  for (const [path, text] of Object.entries(entries)) at(schema, path).description ??= text;
}

function conditionList(status: JSONSchemaProps): void {
  const c = at(status, 'conditions');
  c['x-kubernetes-list-type'] = 'map';
  c['x-kubernetes-list-map-keys'] = ['type'];
}

function channelSchema(): { spec: JSONSchemaProps; status: JSONSchemaProps } {
  const spec = structuralSchema(WebhookChannelSpec);
  spec.description = 'A public webhook endpoint (POST /webhook/{namespace}/{name}) whose messages are buffered per Subscription.';
  describe(spec, {
    'allowedNamespaces.selector.matchLabels': 'Labels a namespace must carry.',
    'allowedNamespaces.selector.matchExpressions': 'Label requirements a namespace must meet.',
    'tokenRotation.interval': 'How often subscription tokens are rotated.',
  });
  addRule(spec, 'allowedNamespaces', {
    rule: '(has(self.names) && size(self.names) > 0) || has(self.selector)',
    message: 'allowedNamespaces needs names or a selector',
  });
  addRule(spec, 'tokenRotation', {
    rule: 'duration(self.gracePeriod) < duration(self.interval)',
    message: 'tokenRotation.gracePeriod must be shorter than tokenRotation.interval',
  });
  addRule(spec, 'tokenRotation', {
    rule: "duration(self.interval) >= duration('1s')",
    message: 'tokenRotation.interval must be at least 1s',
  });
  for (const f of ['interval', 'gracePeriod']) at(spec, `tokenRotation.${f}`).maxLength = 32; // bounds the CEL cost estimate
  const status = structuralSchema(WebhookChannelStatus);
  conditionList(status);
  return { spec, status };
}

function subscriptionSchema(): { spec: JSONSchemaProps; status: JSONSchemaProps } {
  const spec = structuralSchema(SubscriptionSpec);
  spec.description = 'Delivers a WebhookChannel\'s messages to a destination in this namespace, through this namespace\'s connector (or, for destination.sidecar, through connector sidecars in the application\'s own pods).';
  describe(spec, {
    channelRef: 'The WebhookChannel to receive from.',
    'channelRef.name': 'Name of the WebhookChannel.',
    'destination.service.port': 'Service port.',
    'destination.service.path': 'HTTP path on the Service.',
    'destination.service.scheme': 'http or https.',
    'destination.service': 'A Service in the Subscription\'s namespace.',
    delivery: 'How messages are delivered: timeouts, retries, concurrency, rate limit, ordering, circuit breaker.',
    'delivery.timeoutSeconds': 'Timeout of one delivery attempt.',
    'delivery.retry': 'Retry schedule; retries wait in the broker, not in connector memory.',
    'delivery.concurrency': 'Deliveries in flight at once (the stream window).',
    'delivery.ordering': 'none, or perKey: messages with the same key are delivered one at a time in order.',
    'delivery.circuitBreaker': 'Stops delivering (without burning attempts) while the destination fails.',
    'delivery.circuitBreaker.failureRatio': 'Failure ratio that opens the circuit.',
    'delivery.circuitBreaker.minRequests': 'Requests in the window before the ratio counts.',
    'delivery.circuitBreaker.openSeconds': 'How long the circuit stays open before a trial request.',
    signing: 'How deliveries are signed for the destination.',
    'signing.scheme': 'standard-webhooks (webhook-signature header) or hmac-sha256 (X-Signature header).',
    transform: 'Reshape the payload for a destination such as Zapier or Make.',
    'transform.format': 'raw passes the body through; the others reshape it.',
    'transform.includeMessageId': 'Add the message id as "message_id" to the delivered JSON object (drop duplicates at the destination); other bodies are delivered unchanged.',
  });
  // The message keeps its old words first: scripts and tests match "exactly one of url or service".
  addRule(spec, 'destination', { rule: exactlyOne(['url', 'service', 'sidecar']), message: 'destination needs exactly one of url or service (or sidecar)' });
  addRule(spec, 'destination.url', { rule: HTTP_URL, message: 'destination.url must be an absolute http or https URL' });
  for (const r of DESTINATION_HOST_RULES) addRule(spec, 'destination.url', r);
  at(spec, 'destination.url').maxLength = 2048; // bounds the CEL cost estimate
  at(spec, 'delivery.retry.schedule').maxItems = 32;
  at(spec, 'delivery.retry.schedule.[]').maxLength = 32;
  addRule(spec, 'delivery', {
    rule: "self.ordering != 'perKey' || has(self.keyFrom)",
    message: 'delivery.keyFrom is required when delivery.ordering is perKey',
  });
  addRule(spec, 'transform', {
    rule: "self.format != 'template' || has(self.template)",
    message: 'transform.template is required when transform.format is template',
  });
  const status = structuralSchema(SubscriptionStatus);
  conditionList(status);
  return { spec, status };
}

function crd(kind: string, plural: string, shortName: string, schema: { spec: JSONSchemaProps; status: JSONSchemaProps },
  columns: PrinterColumn[], description: string, specRequired: boolean): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'hookbridge' } },
    spec: {
      group: GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: [shortName], categories: ['hookbridge'] },
      scope: 'Namespaced',
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: columns,
        schema: {
          openAPIV3Schema: {
            description,
            type: 'object',
            properties: {
              apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
              kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
              metadata: { type: 'object' },
              spec: specRequired ? schema.spec : { ...schema.spec, default: {} },
              status: schema.status,
            },
            ...(specRequired ? { required: ['spec'] } : {}),
            'x-kubernetes-validations': [NAME_IS_LABEL],
          },
        },
      }],
    },
  };
}

export function webhookChannelCrd(): CustomResourceDefinition {
  return crd('WebhookChannel', 'webhookchannels', 'whc', channelSchema(), [
    READY,
    { name: 'URL', type: 'string', jsonPath: '.status.url' },
    { name: 'Subscriptions', type: 'integer', jsonPath: '.status.subscriptions' },
    { name: 'Connected', type: 'integer', jsonPath: '.status.connectedConnectors' },
    { name: 'Backlog', type: 'integer', jsonPath: '.status.backlog' },
    { name: 'DLQ', type: 'integer', jsonPath: '.status.deadLettered' },
    REASON,
    AGE,
  ], 'WebhookChannel is a public webhook endpoint whose messages Hookbridge buffers and relays to Subscriptions.', false);
}

export function subscriptionCrd(): CustomResourceDefinition {
  return crd('Subscription', 'subscriptions', 'whsub', subscriptionSchema(), [
    READY,
    { name: 'Channel', type: 'string', jsonPath: '.spec.channelRef.name' },
    { name: 'Destination', type: 'string', jsonPath: '.status.destination' },
    { name: 'Backlog', type: 'integer', jsonPath: '.status.backlog' },
    { name: 'DLQ', type: 'integer', jsonPath: '.status.deadLettered' },
    // Wide output only: most Subscriptions are served by the namespace connector and would show an empty column.
    { name: 'Sidecars', type: 'integer', jsonPath: '.status.sidecars', description: 'Pods running a connector sidecar for this Subscription.', priority: 1 },
    REASON,
    AGE,
  ], 'Subscription relays a WebhookChannel\'s messages to a destination in its namespace.', true);
}

export const allCrds = (): CustomResourceDefinition[] => [webhookChannelCrd(), subscriptionCrd()];
