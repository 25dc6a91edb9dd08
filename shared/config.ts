// Where the control plane meets the data plane. The operator (from the Kubernetes API) and standalone
// mode (from manifest files) both compile WebhookChannel/Subscription/Secret objects into these shapes;
// the receiver and the connector only ever read these. Plain JSON, so it travels in a Secret/ConfigMap.
// The shapes are defined once, as zod schemas in ./config/ (the types derive from them); this module
// names them for the many readers that only need the types, next to the keys every component shares.
export type { ChannelConfig, ReceiverConfig, SubscriptionRoute, TokenHash } from './config/channel.ts';
export type { ConnectorConfig, ConnectorSubscription, Transport } from './config/connector.ts';

export interface ObjectKey { namespace: string; name: string }
export const keyOf = (k: ObjectKey): string => `${k.namespace}/${k.name}`;

/** Queue naming shared by every buffer: one queue per (channel, subscription). */
export const queueName = (channel: ObjectKey, sub: ObjectKey): string =>
  `hb.${channel.namespace}.${channel.name}.${sub.namespace}.${sub.name}`;
