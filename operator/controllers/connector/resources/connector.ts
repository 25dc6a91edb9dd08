// The per-namespace connector: ConfigMap (`config.json`), ServiceAccount and Deployment, all named
// `hookbridge-connector`, listing the namespace's bound Subscriptions. Owned by those Subscriptions
// (garbage collection is the safety net; the controller deletes them when the last one goes).
import { createHash } from 'node:crypto';
import { compileConnector, secretFilePath, signingSecretName } from '../../../../shared/api/compile.ts';
import { tokenSecretName, type Subscription } from '../../../../shared/api/v1alpha1.ts';
import { Component, CONFIG_CHECKSUM_ANNOTATION, CONNECTOR_CONFIG_KEY, CONNECTOR_NAME, managedLabels, NAME, SIGNING_KEY, TOKEN_KEY } from '../../../../shared/labels.ts';
import type { KubeObject, OwnerReference } from '../../../../shared/kube/client.ts';
import { ownerRef } from '../../../../shared/kube/owner.ts';
import { Subscriptions } from '../../../../shared/kube/resource-types.ts';

export const CONFIG_DIR = '/etc/hookbridge';
export const SECRETS_DIR = '/var/run/hookbridge';
export const CONNECTOR_METRICS_PORT = 9091; // connector/main.ts's default
const UID = 65532;

export interface ConnectorInput {
  namespace: string;
  /** Bound Subscriptions of the namespace. */
  subscriptions: Subscription[];
  /** Receiver base URL the connectors dial. */
  receiverUrl: string;
  image: string;
  /** allowedDestinations for the connector config (OperatorSettings.destinationAllow). */
  allowedDestinations: string[];
  /** Omit --forbid-loopback (only for connectors run outside a pod). */
  allowLoopback?: boolean;
  /** The connector container's imagePullPolicy; absent: Kubernetes' default for the tag. */
  imagePullPolicy?: PullPolicy;
}

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

const labels = (): Record<string, string> => ({ ...managedLabels(Component.Connector), [NAME]: CONNECTOR_NAME });
const owners = (subs: Subscription[]): OwnerReference[] =>
  subs.filter((s) => s.metadata.uid).map((s) => ownerRef(Subscriptions, s, false)).sort((a, b) => a.name.localeCompare(b.name));
const meta = (i: ConnectorInput) => ({ name: CONNECTOR_NAME, namespace: i.namespace, labels: labels(), ownerReferences: owners(i.subscriptions) });

export const connectorConfigJson = (i: ConnectorInput): string =>
  `${JSON.stringify(compileConnector(i.receiverUrl, i.subscriptions, 'websocket', i.allowedDestinations), null, 2)}\n`;

export function buildConnectorConfigMap(i: ConnectorInput): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(i), data: { [CONNECTOR_CONFIG_KEY]: connectorConfigJson(i) } };
}

export function buildConnectorServiceAccount(i: ConnectorInput): KubeObject {
  // The connector never talks to the Kubernetes API: no token mounted.
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(i), automountServiceAccountToken: false };
}

/** Every Secret key a subscription's connector needs, at the path compile.ts put in config.json. */
export function projectedSecrets(subs: Subscription[]): { secret: { name: string; items: { key: string; path: string }[] } }[] {
  const bySecret = new Map<string, Map<string, string>>();
  const add = (name: string, key: string) => {
    const items = bySecret.get(name) ?? new Map<string, string>();
    items.set(key, secretFilePath(name, key));
    bySecret.set(name, items);
  };
  for (const s of subs) {
    add(tokenSecretName(s.metadata.name), TOKEN_KEY);
    const ref = s.spec.signing.secretRef ?? { name: signingSecretName(s.metadata.name), key: SIGNING_KEY };
    add(ref.name, ref.key);
  }
  return [...bySecret.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, items]) => ({
    secret: { name, items: [...items.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, path]) => ({ key, path })) },
  }));
}

export function buildConnectorDeployment(i: ConnectorInput): KubeObject {
  const checksum = createHash('sha256').update(connectorConfigJson(i)).digest('hex');
  const probe = (path: string, periodSeconds: number) => ({ httpGet: { path, port: 'metrics' }, periodSeconds, failureThreshold: 3 });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(i),
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      selector: { matchLabels: { [NAME]: CONNECTOR_NAME, 'app.kubernetes.io/component': Component.Connector } },
      template: {
        metadata: { labels: labels(), annotations: { [CONFIG_CHECKSUM_ANNOTATION]: checksum } },
        spec: {
          serviceAccountName: CONNECTOR_NAME,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID, seccompProfile: { type: 'RuntimeDefault' } },
          terminationGracePeriodSeconds: 30,
          containers: [{
            name: 'connector',
            image: i.image,
            ...(i.imagePullPolicy ? { imagePullPolicy: i.imagePullPolicy } : {}),
            // In a pod, loopback is the pod itself (its metrics server): never a destination.
            args: ['connector', '--config', `${CONFIG_DIR}/${CONNECTOR_CONFIG_KEY}`, '--secrets-dir', SECRETS_DIR, '--metrics-port', String(CONNECTOR_METRICS_PORT),
              ...(i.allowLoopback ? [] : ['--forbid-loopback'])],
            ports: [{ name: 'metrics', containerPort: CONNECTOR_METRICS_PORT, protocol: 'TCP' }],
            livenessProbe: probe('/healthz', 20),
            readinessProbe: probe('/readyz', 10),
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [
              { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
              { name: 'secrets', mountPath: SECRETS_DIR, readOnly: true },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          }],
          volumes: [
            { name: 'config', configMap: { name: CONNECTOR_NAME, items: [{ key: CONNECTOR_CONFIG_KEY, path: CONNECTOR_CONFIG_KEY }] } },
            // Projected Secrets update in place on rotation: the connector re-reads its token on reconnect.
            { name: 'secrets', projected: { defaultMode: 0o440, sources: projectedSecrets(i.subscriptions) } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}
