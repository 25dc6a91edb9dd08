// Labels, annotations and Secret keys: the names the operator writes and the receiver and connectors read,
// so each side spells them the same way. Children in the owner's namespace carry owner references;
// cross-namespace children (receiver config Secrets) are found by label.
import { GROUP } from './api/v1alpha1.ts';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'hookbridge-operator';
/** The server-side apply field manager of everything the operator writes. */
export const FIELD_MANAGER = 'hookbridge-operator';
export const COMPONENT = 'app.kubernetes.io/component';
export const NAME = 'app.kubernetes.io/name';
export const PART_OF = 'app.kubernetes.io/part-of';

export const Component = {
  Token: 'subscription-token',
  Signing: 'signing-secret',
  Connector: 'connector',
  ReceiverConfig: 'receiver-config',
} as const;

/** Selects everything the operator writes (its informers for children use this). */
export const MANAGED_SELECTOR = `${MANAGED_BY}=${MANAGED_BY_VALUE}`;

export const managedLabels = (component: string): Record<string, string> => ({
  [MANAGED_BY]: MANAGED_BY_VALUE,
  [PART_OF]: 'hookbridge',
  [COMPONENT]: component,
});

/** Receiver config Secrets: one per channel in the receiver's namespace, carrying this label (value RECEIVER_CONFIG_LABEL_VALUE). */
export const RECEIVER_CONFIG_LABEL = `${GROUP}/receiver-config`;
export const RECEIVER_CONFIG_LABEL_VALUE = 'true';
export const RECEIVER_CONFIG_SELECTOR = `${RECEIVER_CONFIG_LABEL}=${RECEIVER_CONFIG_LABEL_VALUE}`;
/** The receiver config Secret's data key holding the ChannelConfig JSON. */
export const RECEIVER_CONFIG_KEY = 'channel.json';
export const CHANNEL_ANNOTATION = `${GROUP}/channel`;

// Token Secret bookkeeping (never the previous token itself: only its hash).
export const TOKEN_KEY = 'token';
/** The generated signing Secret's data key (the connector mounts it as a file). */
export const SIGNING_KEY = 'secret';
/** A rotation's new token, staged until the receiver accepts it; connectors do not mount this key. */
export const NEXT_TOKEN_KEY = 'next-token';
export const ROTATED_AT_ANNOTATION = `${GROUP}/token-rotated-at`;
export const PREVIOUS_HASH_ANNOTATION = `${GROUP}/previous-token-sha256`;
export const PREVIOUS_NOT_AFTER_ANNOTATION = `${GROUP}/previous-token-not-after`;
export const ROTATE_HANDLED_ANNOTATION = `${GROUP}/rotate-token-handled`;

export const CONFIG_CHECKSUM_ANNOTATION = `${GROUP}/config-checksum`;
export const CONNECTOR_NAME = 'hookbridge-connector';
export const CONNECTOR_CONFIG_KEY = 'config.json';
