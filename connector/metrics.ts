// The connector rows of docs/metrics.md, exactly. Idempotent per registry, so `hookbridge dev` (receiver
// and connector in one process, one registry) and several startConnector calls share the same series.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../shared/metrics.ts';

const SUB = ['namespace', 'subscription'] as const;
const STREAM = ['namespace', 'channel', 'subscription'] as const;

export interface ConnectorMetrics {
  attempts: Counter<'namespace' | 'subscription' | 'outcome' | 'code_class'>;
  duration: Histogram<'namespace' | 'subscription' | 'code_class'>;
  retries: Counter<'namespace' | 'subscription'>;
  inFlight: Gauge<'namespace' | 'subscription'>;
  circuit: Gauge<'namespace' | 'subscription'>;
  connected: Gauge<'namespace' | 'channel' | 'subscription'>;
  reconnects: Counter<'namespace' | 'channel' | 'subscription'>;
}

const cache = new WeakMap<Registry, ConnectorMetrics>();

export function connectorMetrics(registry: Registry): ConnectorMetrics {
  const hit = cache.get(registry);
  if (hit) return hit;
  const registers = [registry];
  const m: ConnectorMetrics = {
    attempts: new Counter({ name: 'hookbridge_delivery_attempts_total', help: 'Delivery attempts (one per HTTP request) by outcome and status code class.', labelNames: [...SUB, 'outcome', 'code_class'] as const, registers }),
    duration: new Histogram({ name: 'hookbridge_delivery_duration_seconds', help: 'Destination request latency.', labelNames: [...SUB, 'code_class'] as const, buckets: LATENCY_BUCKETS, registers }),
    retries: new Counter({ name: 'hookbridge_delivery_retries_total', help: 'Attempts handed back to the broker for a later retry.', labelNames: SUB, registers }),
    inFlight: new Gauge({ name: 'hookbridge_deliveries_in_flight', help: 'Deliveries running now.', labelNames: SUB, registers }),
    circuit: new Gauge({ name: 'hookbridge_circuit_state', help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', labelNames: SUB, registers }),
    connected: new Gauge({ name: 'hookbridge_connector_connected', help: '1 while the connector stream is up.', labelNames: STREAM, registers }),
    reconnects: new Counter({ name: 'hookbridge_connector_reconnects_total', help: 'Stream (re)connect attempts after the first.', labelNames: STREAM, registers }),
  };
  cache.set(registry, m);
  return m;
}
