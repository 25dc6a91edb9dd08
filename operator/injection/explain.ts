// Why a pod that asked for a sidecar has none, as events (`kubectl describe pod` and `kubectl describe
// whsub` show them). The webhook cannot record them itself: at admission a pod has no uid yet (and a dry
// run never becomes a pod at all), so the leader looks at the pods afterwards. Pure: which events a pod
// calls for; the scan that feeds it lives in the manager.
import { INJECT_ANNOTATION, parseInjectAnnotation, SkipReason } from './mutation.ts';
import { skippedOf, unexplained, type PodStatusLike } from './status.ts';

export interface PodExplanation {
  reason: 'SidecarSkipped' | 'SidecarMissing';
  /** The Subscription named by the pod (plain name in the pod's namespace, or `ns/name` as written). */
  subscription: string;
  note: string;
}

const WHY: Record<SkipReason, string> = {
  UnknownSubscription: 'no Subscription of that name in this namespace',
  OtherNamespace: 'a sidecar serves only Subscriptions of its own pod\'s namespace',
  NotSidecarMode: 'the Subscription has no destination.sidecar: the namespace connector delivers it',
  NotBound: 'the Subscription is not bound to its channel (see its ChannelBound condition)',
  NotReady: 'the Subscription\'s token or signing Secret was not issued yet, or it was being deleted',
  HostNetwork: 'the pod uses hostNetwork, where localhost is the node',
};

/** The events one pod calls for: one per Subscription it asked for and did not get. */
export function explainPod(pod: PodStatusLike): PodExplanation[] {
  if (parseInjectAnnotation(pod.metadata.annotations?.[INJECT_ANNOTATION]).length === 0) return [];
  const out: PodExplanation[] = skippedOf(pod).map((s) => ({
    reason: 'SidecarSkipped' as const, subscription: s.subscription,
    note: `No sidecar for Subscription ${s.subscription}: ${s.reason}: ${WHY[s.reason]}. Fix it, then delete the pod (or roll its Deployment): injection happens only when a pod is created.`,
  }));
  for (const name of unexplained(pod)) {
    out.push({
      reason: 'SidecarMissing', subscription: name,
      note: `No sidecar for Subscription ${name}: the injection webhook did not answer when the pod was created (operator down, not yet serving a trusted certificate, or timed out; failurePolicy Ignore lets the pod start anyway). Delete the pod (or roll its Deployment) once the operator runs.`,
    });
  }
  return out;
}
