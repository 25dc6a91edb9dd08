// When a connector answers /readyz with 200. Readiness is what `kubectl rollout status` waits for and
// what makes the operator report a Subscription's connector as Available, so it should say "this
// connector can deliver", not merely "the process is up" (it was hard-coded true).
//
// Ready when the configuration is loaded and at least one subscription's stream is either connected or
// still making its first connection. The first connection counts as ready so a rollout is not held up
// by a receiver that is slow to answer (the pod cannot do better by being restarted or replaced); a
// stream that was connected and lost its receiver counts as not ready, so a connector cut off from
// every receiver shows up as NotReady once the kubelet's failureThreshold (3 × 10 s) has passed, which
// also absorbs the brief reconnect of a receiver rollout. A connector with no subscriptions (its
// ConfigMap emptied, about to be removed) has nothing to wait for and is ready. One stream suffices:
// subscriptions fail independently (a revoked token, a channel not bound yet) and readiness is per pod.

/** Where one subscription's stream is: its first connection, up, or down after having been up. */
export type StreamPhase = 'connecting' | 'connected' | 'reconnecting';

/** The reasons the connector is not ready (none = ready), from its streams' phases. Pure. */
export function connectorReadiness(phases: readonly StreamPhase[], closing = false): string[] {
  if (closing) return ['shutting down'];
  if (phases.length === 0 || phases.some((p) => p !== 'reconnecting')) return [];
  return [`no stream connected: ${phases.length === 1 ? 'the stream is' : `all ${phases.length} streams are`} reconnecting`];
}
