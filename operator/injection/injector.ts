// Sidecar injection at run time (`--sidecar-injection`): the webhook server every replica runs, answering
// from the Subscription cache; the certificate every replica loads from its Secret; and, on the leader only,
// the certificate loop (certificates.ts) and the scan that explains pods which asked but got no sidecar.
import type { Logger } from '../../shared/logger.ts';
import type { KubeClient, KubeObject } from '../../shared/kube/client.ts';
import { Pods, Subscriptions } from '../../shared/kube/resource-types.ts';
import { backoffDelay } from '../../shared/process/backoff.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { World } from '../controllers/world.ts';
import type { EventReason } from '../api/conditions.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { X509Certificate } from 'node:crypto';
import { CertKeeper } from './certificates.ts';
import { explainPod } from './explain.ts';
import type { InjectionSettings } from './mutation.ts';
import { startWebhookServer, type WebhookServer } from './server.ts';

export interface InjectionOptions {
  /** Port of the HTTPS webhook (the chart's `operator.sidecarInjection.port`, 9443). */
  port: number;
  host?: string;
  /** Namespace of the webhook Service and the certificate Secret (the operator's own). */
  namespace: string;
  /** The webhook Service: its DNS names go into the serving certificate. */
  service: string;
  /** The MutatingWebhookConfiguration whose caBundle the leader keeps. */
  configuration: string;
  /** How often the leader looks for pods that asked and got no sidecar (default 30 s). */
  explainIntervalMs?: number;
}

export interface Injection {
  server: WebhookServer;
  keeper: CertKeeper;
  /** Reviews of pods that asked, since start, by outcome (also hookbridge_sidecar_admissions_total). */
  reviews: { injected: number; skipped: number; unchanged: number };
  /** On becoming leader: the certificate loop and the explaining scan. */
  lead(): void;
  stop(): Promise<void>;
}

export interface InjectionDeps {
  client: KubeClient;
  world: World;
  events: EventRecorder;
  logger: Logger;
  settings: InjectionSettings;
  metrics?: Pick<OperatorMetrics, 'sidecarAdmissions' | 'webhookCertificateExpiry'>;
}

/** notAfter of a PEM certificate in unix seconds (NaN when unreadable). */
const notAfterSeconds = (pem: string): number => { try { return Date.parse(new X509Certificate(pem).validTo) / 1000; } catch { return NaN; } };

export async function startInjection(d: InjectionDeps, o: InjectionOptions): Promise<Injection> {
  const { client, world, logger } = d;
  // The keeper hands certificates to the server, which needs the keeper's first certificate to start.
  const ref: { server?: WebhookServer } = {};
  const keeper = new CertKeeper({
    client, logger, namespace: o.namespace, service: o.service, configuration: o.configuration,
    serve: (cert, key) => { ref.server?.setCertificate(cert, key); d.metrics?.webhookCertificateExpiry.set(notAfterSeconds(cert)); },
  });
  const secretOf = () => world.c.secrets.get(o.namespace, keeper.secretName);
  const first = keeper.initial(secretOf());
  d.metrics?.webhookCertificateExpiry.set(notAfterSeconds(first.certPem));
  const reviews = { injected: 0, skipped: 0, unchanged: 0 };
  const server = ref.server = await startWebhookServer({
    cert: first.certPem, key: first.keyPem, port: o.port, host: o.host,
    image: d.settings.image, imagePullPolicy: d.settings.imagePullPolicy,
    subscriptionsIn: (ns) => world.allSubscriptions(ns),
    onReview: ({ result }) => {
      if (!result?.requested) return;
      const outcome = result.injected.length > 0 ? 'injected' : result.skipped.length > 0 ? 'skipped' : 'unchanged';
      reviews[outcome]++;
      d.metrics?.sidecarAdmissions.inc({ result: outcome });
      logger.debug({ injected: result.injected, skipped: result.skipped.map((s) => `${s.subscription}: ${s.reason}`), already: result.alreadyInjected }, 'admission review');
    },
    onError: (err) => logger.warn({ err: err.message }, 'webhook request not answered as a review'),
  });
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const later = (ms: number, fn: () => void): NodeJS.Timeout | undefined => {
    if (stopped) return undefined;
    const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
    timers.add(t);
    return t;
  };

  // The leader's certificate loop: one pass at a time; a pass asked for while one runs follows it.
  let leading = false;
  let certTimer: NodeJS.Timeout | undefined;
  let certRunning = false;
  let certAgain = false;
  let certFailures = 0;
  const certSoon = (ms: number): void => {
    if (certTimer) { clearTimeout(certTimer); timers.delete(certTimer); }
    certTimer = later(ms, () => { certTimer = undefined; void certPass(); });
  };
  const certPass = async (): Promise<void> => {
    if (certRunning) { certAgain = true; return; }
    certRunning = true;
    let next: number;
    try {
      next = await keeper.reconcile();
      certFailures = 0;
    } catch (err) {
      certFailures++;
      logger.warn({ err: String(err), failures: certFailures }, 'webhook certificate: could not reconcile; retrying');
      next = backoffDelay(certFailures, { baseMs: 1_000, capMs: 60_000 });
    } finally {
      certRunning = false;
    }
    if (certAgain) { certAgain = false; next = 0; }
    certSoon(next);
  };

  // Every replica: serve what the Secret holds as soon as the cache sees it (the leader wrote it). The
  // leader also looks again when it is not what it wrote (deleted or edited by someone): a new pair, at once.
  world.c.secrets.onChange((s) => {
    if (s.metadata.namespace !== o.namespace || s.metadata.name !== keeper.secretName) return;
    const live = secretOf();
    keeper.load(live);
    if (leading && !keeper.holds(live)) certSoon(200);
  });
  logger.info({ port: server.port, service: `${o.service}.${o.namespace}.svc`, configuration: o.configuration }, 'sidecar injection webhook serving');

  const explained = new Set<string>();
  const explainLoop = async (): Promise<void> => {
    try { await explainPods(d, explained); } catch (err) { logger.warn({ err: String(err) }, 'could not scan pods for missing sidecars'); }
    later(o.explainIntervalMs ?? 30_000, () => void explainLoop());
  };
  return {
    server, keeper, reviews,
    lead() { leading = true; void certPass(); void explainLoop(); },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await server.close();
    },
  };
}

/**
 * One look at the pods of every namespace that has destination.sidecar Subscriptions: an event on each pod
 * that asked for a sidecar and did not get it (and on the Subscription it named), once per pod. Pods are
 * listed, not watched: what selects them is an annotation, which no watch can filter on, and a cluster-wide
 * pod cache would cost every operator replica memory for every pod of the cluster.
 */
export async function explainPods(d: Pick<InjectionDeps, 'client' | 'world' | 'events'>, explained: Set<string>): Promise<number> {
  const namespaces = new Set(d.world.allSubscriptions().filter((s) => s.spec.destination.sidecar).map((s) => s.metadata.namespace ?? 'default'));
  const alive = new Set<string>();
  let recorded = 0;
  for (const ns of namespaces) {
    const pods = (await d.client.list<KubeObject>(Pods, ns)).items;
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? `${ns}/${pod.metadata.name}`;
      alive.add(uid);
      if (explained.has(uid) || pod.metadata.deletionTimestamp) continue;
      explained.add(uid);
      for (const e of explainPod(pod as Parameters<typeof explainPod>[0])) {
        d.events.record(Pods, pod, 'Warning', e.reason as EventReason, 'Inject', e.note);
        const sub = e.subscription.includes('/') ? undefined : d.world.c.subscriptions.get(ns, e.subscription);
        if (sub) d.events.record(Subscriptions, sub, 'Warning', e.reason as EventReason, 'Inject', `Pod ${pod.metadata.name}: ${e.note}`);
        recorded++;
      }
    }
  }
  for (const uid of explained) if (!alive.has(uid)) explained.delete(uid);
  return recorded;
}
