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
import { Controller, type Outcome } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { startProbeServer } from '../shared/process/probes.ts';
import { Informer } from '../shared/kube/informer.ts';
import { KubeClient, type KubeObject, type ResourceType } from '../shared/kube/client.ts';
import { LeaderElector } from './runtime/leader.ts';
import { createOperatorMetrics, type OperatorMetrics } from './runtime/metrics.ts';
import { ConfigMaps, Deployments, Namespaces, Pods, Secrets, ServiceAccounts, Subscriptions, WebhookChannels } from '../shared/kube/resource-types.ts';
import { startInjection, type Injection, type InjectionOptions } from './injection/injector.ts';
import { SIDECAR_LABEL } from './injection/mutation.ts';

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
  /** Connector sidecar injection (`--sidecar-injection`): every replica serves the webhook. */
  sidecarInjection?: InjectionOptions;
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
  /** The injection webhook, when sidecarInjection is on. */
  injection?: Injection;
  isLeader(): boolean;
  ready(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the operator in named steps, each using only what the steps before it made: the client, the
 * caches, the shared pieces every reconciler is given (deps), the controllers over them, the mapping
 * from cache events to their queues, the health server, the first sync, and the campaign for leadership.
 */
export async function startOperator(o: OperatorOptions): Promise<Operator> {
  const logger = o.logger ?? createLogger({ name: 'operator' });
  const registry = createRegistry();
  const metrics = createOperatorMetrics(registry);
  const { client, requests, requestsByResource } = countingClient(o.kubeconfig);
  const identity = o.identity ?? process.env.POD_NAME ?? `${os.hostname()}-${process.pid}`;
  const watched = o.namespaces?.length ? o.namespaces : undefined;
  const caches = watchCaches(client, o, watched, logger);
  const receivers = receiverEndpoints(client, o, logger);
  const informers = [...Object.values(caches) as Informer<KubeObject>[], ...(receivers ? [receivers.informer] : [])];

  const deps = assembleDeps(client, caches, receivers, identity, o, logger, metrics);
  const controllers = createControllers(deps, o.workers ?? 8);
  const mapping = wireMapping(deps.world, {
    channel: (k) => controllers.channel.enqueue(k),
    subscription: (k) => controllers.subscription.enqueue(k),
    // Coalesce bursts (ten Subscriptions applied at once → one connector update, one rollout).
    connector: (ns) => controllers.connector.enqueueAfter(ns, o.connectorDebounceMs ?? 500),
  });
  deps.stats.onChange(mapping.channelStatsChanged);

  const probes = await startProbeServer({
    port: o.metricsPort, host: o.metricsHost, registry,
    readiness: () => informers.filter((i) => !i.healthy()).map((i) => `watch ${i.type.plural}`),
  });
  const { server } = probes;
  await Promise.all(informers.map((i) => i.start()));
  logger.info({ identity, namespaces: watched ?? 'all', receiverNamespace: o.receiverNamespace }, 'caches synced');

  const injection = await serveInjection(deps, o);
  const all = [controllers.channel, controllers.subscription, controllers.connector];
  const leadership = campaign(client, o, identity, logger, metrics, () => {
    enqueueEverything(caches, controllers);
    for (const c of all) c.start();
    deps.stats.start();
    injection?.lead();
  });

  return {
    identity, registry, server, requests, requestsByResource, controllers: all, injection,
    isLeader: () => leadership.leading(),
    ready: () => informers.every((i) => i.healthy()),
    async stop() {
      leadership.stopping();
      await injection?.stop();
      await deps.stats.stop();
      await Promise.all(all.map((c) => c.stop()));
      await leadership.stop();
      await Promise.all(informers.map((i) => i.stop()));
      client.close();
      await probes.close();
      logger.info({ identity }, 'operator stopped');
    },
  };
}

/**
 * Sidecar injection, on every replica (the apiserver calls any of them through the Service): the webhook
 * answers from the caches synced just before; the leader's part (certificate, explaining events) starts
 * with the others' on election.
 */
async function serveInjection(deps: Deps, o: OperatorOptions): Promise<Injection | undefined> {
  if (!o.sidecarInjection) return undefined;
  return startInjection({
    client: deps.client, world: deps.world, events: deps.events, logger: deps.logger, metrics: deps.metrics,
    settings: { image: o.connectorImage, imagePullPolicy: o.connectorImagePullPolicy },
  }, o.sidecarInjection);
}

interface Leadership {
  leading(): boolean;
  /** Shutting down: losing the lease from now on is expected, not fatal. */
  stopping(): void;
  /** Releases the lease. */
  stop(): Promise<void>;
}

/**
 * Leader election on the Lease (or leading at once without it): `lead` runs on becoming leader; the
 * standby keeps warm caches and writes nothing; a leader that loses the lease is fatal (onFatal).
 */
function campaign(client: KubeClient, o: OperatorOptions, identity: string, logger: Logger, metrics: OperatorMetrics, lead: () => void): Leadership {
  let leading = false;
  let stopping = false;
  const startLeading = () => {
    leading = true;
    metrics.leader.set(1);
    lead();
  };
  const elector = o.leaderElect ? new LeaderElector(client, {
    namespace: o.leaseNamespace ?? process.env.POD_NAMESPACE ?? o.receiverNamespace,
    name: o.leaseName ?? 'hookbridge-operator',
    identity, logger,
    leaseDurationMs: o.leaseDurationMs, renewDeadlineMs: o.renewDeadlineMs, retryPeriodMs: o.retryPeriodMs,
    onStartedLeading: startLeading,
    onStoppedLeading: () => {
      if (!leading) return;
      leading = false;
      metrics.leader.set(0);
      if (!stopping) o.onFatal?.('lost the leader lease');
    },
  }) : undefined;
  if (elector) elector.start(); else startLeading();
  return {
    leading: () => leading,
    stopping: () => { stopping = true; },
    stop: async () => { await elector?.stop(); },
  };
}

/** A client that counts its apiserver requests by verb and by `VERB resource` (tests and the bench read them). */
function countingClient(kubeconfig: string | undefined): { client: KubeClient; requests: Map<string, number>; requestsByResource: Map<string, number> } {
  const requests = new Map<string, number>();
  const requestsByResource = new Map<string, number>();
  const client = KubeClient.load(kubeconfig, (verb, path) => {
    requests.set(verb, (requests.get(verb) ?? 0) + 1);
    const k = `${verb} ${resourceOfPath(path)}`;
    requestsByResource.set(k, (requestsByResource.get(k) ?? 0) + 1);
  });
  return { client, requests, requestsByResource };
}

/**
 * The caches the controllers read. Children are watched by our label only; Secrets also in the receiver's
 * namespace, where the receiver config Secrets live.
 */
function watchCaches(client: KubeClient, o: OperatorOptions, watched: string[] | undefined, logger: Logger): Caches {
  const inf = (type: ResourceType, opts: { namespaces?: string[]; labelSelector?: string } = {}) =>
    new Informer<KubeObject>(client, type, { logger, relistMs: o.relistMs, namespaces: watched, ...opts });
  const own = [o.receiverNamespace, ...(o.sidecarInjection ? [o.sidecarInjection.namespace] : [])];
  return {
    channels: inf(WebhookChannels),
    subscriptions: inf(Subscriptions),
    secrets: inf(Secrets, { labelSelector: MANAGED_SELECTOR, namespaces: watched ? [...new Set([...watched, ...own])] : undefined }),
    configMaps: inf(ConfigMaps, { labelSelector: MANAGED_SELECTOR }),
    serviceAccounts: inf(ServiceAccounts, { labelSelector: MANAGED_SELECTOR }),
    deployments: inf(Deployments, { labelSelector: MANAGED_SELECTOR }),
    namespaces: inf(Namespaces),
    // Only injected pods (the webhook labels them): a cache of every pod in the cluster would cost memory everywhere.
    ...(o.sidecarInjection ? { pods: inf(Pods, { labelSelector: `${SIDECAR_LABEL}=true` }) } : {}),
  };
}

/** The receiver pods to ask for stats, when a receiver Service is named (else the one receiverUrl is asked). */
function receiverEndpoints(client: KubeClient, o: OperatorOptions, logger: Logger): ReceiverEndpoints | undefined {
  if (!o.receiverService) return undefined;
  return new ReceiverEndpoints(client, {
    namespace: o.receiverNamespace, service: o.receiverService, logger, relistMs: o.relistMs,
    scheme: o.receiverUrl ? new URL(o.receiverUrl).protocol.replace(/:$/, '') : 'http',
  });
}

/** What every reconciler is given. The applier learns from every cache event which of its writes have landed. */
function assembleDeps(client: KubeClient, caches: Caches, receivers: ReceiverEndpoints | undefined, identity: string,
  o: OperatorOptions, logger: Logger, metrics: OperatorMetrics): Deps {
  const applier = new Applier(client);
  for (const i of Object.values(caches) as Informer<KubeObject>[]) i.onChange((obj) => applier.observe(i.type, obj));
  const stats = new ReceiverStats({
    receiverUrl: o.receiverUrl, adminTokenFile: o.receiverAdminTokenFile, intervalMs: o.statsIntervalMs ?? 30_000, logger,
    ...(receivers ? { endpoints: () => receivers.urls(), endpointsSource: receivers.source } : {}),
    ...(o.statsFetch ? { fetch: o.statsFetch } : {}),
    channels: () => caches.channels.list().map((c) => ({ namespace: c.metadata.namespace ?? 'default', name: c.metadata.name })),
  });
  const events = new EventRecorder(client, identity, logger);
  return { client, applier, world: new World(caches), events, stats, logger, metrics, now: Date.now, settings: o };
}

interface Controllers { channel: Controller; subscription: Controller; connector: Controller }

function createControllers(deps: Deps, workers: number): Controllers {
  const mk = (name: string, reconcile: (key: string) => Promise<Outcome>) =>
    new Controller({ name, reconcile, logger: deps.logger, metrics: deps.metrics, workers });
  return {
    channel: mk(CHANNEL, channelReconciler(deps)),
    subscription: mk(SUBSCRIPTION, subscriptionReconciler(deps)),
    connector: mk(CONNECTOR, connectorReconciler(deps)),
  };
}

/** A new leader looks at everything once: nothing it missed while standing by stays unreconciled. */
function enqueueEverything(caches: Caches, controllers: Controllers): void {
  for (const c of caches.channels.list()) controllers.channel.enqueue(`${c.metadata.namespace}/${c.metadata.name}`);
  for (const s of caches.subscriptions.list()) controllers.subscription.enqueue(`${s.metadata.namespace}/${s.metadata.name}`);
  for (const ns of caches.namespaces.list()) controllers.connector.enqueue(ns.metadata.name);
}

/** `secrets`, `webhookchannels/status`, ... from an API path. */
function resourceOfPath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  const i = parts[0] === 'api' ? 2 : 3;
  const rest = parts[i] === 'namespaces' && parts.length > i + 2 ? parts.slice(i + 2) : parts.slice(i);
  return [rest[0], rest[2]].filter(Boolean).join('/');
}
