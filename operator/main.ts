// `hookbridge operator`: flags → startOperator; SIGTERM/SIGINT stop it gracefully.
import { isIP } from 'node:net';
import fs from 'node:fs';
import { parseFlags, usage, UsageError, type FlagSpec } from '../shared/process/flags.ts';
import { createLogger } from '../shared/logger.ts';
import { untilSignal } from '../shared/process/signals.ts';
import { PRIVATE_RANGES } from '../shared/destinations.ts';
import { startOperator } from './manager.ts';
import type { InjectionOptions } from './injection/injector.ts';
import { PULL_POLICIES, type PullPolicy } from './controllers/connector/resources/connector.ts';

/** The package version: the default connector image is the release's own. */
const VERSION = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const spec = {
  kubeconfig: { type: 'string', help: 'kubeconfig file; in-cluster service account when absent' },
  namespaces: { type: 'list', help: 'namespaces to watch, comma-separated; all when absent' },
  'receiver-namespace': { type: 'string', help: 'namespace of the receiver (its config Secrets go there); default: the operator\'s namespace' },
  'public-url': { type: 'string', help: 'public base URL of the receiver, e.g. https://hooks.example.com' },
  'receiver-url': { type: 'string', help: 'in-cluster receiver URL (admin API for status; connectors dial it unless --connector-receiver-url)' },
  'receiver-service': {
    type: 'string',
    help: 'receiver Service in --receiver-namespace: every ready endpoint in its EndpointSlices is asked for channel stats and the answers combined (each receiver knows only its own streams); without it, only --receiver-url is asked',
  },
  'receiver-admin-token-file': { type: 'string', help: 'file holding the receiver admin bearer token' },
  'connector-receiver-url': { type: 'string', help: 'receiver URL written into connector configs (default --receiver-url)' },
  'connector-image': { type: 'string', default: `ghcr.io/hookbridge/hookbridge:${VERSION}`, help: 'image of the per-namespace connector Deployments' },
  'connector-image-pull-policy': { type: 'string', help: 'imagePullPolicy of the connector Deployments: Always, IfNotPresent or Never (default: Kubernetes\' default for the tag)' },
  'destination-allow': { type: 'list', help: `destinations connectors may use besides their namespace's Services: host names, *.domain, CIDRs (default ${PRIVATE_RANGES.join(',')}; "none" for Services only)` },
  'connector-allow-loopback': { type: 'boolean', help: 'do not pass --forbid-loopback to connectors (only for connectors run outside a pod, e.g. tests)' },
  'metrics-port': { type: 'number', default: 8081, help: 'port of /healthz, /readyz and /metrics' },
  'leader-elect': { type: 'boolean', help: 'elect a leader through a Lease (run several replicas)' },
  'leader-elect-namespace': { type: 'string', help: 'namespace of the Lease (default: the operator\'s namespace)' },
  'lease-duration': { type: 'number', default: 15, help: 'seconds a leader holds the Lease without renewing' },
  'stats-interval': { type: 'number', default: 30, help: 'seconds between polls of the receiver\'s channel stats' },
  'sidecar-injection': { type: 'boolean', help: 'serve the connector sidecar injection webhook (every replica) and keep its certificate and caBundle (the leader)' },
  'webhook-port': { type: 'number', default: 9443, help: 'HTTPS port of the injection webhook' },
  'webhook-service': { type: 'string', help: 'the webhook\'s Service in the operator\'s namespace (its names go into the serving certificate); required with --sidecar-injection' },
  'webhook-configuration': { type: 'string', help: 'the MutatingWebhookConfiguration whose caBundle the operator keeps; required with --sidecar-injection' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} satisfies FlagSpec;

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(spec, argv);
  if (f.help) { process.stdout.write(usage('operator', 'reconcile WebhookChannel and Subscription resources', spec)); return; }
  const ownNamespace = process.env.POD_NAMESPACE;
  const receiverNamespace = f['receiver-namespace'] ?? ownNamespace;
  if (!receiverNamespace) throw new UsageError('--receiver-namespace is required outside a pod (POD_NAMESPACE unset)');
  if (!f['public-url']) throw new UsageError('--public-url is required');
  const pullPolicy = f['connector-image-pull-policy'];
  if (pullPolicy !== undefined && !(PULL_POLICIES as readonly string[]).includes(pullPolicy)) {
    throw new UsageError(`--connector-image-pull-policy must be one of ${PULL_POLICIES.join(', ')}, got ${JSON.stringify(pullPolicy)}`);
  }
  const sidecarInjection = injectionOptions(f, ownNamespace ?? receiverNamespace);
  const receiverUrl = f['receiver-url'];
  const connectorReceiverUrl = f['connector-receiver-url'] ?? receiverUrl ?? f['public-url'];
  const logger = createLogger({ name: 'operator' });
  const leaseSeconds = f['lease-duration'];
  const operator = await startOperator({
    kubeconfig: f.kubeconfig,
    namespaces: f.namespaces,
    receiverNamespace,
    publicUrl: f['public-url'],
    receiverUrl,
    receiverService: f['receiver-service'],
    receiverAdminTokenFile: f['receiver-admin-token-file'],
    connectorReceiverUrl,
    connectorImage: f['connector-image'],
    destinationAllow: destinationAllow(f['destination-allow']),
    connectorAllowLoopback: f['connector-allow-loopback'],
    connectorImagePullPolicy: pullPolicy as PullPolicy | undefined,
    metricsPort: f['metrics-port'],
    leaderElect: f['leader-elect'],
    leaseNamespace: f['leader-elect-namespace'] ?? ownNamespace ?? receiverNamespace,
    leaseDurationMs: leaseSeconds * 1000,
    renewDeadlineMs: leaseSeconds * 1000 * (2 / 3),
    retryPeriodMs: Math.max(200, leaseSeconds * 1000 * (2 / 15)),
    statsIntervalMs: f['stats-interval'] * 1000,
    sidecarInjection,
    logger,
    onFatal: (reason) => { logger.error({ reason }, 'exiting'); void operator.stop().finally(() => process.exit(1)); },
  });
  await untilSignal(async (signal) => {
    logger.info({ signal }, 'shutting down');
    await operator.stop();
  });
}

/** The webhook's settings, or undefined without --sidecar-injection; the Service and configuration names are then required. */
export function injectionOptions(f: { 'sidecar-injection'?: boolean; 'webhook-port': number; 'webhook-service'?: string; 'webhook-configuration'?: string }, namespace: string): InjectionOptions | undefined {
  if (!f['sidecar-injection']) {
    if (f['webhook-service'] || f['webhook-configuration']) throw new UsageError('--webhook-service and --webhook-configuration need --sidecar-injection');
    return undefined;
  }
  const service = f['webhook-service'];
  const configuration = f['webhook-configuration'];
  if (!service || !configuration) throw new UsageError('--sidecar-injection needs --webhook-service and --webhook-configuration');
  const port = f['webhook-port'];
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--webhook-port must be a port number, got ${port}`);
  return { port, namespace, service, configuration };
}

/** `--destination-allow`: absent → the private ranges; `none` (or an empty value) → Services of the namespace only. */
export function destinationAllow(list: string[] | undefined): string[] {
  if (list === undefined || list.length === 0) return [...PRIVATE_RANGES];
  const entries = list.flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== '' && e !== 'none');
  for (const e of entries) {
    const [net, bits] = e.split('/');
    const ip = isIP(net);
    const hostLike = /^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i.test(e);
    if (ip ? bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (ip === 6 ? 128 : 32)) : !hostLike) {
      throw new UsageError(`--destination-allow: ${JSON.stringify(e)} is not a host name, *.domain or CIDR`);
    }
  }
  return entries;
}
