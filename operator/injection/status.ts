// What the operator reads back from injected pods, pure (the manager feeds it from a pod informer limited
// to the label hookbridge.io/sidecar=true): how many pods serve each Subscription (`status.sidecars`), and
// which pods asked but were not served (an event per pod and Subscription, for `kubectl describe`).
import { INJECT_ANNOTATION, INJECTED_ANNOTATION, parseInjectAnnotation, SIDECAR_CONTAINER, SKIPPED_ANNOTATION, SkipReason, type Skipped } from './mutation.ts';

export interface PodStatusLike {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; deletionTimestamp?: string };
  status?: {
    phase?: string;
    initContainerStatuses?: { name: string; ready?: boolean; started?: boolean }[];
  };
}

/** The pod's sidecar is running and ready (a native sidecar reports in initContainerStatuses). */
export function sidecarReady(pod: PodStatusLike): boolean {
  if (pod.metadata.deletionTimestamp || pod.status?.phase !== 'Running') return false;
  const s = pod.status.initContainerStatuses?.find((c) => c.name === SIDECAR_CONTAINER);
  return Boolean(s?.ready && s.started !== false);
}

/**
 * `status.sidecars` per Subscription name of a namespace: pods whose sidecar serves it and is ready.
 * Subscriptions no pod serves are absent (the caller writes 0 for sidecar Subscriptions).
 */
export function countSidecars(pods: PodStatusLike[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of pods) {
    if (!sidecarReady(p)) continue;
    for (const name of parseInjectAnnotation(p.metadata.annotations?.[INJECTED_ANNOTATION])) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

const REASONS = new Set<string>(Object.values(SkipReason));

/** The skipped Subscriptions the webhook wrote on a pod (`name: Reason, …`); unknown reasons are dropped. */
export function skippedOf(pod: PodStatusLike): Pick<Skipped, 'subscription' | 'reason'>[] {
  const text = pod.metadata.annotations?.[SKIPPED_ANNOTATION];
  if (!text) return [];
  return text.split(',').map((part) => {
    const i = part.lastIndexOf(':');
    return { subscription: part.slice(0, i).trim(), reason: part.slice(i + 1).trim() as SkipReason };
  }).filter((s) => s.subscription && REASONS.has(s.reason));
}

/**
 * Names the pod asked for and that neither its sidecar serves nor the webhook explained: the webhook was
 * not called (down, timed out: failurePolicy Ignore). explain.ts reports them as `SidecarMissing` events.
 */
export function unexplained(pod: PodStatusLike): string[] {
  const asked = parseInjectAnnotation(pod.metadata.annotations?.[INJECT_ANNOTATION]);
  const served = new Set(parseInjectAnnotation(pod.metadata.annotations?.[INJECTED_ANNOTATION]));
  const skipped = new Set(skippedOf(pod).map((s) => s.subscription));
  return asked.filter((n) => !served.has(n) && !skipped.has(n));
}
