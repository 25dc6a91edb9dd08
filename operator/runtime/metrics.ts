// The operator rows of docs/metrics.md, on the process's one registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface OperatorMetrics {
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  queueDepth: Gauge<'controller'>;
  leader: Gauge;
  tokenAge: Gauge<'namespace' | 'subscription'>;
  tokenNextRotation: Gauge<'namespace' | 'subscription'>;
  /** Current tokens by `ns/name`; the token gauges are computed from it at scrape time. */
  tokens: Map<string, TokenTimes>;
  /** Work queue lengths by controller; the depth gauge reads them at scrape time. */
  queues: Map<string, () => number>;
  /** Sidecar injection: admission reviews of pods that asked, by result (injected, skipped, unchanged). */
  sidecarAdmissions: Counter<'result'>;
  /** Sidecar injection: notAfter of the certificate this replica serves (unix seconds). */
  webhookCertificateExpiry: Gauge;
}

export interface TokenTimes { namespace: string; subscription: string; rotatedAt: number; nextRotationAt: number }

export function createOperatorMetrics(registry: Registry, now: () => number = Date.now): OperatorMetrics {
  const registers = [registry];
  const tokens = new Map<string, TokenTimes>();
  const queues = new Map<string, () => number>();
  return {
    tokens,
    queues,
    reconcileTotal: new Counter({ name: 'hookbridge_reconcile_total', help: 'Reconciles by controller and result (success, error, requeue).', labelNames: ['controller', 'result'] as const, registers }),
    reconcileErrors: new Counter({ name: 'hookbridge_reconcile_errors_total', help: 'Failed reconciles.', labelNames: ['controller'] as const, registers }),
    reconcileDuration: new Histogram({ name: 'hookbridge_reconcile_duration_seconds', help: 'Duration of one reconcile.', labelNames: ['controller'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    queueDepth: new Gauge({
      name: 'hookbridge_workqueue_depth', help: 'Keys waiting in the work queue.', labelNames: ['controller'] as const, registers,
      collect() { for (const [controller, length] of queues) this.set({ controller }, length()); },
    }),
    sidecarAdmissions: new Counter({ name: 'hookbridge_sidecar_admissions_total', help: 'Admission reviews of pods that asked for a connector sidecar, by result: injected (at least one Subscription served), skipped (none served, reasons on the pod), unchanged (already injected).', labelNames: ['result'] as const, registers }),
    webhookCertificateExpiry: new Gauge({ name: 'hookbridge_webhook_certificate_expiry_timestamp_seconds', help: 'When the injection webhook certificate this replica serves expires (unix seconds).', registers }),
    leader: new Gauge({ name: 'hookbridge_leader', help: '1 on the instance holding the leader lease.', registers }),
    tokenAge: new Gauge({
      name: 'hookbridge_token_age_seconds', help: 'Age of the subscription\'s current token.', labelNames: ['namespace', 'subscription'] as const, registers,
      collect() {
        this.reset();
        for (const t of tokens.values()) this.set({ namespace: t.namespace, subscription: t.subscription }, Math.max(0, (now() - t.rotatedAt) / 1000));
      },
    }),
    tokenNextRotation: new Gauge({
      name: 'hookbridge_token_next_rotation_timestamp_seconds', help: 'When the subscription\'s next token rotation is due (unix seconds).', labelNames: ['namespace', 'subscription'] as const, registers,
      collect() {
        this.reset();
        for (const t of tokens.values()) this.set({ namespace: t.namespace, subscription: t.subscription }, t.nextRotationAt / 1000);
      },
    }),
  };
}
