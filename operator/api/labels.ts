// Labels and annotations the operator puts on what it writes. Children in the owner's namespace carry
// owner references; cross-namespace children (receiver config Secrets) are found by label.
import { GROUP } from '../../shared/api/v1alpha1.ts';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'hookbridge-operator';
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

// Receiver config Secrets: the receiver's own constants (it watches Secrets with this label).
export { RECEIVER_CONFIG_LABEL, RECEIVER_CONFIG_LABEL_VALUE, CHANNEL_CONFIG_KEY as RECEIVER_CONFIG_KEY } from '../../receiver/config/kube.ts';
export const CHANNEL_ANNOTATION = `${GROUP}/channel`;

// Token Secret bookkeeping (never the previous token itself: only its hash).
export const TOKEN_KEY = 'token';
/** A rotation's new token, staged until the receiver accepts it; connectors do not mount this key. */
export const NEXT_TOKEN_KEY = 'next-token';
export const ROTATED_AT_ANNOTATION = `${GROUP}/token-rotated-at`;
export const PREVIOUS_HASH_ANNOTATION = `${GROUP}/previous-token-sha256`;
export const PREVIOUS_NOT_AFTER_ANNOTATION = `${GROUP}/previous-token-not-after`;
export const ROTATE_HANDLED_ANNOTATION = `${GROUP}/rotate-token-handled`;

export const CONFIG_CHECKSUM_ANNOTATION = `${GROUP}/config-checksum`;
export const CONNECTOR_NAME = 'hookbridge-connector';
export const CONNECTOR_CONFIG_KEY = 'config.json';
