// The receiver's configuration for one channel: a Secret in the receiver's namespace (it carries
// inbound verification secrets), labelled for the receiver's watch, data `channel.json` = ChannelConfig.
// Cross-namespace, so no owner reference: the channel's finalizer deletes it.
import { createHash } from 'node:crypto';
import { keyOf, type ChannelConfig, type ObjectKey } from '../../shared/config.ts';
import { CHANNEL_ANNOTATION, Component, managedLabels, RECEIVER_CONFIG_KEY, RECEIVER_CONFIG_LABEL, RECEIVER_CONFIG_LABEL_VALUE } from '../../shared/labels.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import { b64 } from '../../shared/kube/owner.ts';

const PREFIX = 'hookbridge-channel.';

/** `hookbridge-channel.<ns>.<name>` (namespaces have no dots, so it is unique), hashed when too long. */
export function receiverConfigSecretName(channel: ObjectKey): string {
  const plain = `${PREFIX}${channel.namespace}.${channel.name}`;
  return plain.length <= 253 ? plain : `${PREFIX}${createHash('sha256').update(keyOf(channel)).digest('hex').slice(0, 40)}`;
}

export function buildReceiverConfigSecret(receiverNamespace: string, config: ChannelConfig): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: receiverConfigSecretName(config),
      namespace: receiverNamespace,
      labels: { ...managedLabels(Component.ReceiverConfig), [RECEIVER_CONFIG_LABEL]: RECEIVER_CONFIG_LABEL_VALUE },
      annotations: { [CHANNEL_ANNOTATION]: keyOf(config) },
    },
    type: 'Opaque',
    data: { [RECEIVER_CONFIG_KEY]: b64(`${JSON.stringify(config, null, 2)}\n`) },
  };
}

/** The ChannelConfig a live config Secret carries, if readable. */
export function readReceiverConfig(secret: KubeObject | undefined): ChannelConfig | undefined {
  const raw = (secret?.data as Record<string, string> | undefined)?.[RECEIVER_CONFIG_KEY];
  if (!raw) return undefined;
  try { return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as ChannelConfig; } catch { return undefined; }
}
