// `hookbridge connector --config FILE --secrets-dir DIR [--metrics-port 9091]`: wiring only. Readiness: readiness.ts.
// The config is the ConnectorConfig JSON the operator writes into the connector ConfigMap; it is
// re-read when it changes (ConfigMap volumes are swapped like Secrets), and a bad update is refused.
// --receiver-url replaces the config's receiverUrl, at start and on every re-read (a cluster's config
// run from a laptop, or through a different ingress). --subscriptions narrows the config to the named
// Subscriptions, also on every re-read (a sidecar: operator/injection).
import { parseFlags, usage, UsageError, type FlagSpec } from '../shared/process/flags.ts';
import { createLogger } from '../shared/logger.ts';
import { createRegistry } from '../shared/metrics.ts';
import type { ConnectorConfig } from '../shared/config.ts';
import { ConnectorConfigSchema } from '../shared/config/connector.ts';
import { startProbeServer } from '../shared/process/probes.ts';
import { untilSignal } from '../shared/process/signals.ts';
import { loadConnectorConfig } from './config.ts';
import { startConnector, type RunningConnector } from './connector.ts';
import { narrowToSubscriptions, parseSubscriptionList } from './sidecar.ts';
import { WatchedFile } from './watched-file.ts';

const FLAGS = {
  config: { type: 'string', help: 'ConnectorConfig JSON file (the ConfigMap\'s config.json)' },
  'secrets-dir': { type: 'string', help: 'directory the token and signing-secret paths in the config are relative to' },
  'receiver-url': { type: 'string', help: 'receiver base URL to dial instead of the config file\'s receiverUrl' },
  'metrics-port': { type: 'number', default: 9091, help: 'port for /metrics, /healthz and /readyz (0 = any)' },
  'metrics-host': { type: 'string', default: '0.0.0.0', help: 'address the metrics server binds' },
  'shutdown-timeout': { type: 'number', default: 20, help: 'seconds in-flight deliveries get to finish on SIGTERM' },
  'forbid-loopback': { type: 'boolean', default: false, help: 'refuse destinations that resolve to loopback addresses' },
  subscriptions: { type: 'string', help: 'serve only these Subscriptions of the config (comma-separated names): a sidecar reads its namespace\'s sidecar config' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies FlagSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(FLAGS, argv);
  if (f.help) { process.stdout.write(usage('connector', 'dial out to the receiver and deliver to destinations', FLAGS)); return; }
  if (!f.config) throw new UsageError('--config FILE is required');
  if (!f['secrets-dir']) throw new UsageError('--secrets-dir DIR is required');
  const receiverUrl = f['receiver-url'];
  if (receiverUrl !== undefined && !ConnectorConfigSchema.shape.receiverUrl.safeParse(receiverUrl).success) {
    throw new UsageError('--receiver-url must be an absolute http(s) or ws(s) URL');
  }
  const only = f.subscriptions === undefined ? undefined : parseSubscriptionList(f.subscriptions);
  const logger = createLogger({ name: 'connector' });
  const load = async (): Promise<ConnectorConfig> => {
    let c = await loadConnectorConfig(f.config as string);
    if (only) {
      const n = narrowToSubscriptions(c, only);
      if (n.missing.length > 0) logger.warn({ subscriptions: n.missing }, 'named by --subscriptions but not in the config (yet): not served');
      c = n.config;
    }
    return receiverUrl ? { ...c, receiverUrl } : c;
  };

  const registry = createRegistry();
  // Up before the configuration is read, so /healthz answers and /readyz says why it is not ready yet.
  let connector: RunningConnector | undefined;
  const metrics = await startProbeServer({
    registry, port: f['metrics-port'], host: f['metrics-host'],
    readiness: () => connector?.readiness() ?? ['configuration not loaded'],
  });
  logger.info({ metricsPort: metrics.port }, 'metrics server listening');
  try {
    const config = await load();
    if (receiverUrl) logger.info({ receiver: receiverUrl }, 'receiver URL from --receiver-url (the config file\'s receiverUrl is ignored)');
    connector = await startConnector({ config, secretsDir: f['secrets-dir'], logger, registry, allowLoopback: !f['forbid-loopback'] });
  } catch (err) {
    await metrics.close();
    throw err;
  }
  const running = connector;

  const watched = new WatchedFile(f.config, { pollMs: 10_000 });
  await watched.read();
  watched.onChange(() => {
    load()
      .then((next) => { logger.info({ subscriptions: next.subscriptions.length }, 'config changed: applying'); return running.update(next); })
      .catch((err: Error) => logger.error({ err: err.message }, 'config change refused; keeping the running configuration'));
  });
  watched.start();

  await untilSignal(async (signal) => {
    logger.info({ signal }, 'shutting down');
    watched.stop();
    await running.close(f['shutdown-timeout'] * 1000);
    await metrics.close();
  });
}
