// One prom-client registry per process; every metric is `hookbridge_*`, base units, `_total` counters,
// low-cardinality labels only (namespace, channel, subscription, outcome, code class — never ids/URLs).
import { Registry, collectDefaultMetrics } from 'prom-client';

// prom-client's default metrics are already named process_* and nodejs_*, so the prefix is only `hookbridge_`
// (it was `hookbridge_process_`, which gave hookbridge_process_process_cpu_seconds_total).
export const DEFAULT_METRICS_PREFIX = 'hookbridge_';

export function createRegistry(opts: { defaults?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: DEFAULT_METRICS_PREFIX });
  return registry;
}

/** "2xx", "4xx", "5xx", or "none" for network errors and timeouts. */
export const codeClass = (status: number | undefined): string =>
  status === undefined || status <= 0 ? 'none' : `${Math.floor(status / 100)}xx`;

/** Latency buckets in seconds, from 1 ms to 60 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
