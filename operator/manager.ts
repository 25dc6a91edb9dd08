// Assembles the operator: client, informers, the three controllers, event mapping, stats poller,
// leader election, health/metrics server. Importable (tests and the bench start it in-process);
// main.ts only parses flags and calls startOperator.
import os from 'node:os';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createRegistry } from '../shared/metrics.ts';
import { MANAGED_SELECTOR } from '../shared/labels.ts';
import { connectorReconciler, CONTROLLER as CONNECTOR } from './controllers/connector/reconciler.ts';
import { subscriptionReconciler, CONTROLLER as SUBSCRIPTION } from './controllers/subscription/reconciler.ts';
import { channelReconciler, CONTROLLER as CHANNEL } from './controllers/webhookchannel/reconciler.ts';
import { ReceiverEndpoints } from './stats/receiver-endpoints.ts';
import { ReceiverStats } from './stats/receiver-stats.ts';
import { wireMapping } from './controllers/mapping.ts';
import { World, type Caches } from './controllers/world.ts';
import type { Deps, OperatorSettings } from './controllers/deps.ts';
import { Applier } from '../shared/kube/applier.ts';
import { Controller } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { startHealthServer } from './runtime/health.ts';
import { Informer } from '../shared/kube/informer.ts';
import { KubeClient, type KubeObject, type ResourceType } from '../shared/kube/client.ts';
import { LeaderElector } from './runtime/leader.ts';
import { createOperatorMetrics } from './runtime/metrics.ts';
import { ConfigMaps, Deployments, Namespaces, Secrets, ServiceAccounts, Subscriptions, WebhookChannels } from '../shared/kube/resource-types.ts';

export interface OperatorOptions extends OperatorSettings {
  kubeconfig?: string;
  /** Namespaces to watch; empty = all. */
  namespaces?: string[];
  receiverUrl?: string;
  /**
   * The receiver Service in receiverNamespace: every ready endpoint in its EndpointSlices is asked for
   * stats (scheme from receiverUrl, port named `http`). Without it, receiverUrl alone is asked.
   */
  receiverService?: string;
  receiverAdminTokenFile?: string;
  /** The HTTP client for the receivers' admin API (tests route pod addresses to loopback receivers). */
  statsFetch?: typeof fetch;
  metricsPort: number;
  metricsHost?: string;
  leaderElect?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  identity?: string;
  statsIntervalMs?: number;
  relistMs?: number;
  workers?: number;
  /** Wait this long after a change before updating a namespace's connector (coalesces bursts). */
  connectorDebounceMs?: number;
  logger?: Logger;
  /** Called when leadership is lost: the process should exit (a fresh start re-campaigns). */
  onFatal?: (reason: string) => void;
}

export interface Operator {
  identity: string;
  registry: Registry;
  server: Server;
  /** apiserver requests made by this operator, by verb (GET, LIST, POST, APPLY, PATCH, PUT, DELETE). */
  requests: Map<string, number>;
  /** The same by `VERB resource[/subresource]`. */
  requestsByResource: Map<string, number>;
  controllers: Controller[];
  isLeader(): boolean;
  ready(): boolean;
  stop(): Promise<void>;
}

export async function startOperator(o: OperatorOptions): Promise<Operator> {
  const logger = o.logger ?? createLogger({ name: 'operator' });
  const registry = createRegistry();
  const metrics = createOperatorMetrics(registry);
  const requests = new Map<string, number>();
  const requestsByResource = new Map<string, number>();
  const client = KubeClient.load(o.kubeconfig, (verb, path) => {
    requests.set(verb, (requests.get(verb) ?? 0) + 1);
    const k = `${verb} ${resourceOfPath(path)}`;
    requestsByResource.set(k, (requestsByResource.get(k) ?? 0) + 1);
  });
  const identity = o.identity ?? process.env.POD_NAME ?? `${os.hostname()}-${process.pid}`;
  const watched = o.namespaces?.length ? o.namespaces : undefined;
  const inf = (type: ResourceType, opts: { namespaces?: string[]; labelSelector?: string } = {}) =>
    new Informer<KubeObject>(client, type, { logger, relistMs: o.relistMs, namespaces: watched, ...opts });
  const caches: Caches = {
    channels: inf(WebhookChannels),
    subscriptions: inf(Subscriptions),
    secrets: inf(Secrets, { labelSelector: MANAGED_SELECTOR, namespaces: watched ? [...new Set([...watched, o.receiverNamespace])] : undefined }),
    configMaps: inf(ConfigMaps, { labelSelector: MANAGED_SELECTOR }),
    serviceAccounts: inf(ServiceAccounts, { labelSelector: MANAGED_SELECTOR }),
    deployments: inf(Deployments, { labelSelector: MANAGED_SELECTOR }),
    namespaces: inf(Namespaces),
  };
  const receivers = o.receiverService ? new ReceiverEndpoints(client, {
    namespace: o.receiverNamespace, service: o.receiverService, logger, relistMs: o.relistMs,
    scheme: o.receiverUrl ? new URL(o.receiverUrl).protocol.replace(/:$/, '') : 'http',
  }) : undefined;
  const informers = [...Object.values(caches) as Informer<KubeObject>[], ...(receivers ? [receivers.informer] : [])];
  const applier = new Applier(client);
  for (const i of Object.values(caches) as Informer<KubeObject>[]) i.onChange((obj) => applier.observe(i.type, obj));
  const world = new World(caches);
  const events = new EventRecorder(client, identity, logger);

  const mk = (name: string, reconcile: (key: string) => Promise<import('./runtime/controller.ts').Outcome>) =>
    new Controller({ name, reconcile, logger, metrics, workers: o.workers ?? 8 });
  // The reconcilers close over `deps`, assembled below once the stats poller exists.
  type R = (key: string) => Promise<import('./runtime/controller.ts').Outcome>;
  let reconcilers: { channel: R; subscription: R; connector: R } | undefined;
  const r = () => (reconcilers ??= { channel: channelReconciler(deps), subscription: subscriptionReconciler(deps), connector: connectorReconciler(deps) });
  const channelCtl = mk(CHANNEL, (key) => r().channel(key));
  const subCtl = mk(SUBSCRIPTION, (key) => r().subscription(key));
  const connectorCtl = mk(CONNECTOR, (key) => r().connector(key));
  const controllers = [channelCtl, subCtl, connectorCtl];
  const mapping = wireMapping(world, {
    channel: (k) => channelCtl.enqueue(k),
    subscription: (k) => subCtl.enqueue(k),
    // Coalesce bursts (ten Subscriptions applied at once → one connector update, one rollout).
    connector: (ns) => connectorCtl.enqueueAfter(ns, o.connectorDebounceMs ?? 500),
  });
  const stats = new ReceiverStats({
    receiverUrl: o.receiverUrl, adminTokenFile: o.receiverAdminTokenFile, intervalMs: o.statsIntervalMs ?? 30_000, logger,
    ...(receivers ? { endpoints: () => receivers.urls(), endpointsSource: receivers.source } : {}),
    ...(o.statsFetch ? { fetch: o.statsFetch } : {}),
    channels: () => caches.channels.list().map((c) => ({ namespace: c.metadata.namespace ?? 'default', name: c.metadata.name })),
    onChange: mapping.channelStatsChanged,
  });
  const deps: Deps = { client, applier, world, events, stats, logger, metrics, now: Date.now, settings: o };

  const server = await startHealthServer(o.metricsPort, registry, [
    ...informers.map((i) => ({ name: `watch ${i.type.plural}`, ok: () => i.healthy() })),
  ], o.metricsHost);
  await Promise.all(informers.map((i) => i.start()));
  logger.info({ identity, namespaces: watched ?? 'all', receiverNamespace: o.receiverNamespace }, 'caches synced');

  let leading = false;
  const lead = () => {
    leading = true;
    metrics.leader.set(1);
    for (const c of caches.channels.list()) channelCtl.enqueue(`${c.metadata.namespace}/${c.metadata.name}`);
    for (const s of caches.subscriptions.list()) subCtl.enqueue(`${s.metadata.namespace}/${s.metadata.name}`);
    for (const ns of caches.namespaces.list()) connectorCtl.enqueue(ns.metadata.name);
    for (const c of controllers) c.start();
    stats.start();
  };
  const elector = o.leaderElect ? new LeaderElector(client, {
    namespace: o.leaseNamespace ?? process.env.POD_NAMESPACE ?? o.receiverNamespace,
    name: o.leaseName ?? 'hookbridge-operator',
    identity, logger,
    leaseDurationMs: o.leaseDurationMs, renewDeadlineMs: o.renewDeadlineMs, retryPeriodMs: o.retryPeriodMs,
    onStartedLeading: lead,
    onStoppedLeading: () => {
      if (!leading) return;
      leading = false;
      metrics.leader.set(0);
      if (!stopping) o.onFatal?.('lost the leader lease');
    },
  }) : undefined;
  if (elector) elector.start(); else lead();

  let stopping = false;
  return {
    identity, registry, server, requests, requestsByResource, controllers,
    isLeader: () => leading,
    ready: () => informers.every((i) => i.healthy()),
    async stop() {
      stopping = true;
      await stats.stop();
      await Promise.all(controllers.map((c) => c.stop()));
      await elector?.stop();
      await Promise.all(informers.map((i) => i.stop()));
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      logger.info({ identity }, 'operator stopped');
    },
  };
}

/** `secrets`, `webhookchannels/status`, ... from an API path. */
function resourceOfPath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  const i = parts[0] === 'api' ? 2 : 3;
  const rest = parts[i] === 'namespaces' && parts.length > i + 2 ? parts.slice(i + 2) : parts.slice(i);
  return [rest[0], rest[2]].filter(Boolean).join('/');
}
