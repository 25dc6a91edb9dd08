// The pod mutation of connector sidecar injection (issue 11), pure: a Pod (or a pod template) whose
// annotation `hookbridge.io/inject` names Subscriptions of its namespace, plus those Subscriptions, in;
// the RFC 6902 JSON Patch that adds one Kubernetes native sidecar (an init container with
// `restartPolicy: Always`) serving them, and a reason for each named Subscription it cannot serve, out.
//
// The sidecar is the namespace connector's container in another pod: same image, arguments, mounts,
// resources and securityContext (connector.ts builds the Deployment; mutation.test.ts holds the two
// together). The differences, each for a reason:
// - its config is the namespace's `hookbridge-sidecar` ConfigMap (every sidecar-mode Subscription of the
//   namespace, delivering to localhost), narrowed to the named ones by `--subscriptions`: one ConfigMap
//   per namespace, written without knowing the pods, and Subscription changes reach running sidecars the
//   way they reach the Deployment (the ConfigMap volume is swapped in place and re-read);
// - no `--forbid-loopback`: localhost is the destination, the application in the same pod;
// - only the named Subscriptions' token and signing Secrets are projected (the same items at the same
//   paths, so rotation is the same: the projected volume updates in place and the connector re-reads its
//   token on reconnect), mode 0444 because the pod's fsGroup belongs to the application, not to us, and
//   optional, so a Hookbridge Secret can never keep the application's pod from starting;
// - the metrics port is 9091 unless the pod already uses it.
import { secretFilePath, signingSecretName } from '../../shared/api/compile.ts';
import { GROUP, tokenSecretName, type Subscription } from '../../shared/api/v1alpha1.ts';
import { TOKEN_KEY } from '../../shared/labels.ts';
import { CONFIG_DIR, CONNECTOR_METRICS_PORT, SECRETS_DIR, projectedSecrets, type PullPolicy } from '../controllers/connector/resources/connector.ts';

/** Pod annotation: the Subscriptions (names in the pod's namespace, comma-separated) the pod asks a sidecar for. */
export const INJECT_ANNOTATION = `${GROUP}/inject`;
/** Written on an injected pod: the Subscriptions its sidecar serves (status counts pods by it). */
export const INJECTED_ANNOTATION = `${GROUP}/injected`;
/** Written on a pod that asked: why some named Subscriptions are not served (`kubectl describe pod` shows it). */
export const SKIPPED_ANNOTATION = `${GROUP}/inject-skipped`;
/** Label on injected pods, so the operator can watch only those (a cluster-wide pod informer would be all pods). */
export const SIDECAR_LABEL = `${GROUP}/sidecar`;
export const SIDECAR_CONTAINER = 'hookbridge-connector';
/** The namespace ConfigMap the sidecars read (written by the connector controller). */
export const SIDECAR_CONFIG_MAP = 'hookbridge-sidecar';
export const SIDECAR_CONFIG_KEY = 'config.json';
/** Volume names, prefixed so they cannot collide with the application's. */
export const VOLUMES = { config: 'hookbridge-config', secrets: 'hookbridge-secrets', tmp: 'hookbridge-tmp' } as const;

/** The same figures as the connector Deployment (connector.ts); mutation.test.ts fails when they drift. */
export const SIDECAR_RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } };
const UID = 65532;
/** The Deployment's container securityContext plus the pod-level user/group it sets, which a sidecar cannot set for the pod. */
export const SIDECAR_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: UID, runAsGroup: UID,
  capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
};

export const SkipReason = {
  /** No Subscription of that name in the pod's namespace. */
  UnknownSubscription: 'UnknownSubscription',
  /** Named as `other-namespace/name`: a pod's sidecar serves only its own namespace's Subscriptions (their Secrets live there). */
  OtherNamespace: 'OtherNamespace',
  /** The Subscription's destination is a URL or a Service: the namespace connector serves it. */
  NotSidecarMode: 'NotSidecarMode',
  /** ChannelBound is not True (no channel, namespace not allowed, duplicate, …): there is nothing to stream. */
  NotBound: 'NotBound',
  /** Bound but its token or signing Secret is not there yet (SecretsReady not True), or it is being deleted: the pod would hang in ContainerCreating. */
  NotReady: 'NotReady',
  /** hostNetwork pods share the node's localhost: "deliver to localhost" would mean the node. */
  HostNetwork: 'HostNetwork',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

export interface Skipped { subscription: string; reason: SkipReason; message: string }
export type JsonPatchOp = { op: 'add' | 'replace' | 'remove' | 'test'; path: string; value?: unknown };

interface Container { name: string; ports?: { containerPort?: number }[]; [k: string]: unknown }
export interface PodSpecLike {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { name: string }[];
  hostNetwork?: boolean;
  [k: string]: unknown;
}
export interface PodLike {
  metadata?: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: PodSpecLike;
}

export interface InjectionSettings {
  /** The operator's own image (the chart passes it; the sidecar is the same program). */
  image: string;
  imagePullPolicy?: PullPolicy;
}

export interface InjectionInput extends InjectionSettings {
  pod: PodLike;
  /** The pod's namespace: an AdmissionRequest's `namespace` (a pod being created may not carry one itself). */
  namespace: string;
  /** Subscriptions of that namespace (others are ignored). */
  subscriptions: Subscription[];
  /** Where the pod spec is: `/spec` for a Pod (default), `/spec/template/spec` for a workload's template. */
  specPath?: string;
  /** Where the pod metadata is: `/metadata` (default) or `/spec/template/metadata`. */
  metadataPath?: string;
}

export interface InjectionResult {
  /** JSON Patch to apply; empty when there is nothing to do. */
  patch: JsonPatchOp[];
  /** Subscriptions the sidecar serves (sorted). */
  injected: string[];
  skipped: Skipped[];
  /** The pod asked for injection (has the annotation with at least one name). */
  requested: boolean;
  /** A sidecar is there already: nothing added (idempotent under reinvocation or a re-applied template). */
  alreadyInjected: boolean;
}

/** The names in the annotation, trimmed, without empties or repeats, in order. */
export function parseInjectAnnotation(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [...new Set(value.split(',').map((s) => s.trim()).filter((s) => s.length > 0))];
}

const condition = (s: Subscription, type: string): string | undefined =>
  ((s.status?.conditions ?? []) as { type?: string; status?: string }[]).find((c) => c.type === type)?.status;

/** Why `name` (an annotation entry) cannot be served in `namespace`, or the Subscription to serve. */
export function resolve(name: string, namespace: string, subs: Subscription[]): Subscription | Skipped {
  let plain = name;
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const ns = name.slice(0, slash);
    plain = name.slice(slash + 1);
    if (ns !== namespace) {
      return { subscription: name, reason: SkipReason.OtherNamespace, message: `Subscription ${name} is in namespace ${ns}; a sidecar serves only Subscriptions of its pod's namespace ${namespace}` };
    }
  }
  const sub = subs.find((s) => s.metadata.name === plain && (s.metadata.namespace ?? namespace) === namespace);
  if (!sub) return { subscription: name, reason: SkipReason.UnknownSubscription, message: `no Subscription ${plain} in namespace ${namespace}` };
  if (!sub.spec.destination.sidecar) {
    return { subscription: name, reason: SkipReason.NotSidecarMode, message: `Subscription ${plain} has no destination.sidecar: the namespace connector delivers it` };
  }
  if (condition(sub, 'ChannelBound') !== 'True') {
    return { subscription: name, reason: SkipReason.NotBound, message: `Subscription ${plain} is not bound to its channel (see its ChannelBound condition)` };
  }
  if (condition(sub, 'SecretsReady') !== 'True' || sub.metadata.deletionTimestamp) {
    return { subscription: name, reason: SkipReason.NotReady, message: `Subscription ${plain} is not ready: its token or signing Secret is not issued yet, or it is being deleted` };
  }
  return sub;
}

/** RFC 6901 escaping of one path segment. */
export const pointerSegment = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** The lowest port from 9091 up that no container of the pod and no served Subscription uses. */
export function metricsPort(spec: PodSpecLike, subs: Subscription[]): number {
  const used = new Set<number>();
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) for (const p of c.ports ?? []) if (p.containerPort) used.add(p.containerPort);
  for (const s of subs) if (s.spec.destination.sidecar) used.add(s.spec.destination.sidecar.port);
  let port = CONNECTOR_METRICS_PORT;
  while (used.has(port)) port++;
  return port;
}

/** The sidecar container (an init container with restartPolicy Always: a Kubernetes native sidecar). */
export function sidecarContainer(subs: Subscription[], port: number, s: InjectionSettings): Record<string, unknown> {
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({ httpGet: { path, port }, periodSeconds, failureThreshold });
  const names = subs.map((x) => x.metadata.name).sort();
  return {
    name: SIDECAR_CONTAINER,
    image: s.image,
    ...(s.imagePullPolicy ? { imagePullPolicy: s.imagePullPolicy } : {}),
    // Native sidecar: started before the app containers, stopped after them, restarted on its own.
    restartPolicy: 'Always',
    args: ['connector', '--config', `${CONFIG_DIR}/${SIDECAR_CONFIG_KEY}`, '--secrets-dir', SECRETS_DIR, '--metrics-port', String(port),
      '--subscriptions', names.join(',')],
    ports: [{ name: 'hb-metrics', containerPort: port, protocol: 'TCP' }],
    // The startup probe holds the app containers back until the connector runs (the kubelet starts the
    // next container only once a sidecar's startup probe passes).
    startupProbe: probe('/healthz', 1, 60),
    livenessProbe: probe('/healthz', 20, 3),
    // No readiness probe, unlike the Deployment: a sidecar's readiness is part of the pod's, and the
    // connector's /readyz turns 503 when it loses the receiver — that must not take the application out
    // of its Service's endpoints. Messages wait in the broker meanwhile; CONNECTED shows the loss.
    resources: SIDECAR_RESOURCES,
    securityContext: SIDECAR_SECURITY_CONTEXT,
    volumeMounts: [
      { name: VOLUMES.config, mountPath: CONFIG_DIR, readOnly: true },
      { name: VOLUMES.secrets, mountPath: SECRETS_DIR, readOnly: true },
      { name: VOLUMES.tmp, mountPath: '/tmp' },
    ],
  };
}

export function sidecarVolumes(subs: Subscription[]): Record<string, unknown>[] {
  return [
    { name: VOLUMES.config, configMap: { name: SIDECAR_CONFIG_MAP, items: [{ key: SIDECAR_CONFIG_KEY, path: SIDECAR_CONFIG_KEY }] } },
    // The Deployment's items and paths (connector.ts projectedSecrets), so rotation behaves the same. 0444:
    // without the pod's fsGroup (the application's to choose) 0440 would be unreadable to uid 65532; only
    // this container mounts the volume. Optional, unlike the Deployment's: a Secret deleted between
    // admission and scheduling (its Subscription just went away) must not hold the application's pod in
    // ContainerCreating; the connector waits for a missing token or signing file as it does on rotation.
    { name: VOLUMES.secrets, projected: { defaultMode: 0o444, sources: projectedSecrets(subs).map((p) => ({ secret: { ...p.secret, optional: true } })) } },
    { name: VOLUMES.tmp, emptyDir: { sizeLimit: '64Mi' } },
  ];
}

/** The secret file paths a served Subscription's connector reads (for tests and docs: token and signing). */
export const secretPaths = (s: Subscription): string[] => {
  const ref = s.spec.signing.secretRef ?? { name: signingSecretName(s.metadata.name), key: 'secret' };
  return [secretFilePath(tokenSecretName(s.metadata.name), TOKEN_KEY), secretFilePath(ref.name, ref.key)];
};

/** Append to an array that may be absent (JSON Patch cannot append to a missing array). */
function appendOps(path: string, present: boolean, items: unknown[]): JsonPatchOp[] {
  if (items.length === 0) return [];
  if (!present) return [{ op: 'add', path, value: items }];
  return items.map((value) => ({ op: 'add' as const, path: `${path}/-`, value }));
}

function setMapEntries(path: string, present: boolean, entries: Record<string, string>): JsonPatchOp[] {
  if (Object.keys(entries).length === 0) return [];
  if (!present) return [{ op: 'add', path, value: entries }];
  // `add` on an existing member replaces it (RFC 6902 §4.1), so this is also right for a stale value.
  return Object.entries(entries).map(([k, value]) => ({ op: 'add' as const, path: `${path}/${pointerSegment(k)}`, value }));
}

export function buildInjection(i: InjectionInput): InjectionResult {
  const specPath = i.specPath ?? '/spec';
  const metaPath = i.metadataPath ?? '/metadata';
  const meta = i.pod.metadata ?? {};
  const spec = i.pod.spec ?? {};
  const names = parseInjectAnnotation(meta.annotations?.[INJECT_ANNOTATION]);
  const none: InjectionResult = { patch: [], injected: [], skipped: [], requested: names.length > 0, alreadyInjected: false };
  if (names.length === 0) return none;
  // The apiserver has not validated the pod yet when it calls us: a patch built on a wrong shape could land anywhere.
  for (const k of ['containers', 'initContainers', 'volumes'] as const) {
    if (spec[k] !== undefined && !Array.isArray(spec[k])) throw new Error(`pod spec.${k} is not a list`);
  }
  if (meta.annotations !== undefined && (typeof meta.annotations !== 'object' || meta.annotations === null)) throw new Error('pod metadata.annotations is not a map');
  if ([...(spec.initContainers ?? []), ...(spec.containers ?? [])].some((c) => c?.name === SIDECAR_CONTAINER)) return { ...none, alreadyInjected: true };

  const skipped: Skipped[] = [];
  const served: Subscription[] = [];
  for (const n of names) {
    const r = resolve(n, i.namespace, i.subscriptions);
    if ('reason' in r) skipped.push(r);
    else if (!served.includes(r)) served.push(r);
  }
  if (spec.hostNetwork && served.length > 0) {
    for (const s of served) skipped.push({ subscription: s.metadata.name, reason: SkipReason.HostNetwork, message: `pod uses hostNetwork: localhost is the node, not the pod; Subscription ${s.metadata.name} not injected` });
    served.length = 0;
  }
  served.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

  const annotations: Record<string, string> = {};
  if (skipped.length > 0) annotations[SKIPPED_ANNOTATION] = skipped.map((s) => `${s.subscription}: ${s.reason}`).join(', ');
  const patch: JsonPatchOp[] = [];
  if (served.length > 0) {
    const port = metricsPort(spec, served);
    patch.push(...appendOps(`${specPath}/initContainers`, Array.isArray(spec.initContainers), [sidecarContainer(served, port, i)]));
    patch.push(...appendOps(`${specPath}/volumes`, Array.isArray(spec.volumes), sidecarVolumes(served)));
    annotations[INJECTED_ANNOTATION] = served.map((s) => s.metadata.name).join(',');
    patch.push(...setMapEntries(`${metaPath}/labels`, meta.labels !== undefined, { [SIDECAR_LABEL]: 'true' }));
  }
  patch.push(...setMapEntries(`${metaPath}/annotations`, meta.annotations !== undefined, annotations));
  return { patch, injected: served.map((s) => s.metadata.name), skipped, requested: true, alreadyInjected: false };
}
