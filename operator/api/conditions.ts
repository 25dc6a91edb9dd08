// Condition types and reasons (constant CamelCase), and event reasons: the one list the controllers,
// the tests and the docs share. Reasons a person can act on; never free text.
import { BindReason } from '../../shared/api/compile.ts';

export const ConditionType = {
  Ready: 'Ready',
  // WebhookChannel
  ReceiverConfigured: 'ReceiverConfigured',
  TokensReady: 'TokensReady',
  BufferReady: 'BufferReady',
  // Subscription
  ChannelBound: 'ChannelBound',
  SecretsReady: 'SecretsReady',
  ConnectorReady: 'ConnectorReady',
  DestinationHealthy: 'DestinationHealthy',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  ...BindReason,
  Ready: 'Ready',
  // ReceiverConfigured
  Configured: 'Configured',
  VerifySecretNotFound: 'VerifySecretNotFound',
  // TokensReady
  TokensIssued: 'TokensIssued',
  TokensPending: 'TokensPending',
  NoSubscriptions: 'NoSubscriptions',
  // BufferReady
  QueuesReady: 'QueuesReady',
  ChannelNotLoaded: 'ChannelNotLoaded',
  ReceiverUnreachable: 'ReceiverUnreachable',
  StatsDisabled: 'StatsDisabled',
  StatsPending: 'StatsPending',
  BufferError: 'BufferError',
  InvalidSpec: 'InvalidSpec',
  // ChannelBound
  Bound: 'Bound',
  // SecretsReady
  SecretsIssued: 'SecretsIssued',
  SigningSecretNotFound: 'SigningSecretNotFound',
  TokenPending: 'TokenPending',
  // ConnectorReady
  ConnectorDeployed: 'ConnectorDeployed',
  ConnectorAvailable: 'ConnectorAvailable',
  ConnectorUnavailable: 'ConnectorUnavailable',
  ConnectorPending: 'ConnectorPending',
  // ConnectorReady of destination.sidecar Subscriptions
  NoSidecars: 'NoSidecars',
  SidecarsNotConnected: 'SidecarsNotConnected',
  SidecarsConnected: 'SidecarsConnected',
  NotBound: 'NotBound',
  // DestinationHealthy
  NoGoneAnswer: 'NoGoneAnswer',
  DestinationGone: 'DestinationGone',
  DestinationRecovered: 'DestinationRecovered',
  DestinationChanged: 'DestinationChanged',
  NoDeliveryStats: 'NoDeliveryStats',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export const EventReason = {
  TokenIssued: 'TokenIssued',
  TokenRotated: 'TokenRotated',
  TokenRevoked: 'TokenRevoked',
  ReceiverConfigured: 'ReceiverConfigured',
  ReceiverConfigRemoved: 'ReceiverConfigRemoved',
  ConnectorUpdated: 'ConnectorUpdated',
  Bound: 'Bound',
  NotBound: 'NotBound',
  InvalidDestination: 'InvalidDestination',
  VerifySecretNotFound: 'VerifySecretNotFound',
  CleanedUp: 'CleanedUp',
  DestinationGone: 'DestinationGone',
  DestinationRecovered: 'DestinationRecovered',
  // Sidecar injection: on the pod and on the Subscription it named
  SidecarSkipped: 'SidecarSkipped',
  SidecarMissing: 'SidecarMissing',
  TooManySidecars: 'TooManySidecars',
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];

export const FINALIZER = 'hookbridge.io/cleanup';
