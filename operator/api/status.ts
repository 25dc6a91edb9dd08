// Status schemas of both kinds (the spec schemas live in shared/api/v1alpha1.ts). They generate the
// CRD status subresource schema and type what the reconcilers compute.
import { z } from 'zod';

const time = z.string().describe('RFC 3339 time.');

export const Condition = z.object({
  type: z.string().min(1).max(316).describe('Type of the condition, e.g. Ready.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition: True, False or Unknown.'),
  reason: z.string().min(1).max(1024).describe('CamelCase reason for the last transition, e.g. ChannelNotFound.'),
  message: z.string().max(32768).describe('A human readable message about the last transition.'),
  observedGeneration: z.number().int().min(0).optional().describe('The .metadata.generation the condition was computed from.'),
  lastTransitionTime: time.describe('When the status last changed.'),
}).describe('A condition as the Kubernetes API conventions define it.');
export type Condition = z.infer<typeof Condition>;

const conditions = z.array(Condition).describe('Current state; Ready rolls up the others.');
const count = z.number().int().min(0);

export const WebhookChannelStatus = z.object({
  conditions: conditions.optional(),
  observedGeneration: z.number().int().min(0).optional().describe('The .metadata.generation the status was computed from.'),
  url: z.string().optional().describe('Public ingest URL: POST webhooks here.'),
  subscriptions: count.optional().describe('Subscriptions bound to this channel.'),
  connectedConnectors: count.optional().describe('Connector streams open now, over all subscriptions (from the receiver).'),
  backlog: count.optional().describe('Messages queued, over all subscriptions (from the receiver).'),
  deadLettered: count.optional().describe('Messages in dead-letter queues, over all subscriptions (from the receiver).'),
  tokenRotatedAt: time.optional().describe('Oldest current subscription token was minted at this time.'),
  nextTokenRotationAt: time.optional().describe('When the next subscription token rotation is due.'),
}).describe('Observed state of the WebhookChannel.');
export type WebhookChannelStatus = z.infer<typeof WebhookChannelStatus>;

export const SubscriptionStatus = z.object({
  conditions: conditions.optional(),
  observedGeneration: z.number().int().min(0).optional().describe('The .metadata.generation the status was computed from.'),
  destination: z.string().optional().describe('Resolved destination URL the connector delivers to.'),
  connector: z.string().optional().describe('Name of the connector Deployment in this namespace.'),
  sidecars: count.optional().describe('Pods running a connector sidecar for this Subscription (destination.sidecar); they are also counted in the channel\'s connectedConnectors once their streams are open.'),
  tokenSecretRef: z.object({ name: z.string(), key: z.string() }).optional().describe('Secret holding this subscription\'s stream token.'),
  tokenRotatedAt: time.optional().describe('When the current token was minted.'),
  nextTokenRotationAt: time.optional().describe('When the token is next rotated.'),
  backlog: count.optional().describe('Messages queued for this subscription (from the receiver).'),
  deadLettered: count.optional().describe('Messages in this subscription\'s dead-letter queue (from the receiver).'),
  lastDeliveryAt: time.optional().describe('Last successful delivery (from the receiver).'),
  destinationGoneAt: time.optional().describe('Last time the destination answered 410 Gone (from the receiver); the DestinationHealthy condition says whether a delivery has succeeded since.'),
}).describe('Observed state of the Subscription.');
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;
