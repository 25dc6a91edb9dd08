// Configuration from Kubernetes (`--kube-namespace NS`): the operator writes one Secret per channel in the
// receiver's namespace, labelled RECEIVER_CONFIG_LABEL=true, whose `channel.json` is a ChannelConfig. An
// informer keeps them in a cache; every change re-applies the whole set within a debounce. client-node's
// informer stops on errors other than 410, so it is restarted with backoff, and relisted periodically.
// Readiness needs the first list only: once loaded, a watch that is down (an apiserver outage) leaves the
// last configuration serving and is reported (/health `config.watch`, hookbridge_config_source_up), not
// turned into NotReady — ingest never needed the apiserver.
import { CoreV1Api, KubeConfig, makeInformer, type Informer, type ObjectCache, type V1Secret } from '@kubernetes/client-node';
import type { ChannelConfig, ReceiverConfig } from '../../shared/config.ts';
import { RECEIVER_CONFIG_KEY, RECEIVER_CONFIG_SELECTOR } from '../../shared/labels.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ConfigSourceStatus } from '../health.ts';
import { parseChannelConfig } from './channel-schema.ts';

/** Folds the labelled Secrets into a ReceiverConfig; unreadable ones are reported and skipped. */
export function receiverConfigFromSecrets(secrets: readonly V1Secret[], onProblem: (secret: string, error: string) => void): ReceiverConfig {
  const byKey = new Map<string, ChannelConfig>();
  for (const s of secrets) {
    const raw = s.data?.[RECEIVER_CONFIG_KEY];
    const name = `${s.metadata?.namespace}/${s.metadata?.name}`;
    if (!raw) { onProblem(name, `no ${RECEIVER_CONFIG_KEY} key`); continue; }
    const r = parseChannelConfig(Buffer.from(raw, 'base64').toString('utf8'));
    if (!r.ok) { onProblem(name, r.error); continue; }
    const key = `${r.config.namespace}/${r.config.name}`;
    if (byKey.has(key)) onProblem(name, `a second Secret for channel ${key}; the first one (by name) wins`);
    else byKey.set(key, r.config);
  }
  return { channels: [...byKey.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)) };
}

export interface KubeSourceOptions {
  namespace: string;
  apply(cfg: ReceiverConfig): Promise<void>;
  logger: Logger;
  /** Path to a kubeconfig; default: KUBECONFIG, ~/.kube/config or in-cluster. */
  kubeconfig?: string;
  debounceMs?: number;
  relistMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

export class KubeConfigSource implements ConfigSourceStatus {
  readonly #opts: KubeSourceOptions;
  readonly #kc: KubeConfig;
  readonly #core: CoreV1Api;
  #informer: (Informer<V1Secret> & ObjectCache<V1Secret>) | undefined;
  #healthy = false;
  #stopped = false;
  #everSynced = false;
  /** When the watch last went down (epoch ms); undefined while it is up. */
  #downSince: number | undefined;
  #backoff: number;
  #debounce: NodeJS.Timeout | undefined;
  #restart: NodeJS.Timeout | undefined;
  #relist: NodeJS.Timeout | undefined;

  constructor(opts: KubeSourceOptions) {
    this.#opts = opts;
    this.#backoff = opts.backoffMinMs ?? 1000;
    this.#kc = new KubeConfig();
    if (opts.kubeconfig) this.#kc.loadFromFile(opts.kubeconfig);
    else this.#kc.loadFromDefault();
    this.#core = this.#kc.makeApiClient(CoreV1Api);
  }

  /** A fresh informer (fresh cache, full list): used at start, after a failure and for periodic relists. */
  #newInformer(): Informer<V1Secret> & ObjectCache<V1Secret> {
    const ns = this.#opts.namespace;
    const informer = makeInformer<V1Secret>(this.#kc, `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`,
      () => this.#core.listNamespacedSecret({ namespace: ns, labelSelector: RECEIVER_CONFIG_SELECTOR }), RECEIVER_CONFIG_SELECTOR);
    informer.on('change', () => { if (informer === this.#informer) this.#schedule(); });
    informer.on('error', (err: unknown) => { if (informer === this.#informer) this.#failed(err); });
    return informer;
  }

  /** Why the receiver cannot serve yet (for /readyz): only a configuration never listed. */
  readiness(): string[] {
    return this.#everSynced ? [] : ['kubernetes config not listed yet'];
  }

  /** The watch is up (the configuration is current). */
  following(): boolean { return this.#healthy && this.#everSynced; }

  describe(): Record<string, unknown> {
    return {
      source: 'kubernetes', namespace: this.#opts.namespace, watch: this.following() ? 'up' : 'down',
      ...(this.#downSince !== undefined && { downSince: new Date(this.#downSince).toISOString() }),
    };
  }

  /** Starts watching; resolves after the first list has been applied (or rejects if it could not be). */
  async start(): Promise<void> {
    await this.#run();
    if (!this.#healthy) throw new Error(`listing receiver config Secrets in ${this.#opts.namespace} failed`);
    const relist = this.#opts.relistMs ?? 10 * 60_000;
    this.#relist = setInterval(() => void this.#run(), relist);
    this.#relist.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#debounce);
    clearTimeout(this.#restart);
    clearInterval(this.#relist);
    await this.#informer?.stop();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    const old = this.#informer;
    const informer = this.#newInformer();
    this.#informer = informer;
    await old?.stop();
    this.#healthy = true;
    try {
      await informer.start();
    } catch (err) {
      this.#failed(err);
    }
    if (!this.#healthy || informer !== this.#informer) return; // the list failed; #failed scheduled a restart
    this.#backoff = this.#opts.backoffMinMs ?? 1000;
    if (this.#downSince !== undefined) this.#opts.logger.info({ namespace: this.#opts.namespace, downMs: Date.now() - this.#downSince }, 'kubernetes config watch is back');
    this.#downSince = undefined;
    this.#everSynced = true;
    await this.#applyNow();
  }

  #failed(err: unknown): void {
    this.#healthy = false;
    this.#downSince ??= Date.now();
    if (this.#stopped || this.#restart) return;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, this.#opts.backoffMaxMs ?? 30_000);
    this.#opts.logger.warn({ namespace: this.#opts.namespace, err: errText(err), retryInMs: delay }, 'kubernetes config watch failed; restarting');
    this.#restart = setTimeout(() => {
      this.#restart = undefined;
      void this.#run();
    }, delay);
    this.#restart.unref();
  }

  #schedule(): void {
    if (!this.#everSynced || this.#stopped) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#applyNow(), this.#opts.debounceMs ?? 100);
    this.#debounce.unref();
  }

  async #applyNow(): Promise<void> {
    const cfg = receiverConfigFromSecrets(this.#informer?.list() ?? [], (secretName, error) =>
      this.#opts.logger.error({ secretName, error }, 'skipping an unreadable receiver config Secret'));
    try {
      await this.#opts.apply(cfg);
    } catch (err) {
      this.#opts.logger.error({ err: errText(err) }, 'applying receiver configuration failed');
    }
  }
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : typeof err === 'object' ? JSON.stringify(err) : String(err));
