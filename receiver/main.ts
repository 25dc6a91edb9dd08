// `hookbridge receiver`: wiring only — flags, logger, registry, buffer, startReceiver, one config source
// (manifest files or Kubernetes), graceful shutdown on SIGTERM/SIGINT (untilSignal).
import fs from 'node:fs';
import { parseFlags, usage, UsageError } from '../shared/process/flags.ts';
import { keyOf } from '../shared/config.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createRegistry } from '../shared/metrics.ts';
import { untilSignal } from '../shared/process/signals.ts';
import { parseBrokerUrls } from './buffer/rabbitmq/urls.ts';
import type { MessageBuffer } from './buffer/types.ts';
import { ManifestSource } from './config/file-source.ts';
import type { KubeConfigSource } from './config/kube.ts';
import type { SubscriptionToken } from './config/manifests.ts';
import { parseTrustedProxies } from './client-address.ts';
import { startReceiver } from './server.ts';
import { DEFAULT_HISTORY_MAX_BYTES } from './buffer/history.ts';
import { DEFAULT_CHANNELS_PER_CONNECTION } from './buffer/rabbitmq/consumer-connections.ts';

const FLAGS = {
  port: { type: 'number', default: 8080, help: 'HTTP port for ingest, streams, admin, probes and metrics' },
  host: { type: 'string', help: 'Address to listen on (default: all)' },
  file: { type: 'list', short: 'f', help: 'Manifest file or folder (WebhookChannel, Subscription, Secret YAML); repeatable' },
  buffer: { type: 'string', help: 'rabbitmq or memory (default rabbitmq when --rabbitmq-url is given, else memory)' },
  'rabbitmq-url': { type: 'string', help: 'amqp(s)://user:pass@host:5672/vhost; for a cluster, each node\'s URL, comma-separated (the receiver moves to the next when one goes)' },
  'rabbitmq-channels-per-connection': {
    type: 'number',
    default: DEFAULT_CHANNELS_PER_CONNECTION,
    help: 'Most stream consumers (one AMQP channel each) on one RabbitMQ connection; more streams open more connections, and the broker\'s channel_max (2047 by default) caps it too',
  },
  'admin-token': { type: 'string', help: 'Bearer token for /admin/webhook-connect (admin API disabled without one)' },
  'admin-token-file': { type: 'string', help: 'File holding the admin token' },
  'kube-namespace': { type: 'string', help: 'Read channel configs from labelled Secrets in this namespace (operator mode)' },
  kubeconfig: { type: 'string', help: 'Kubeconfig path (default: $KUBECONFIG, ~/.kube/config or in-cluster)' },
  'trusted-proxies': {
    type: 'list',
    help: 'CIDRs (IPv4 or IPv6, comma-separated or repeated) of the proxies in front of the receiver, e.g. the ingress controller\'s pod range. '
      + 'From these peers the client address is the rightmost X-Forwarded-For hop that is not a trusted proxy; from any other peer the header is ignored',
  },
  'stream-read-ahead': {
    type: 'number',
    help: 'Messages each stream reads from RabbitMQ ahead of its window, so the next one goes out as soon as an ack frees a slot (default 2 x window, at most 64; 0 = off). '
      + 'When a stream ends they go back with their delivery count one higher, like the messages it held',
  },
  'history-max-bytes': {
    type: 'number',
    default: DEFAULT_HISTORY_MAX_BYTES,
    help: 'Memory budget of the message history index (the admin API\'s messages; oldest dropped first): it bounds the receiver\'s heap under load. The chart sets the memory limit from it',
  },
  'log-level': { type: 'string', default: 'info', help: 'trace, debug, info, warn, error' },
  help: { type: 'boolean', short: 'h', help: 'Show this help' },
} as const;

const SUMMARY = 'public ingest + connector streams on RabbitMQ (or memory)';

export async function run(argv: string[]): Promise<void> {
  if (argv.some((a) => /^--trust-proxy(=|$)/.test(a)) || process.env.HOOKBRIDGE_TRUST_PROXY !== undefined) {
    throw new UsageError('--trust-proxy (HOOKBRIDGE_TRUST_PROXY) was replaced by --trusted-proxies CIDR[,CIDR...] (HOOKBRIDGE_TRUSTED_PROXIES)');
  }
  const f = parseFlags(FLAGS, argv);
  if (f.help) { process.stdout.write(usage('receiver', SUMMARY, FLAGS)); return; }
  if (f.file.length > 0 && f['kube-namespace']) throw new UsageError('give either -f/--file or --kube-namespace, not both');
  if (f.file.length === 0 && !f['kube-namespace']) throw new UsageError('give -f/--file (manifests) or --kube-namespace (operator mode)');
  const kind = f.buffer ?? (f['rabbitmq-url'] ? 'rabbitmq' : 'memory');
  if (kind !== 'rabbitmq' && kind !== 'memory') throw new UsageError(`--buffer must be rabbitmq or memory, got ${JSON.stringify(kind)}`);
  if (kind === 'rabbitmq' && !f['rabbitmq-url']) throw new UsageError('--buffer rabbitmq needs --rabbitmq-url');
  if (kind === 'rabbitmq') {
    try { parseBrokerUrls(f['rabbitmq-url'] as string); } catch (err) { throw new UsageError(`--rabbitmq-url: ${(err as Error).message}`); }
  }
  const adminToken = f['admin-token'] ?? readTokenFile(f['admin-token-file']);
  const trustedProxies = trustedCidrs(f['trusted-proxies']);

  const logger = createLogger({ name: 'receiver', level: f['log-level'] });
  const buffer = await createBuffer(kind, f['rabbitmq-url'], { historyMaxBytes: historyMaxBytes(f['history-max-bytes']), channelsPerConnection: channelsPerConnection(f['rabbitmq-channels-per-connection']) }, logger);
  if (kind === 'memory') logger.warn('memory buffer: messages do not survive a restart (use --rabbitmq-url for production)');
  let kube: KubeConfigSource | undefined;
  const rx = await startReceiver({
    buffer, port: f.port, host: f.host, adminToken, logger, registry: createRegistry(), trustedProxies,
    awaitBuffer: false, readinessChecks: () => kube?.readiness() ?? [],
    ...(f['kube-namespace'] && { configSource: { following: () => kube?.following() ?? false, describe: () => kube?.describe() ?? { source: 'kubernetes', watch: 'down' } } }),
    ...(f['stream-read-ahead'] !== undefined && { streamReadAhead: readAhead(f['stream-read-ahead']) }),
  });

  let files: ManifestSource | undefined;
  if (f['kube-namespace']) {
    // Loaded only in operator mode: @kubernetes/client-node (its generated API, all of it) costs tens of MiB
    // of heap that a receiver reading manifest files never uses.
    const { KubeConfigSource } = await import('./config/kube.ts');
    kube = new KubeConfigSource({ namespace: f['kube-namespace'], kubeconfig: f.kubeconfig, apply: rx.applyConfig, logger });
    // start() itself waits through a failing apiserver (the informer retries); a rejection is a bug, not an outage.
    kube.start().catch((err: Error) => logger.error({ err: err.message }, 'kubernetes config source failed'));
  } else {
    files = new ManifestSource({ paths: f.file, apply: rx.applyConfig, logger, onMinted: (t) => printMinted(t, rx.url, f.file) });
    try {
      await files.start();
    } catch (err) {
      await rx.close();
      await buffer.close();
      throw new UsageError(`reading manifests: ${(err as Error).message}`);
    }
  }

  await untilSignal(async (signal) => {
    logger.info({ signal }, 'shutting down: no new requests, streams closed with 1001, in-flight messages released');
    files?.close();
    await kube?.stop().catch(() => {});
    await rx.close();
    await buffer.close().catch((err: Error) => logger.warn({ err: err.message }, 'closing the buffer failed'));
  }, { secondSignalExitCode: 1, onSecondSignal: (signal) => logger.warn({ signal }, 'second signal: exiting now') });
}

async function createBuffer(kind: 'rabbitmq' | 'memory', url: string | undefined, o: { historyMaxBytes: number; channelsPerConnection: number }, logger: Logger): Promise<MessageBuffer> {
  if (kind === 'memory') {
    const { MemoryBuffer } = await import('./buffer/memory/index.ts');
    return new MemoryBuffer({ history: { maxBytes: o.historyMaxBytes } });
  }
  const { RabbitBuffer } = await import('./buffer/rabbitmq/index.ts');
  return new RabbitBuffer({ url: url as string, logger, history: { maxBytes: o.historyMaxBytes }, channelsPerConnection: o.channelsPerConnection });
}

function historyMaxBytes(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1024 * 1024) throw new UsageError(`--history-max-bytes must be a whole number of bytes, at least 1048576 (1 MiB), got ${n}`);
  return n;
}

function channelsPerConnection(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new UsageError(`--rabbitmq-channels-per-connection must be a whole number from 1 to 65535, got ${n}`);
  return n;
}

function trustedCidrs(values: string[]): readonly string[] {
  try { return parseTrustedProxies(values).cidrs; } catch (err) { throw new UsageError(`--trusted-proxies: ${(err as Error).message}`); }
}

function readAhead(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new UsageError(`--stream-read-ahead must be a whole number from 0 to 10000, got ${n}`);
  return n;
}

function readTokenFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    throw new UsageError(`--admin-token-file: ${(err as Error).message}`);
  }
}

/**
 * The one place a token is shown: once, on stderr, as the command a person runs next. `--subscription`
 * with the same manifests makes `listen` sign with the Subscription's own secret and retry policy, so a
 * destination that verifies with that secret (examples/: `hookbridge echo --secret …`) accepts it.
 */
function printMinted(t: SubscriptionToken, receiverUrl: string, paths: string[]): void {
  const sub = keyOf(t.subscription);
  const files = paths.map((p) => `-f ${/^[\w./-]+$/.test(p) ? p : JSON.stringify(p)}`).join(' ');
  process.stderr.write(
    `\nhookbridge: no ${t.subscription.name}-hookbridge-token Secret in the manifests, so subscription ${sub} got a new stream token.\n`
    + 'It is shown only this once (add the Secret to keep a token across restarts). Connect with:\n\n'
    + `  hookbridge listen --receiver ${receiverUrl} --subscription ${sub} ${files} --token ${t.token}${t.destination ? '' : ' --forward-to <url>'}\n\n`,
  );
}
