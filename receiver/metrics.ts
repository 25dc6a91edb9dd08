// The receiver rows of docs/metrics.md, exactly. Counters and histograms are updated on the hot path through
// label children cached per channel/subscription; queue gauges are filled on scrape from buffer.stats (one
// sample per scrape window shared by every gauge) so an idle receiver does no broker work.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../shared/metrics.ts';
import type { QueueStats } from './buffer/types.ts';

const CH = ['namespace', 'channel'] as const;
const SUB = ['namespace', 'channel', 'subscription'] as const;

export type IngestOutcome = 'accepted' | 'channel_not_found' | 'invalid_signature' | 'payload_too_large' | 'rate_limited' | 'queue_full' | 'buffer_error' | 'bad_request';
export type StreamOutcome = 'accepted' | 'invalid_token' | 'channel_not_found' | 'max_connections' | 'not_bound';

/** One subscription queue as the scrape sees it. */
export interface QueueSample { namespace: string; channel: string; subscription: string; maxQueueSize: number; connected: number; stats?: QueueStats }

export interface ReceiverMetrics {
  ingestRequests: Counter<'namespace' | 'channel' | 'outcome'>;
  ingestDuration: Histogram<'namespace' | 'channel'>;
  publishConfirmDuration: Histogram<'namespace' | 'channel'>;
  deadLetteredTotal: Counter<'namespace' | 'channel' | 'subscription' | 'reason'>;
  streamConnections: Counter<'namespace' | 'channel' | 'subscription' | 'outcome'>;
  streamDisconnects: Counter<'namespace' | 'channel' | 'subscription'>;
  redeliveries: Counter<'namespace' | 'channel' | 'subscription' | 'reason'>;
  endToEndDuration: Histogram<'namespace' | 'channel' | 'subscription'>;
  authFailures: Counter<'purpose' | 'outcome'>;
}

export interface ScrapeSources {
  bufferConnected(): boolean;
  /** The configuration source is followed now (false: a Kubernetes watch that is down; the last configuration serves). */
  configSourceUp(): boolean;
  bufferBlocked(): boolean;
  /** Every configured subscription queue with its stats (undefined when the buffer could not answer). */
  sampleQueues(): Promise<QueueSample[]>;
}

/** How long one queue sample serves every gauge (a scrape reads five gauges). */
const SAMPLE_TTL_MS = 1000;

export function createReceiverMetrics(registry: Registry, sources: ScrapeSources): ReceiverMetrics {
  const registers = [registry];
  let sample: { at: number; value: Promise<QueueSample[]> } | undefined;
  const queues = (): Promise<QueueSample[]> => {
    const now = Date.now();
    if (!sample || now - sample.at > SAMPLE_TTL_MS) sample = { at: now, value: sources.sampleQueues().catch(() => []) };
    return sample.value;
  };
  const queueGauge = (name: string, help: string, pick: (q: QueueSample) => number | undefined): Gauge =>
    new Gauge({
      name, help, labelNames: SUB, registers,
      async collect() {
        const all = await queues();
        this.reset();
        for (const q of all) {
          const v = pick(q);
          if (v !== undefined) this.set({ namespace: q.namespace, channel: q.channel, subscription: q.subscription }, v);
        }
      },
    });

  new Gauge({
    name: 'hookbridge_buffer_connected', help: '1 when every buffer (RabbitMQ) connection is up: main, publishing and each consumer connection', registers,
    collect() { this.set(sources.bufferConnected() ? 1 : 0); },
  });
  new Gauge({
    name: 'hookbridge_config_source_up', help: '1 while the configuration source is followed (0: the Kubernetes watch is down; the last configuration serves)', registers,
    collect() { this.set(sources.configSourceUp() ? 1 : 0); },
  });
  new Gauge({
    name: 'hookbridge_buffer_blocked', help: '1 while RabbitMQ blocks publishing (memory or disk alarm); ingest answers 503 buffer_error', registers,
    collect() { this.set(sources.bufferBlocked() ? 1 : 0); },
  });
  queueGauge('hookbridge_queue_messages', 'Backlog: messages queued (incl. waiting retries)', (q) => q.stats?.messagesQueued);
  queueGauge('hookbridge_queue_max_messages', "The channel's maxQueueSize", (q) => q.maxQueueSize);
  queueGauge('hookbridge_queue_oldest_message_age_seconds', 'Age of the oldest queued message', (q) => q.stats?.oldestMessageAgeSeconds);
  queueGauge('hookbridge_messages_in_flight', 'Handed to a connector, not yet acked', (q) => q.stats?.messagesInFlight);
  queueGauge('hookbridge_dead_letters', 'Messages in the dead-letter queue now', (q) => q.stats?.deadLettered);
  queueGauge('hookbridge_connected_connectors', 'Open connector streams', (q) => q.connected);

  return {
    ingestRequests: new Counter({ name: 'hookbridge_ingest_requests_total', help: 'POST /webhook answers by outcome', labelNames: [...CH, 'outcome'] as const, registers }),
    ingestDuration: new Histogram({ name: 'hookbridge_ingest_duration_seconds', help: 'Request received to answer sent', labelNames: CH, buckets: LATENCY_BUCKETS, registers }),
    publishConfirmDuration: new Histogram({ name: 'hookbridge_publish_confirm_duration_seconds', help: 'Publish to broker confirm', labelNames: CH, buckets: LATENCY_BUCKETS, registers }),
    deadLetteredTotal: new Counter({ name: 'hookbridge_dead_lettered_total', help: 'Messages moved to the dead-letter queue', labelNames: [...SUB, 'reason'] as const, registers }),
    streamConnections: new Counter({ name: 'hookbridge_stream_connections_total', help: 'Stream attempts by outcome', labelNames: [...SUB, 'outcome'] as const, registers }),
    streamDisconnects: new Counter({ name: 'hookbridge_stream_disconnects_total', help: 'Streams that ended', labelNames: SUB, registers }),
    redeliveries: new Counter({ name: 'hookbridge_redeliveries_total', help: 'Messages returned to the queue', labelNames: [...SUB, 'reason'] as const, registers }),
    authFailures: new Counter({ name: 'hookbridge_auth_failures_total', help: 'Failed credentials by purpose; outcome rejected (401) or limited (429)', labelNames: ['purpose', 'outcome'] as const, registers }),
    endToEndDuration: new Histogram({ name: 'hookbridge_end_to_end_duration_seconds', help: 'Ingest to connector ack', labelNames: SUB, buckets: LATENCY_BUCKETS, registers }),
  };
}

/** Constant label value for a dead-letter reason given by a connector in free text. */
export function deadReasonLabel(reason: string): string {
  if (/max[ _-]?attempts/i.test(reason)) return 'max_attempts';
  if (/^410\b|gone/i.test(reason)) return 'gone';
  return 'rejected';
}
