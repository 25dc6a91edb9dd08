// Configuration from Kubernetes (`--kube-namespace NS`): the operator writes one Secret per channel in the
// receiver's namespace, labelled RECEIVER_CONFIG_LABEL=true, whose `channel.json` is a ChannelConfig. The
// informer that survives (shared/kube/informer.ts: restarted with backoff, relisted periodically) keeps
// them in a cache; every change re-applies the whole set within a debounce.
// Readiness needs the first list only: once loaded, a watch that is down (an apiserver outage) leaves the
// last configuration serving and is reported (/health `config.watch`, hookbridge_config_source_up), not
// turned into NotReady — ingest never needed the apiserver.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, type KubeObject } from '../../shared/kube/client.ts';
import { Informer } from '../../shared/kube/informer.ts';
import { Secrets } from '../../shared/kube/resource-types.ts';
import type { ChannelConfig, ReceiverConfig } from '../../shared/config.ts';
import { RECEIVER_CONFIG_KEY, RECEIVER_CONFIG_SELECTOR } from '../../shared/labels.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ConfigSourceStatus } from '../health.ts';
import { parseChannelConfig } from '../../shared/config/channel.ts';

/** What is read of a receiver config Secret. */
export interface ConfigSecret { metadata?: { name?: string; namespace?: string }; data?: Record<string, string> }

/** Folds the labelled Secrets into a ReceiverConfig; unreadable ones are reported and skipped. */
export function receiverConfigFromSecrets(secrets: readonly ConfigSecret[], onProblem: (secret: string, error: string) => void): ReceiverConfig {
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
  readonly #client: KubeClient;
  readonly #informer: Informer<KubeObject & ConfigSecret>;
  #stopped = false;
  #everSynced = false;
  #debounce: NodeJS.Timeout | undefined;

  constructor(opts: KubeSourceOptions) {
    this.#opts = opts;
    const kc = new KubeConfig();
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    this.#client = new KubeClient(kc);
    this.#informer = new Informer(this.#client, Secrets, {
      namespaces: [opts.namespace], labelSelector: RECEIVER_CONFIG_SELECTOR, logger: opts.logger,
      relistMs: opts.relistMs, minBackoffMs: opts.backoffMinMs ?? 1000, maxBackoffMs: opts.backoffMaxMs ?? 30_000,
    });
    this.#informer.onChange(() => this.#schedule());
  }

  /** Why the receiver cannot serve yet (for /readyz): only a configuration never listed. */
  readiness(): string[] {
    return this.#everSynced ? [] : ['kubernetes config not listed yet'];
  }

  /** The watch is up (the configuration is current). */
  following(): boolean { return this.#everSynced && this.#informer.healthy(); }

  describe(): Record<string, unknown> {
    const downSince = this.#informer.downSince();
    return {
      source: 'kubernetes', namespace: this.#opts.namespace, watch: this.following() ? 'up' : 'down',
      ...(downSince !== undefined && { downSince: new Date(downSince).toISOString() }),
    };
  }

  /** Starts watching; resolves once the first list has been applied (the informer retries until it lists). */
  async start(): Promise<void> {
    await this.#informer.start();
    if (this.#stopped) return;
    this.#everSynced = true;
    await this.#applyNow();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#debounce);
    await this.#informer.stop();
    this.#client.close();
  }

  /** Changes before the first list are covered by the apply that ends start(). */
  #schedule(): void {
    if (!this.#everSynced || this.#stopped) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#applyNow(), this.#opts.debounceMs ?? 100);
    this.#debounce.unref();
  }

  async #applyNow(): Promise<void> {
    const cfg = receiverConfigFromSecrets(this.#informer.list(), (secretName, error) =>
      this.#opts.logger.error({ secretName, error }, 'skipping an unreadable receiver config Secret'));
    try {
      await this.#opts.apply(cfg);
    } catch (err) {
      this.#opts.logger.error({ err: errText(err) }, 'applying receiver configuration failed');
    }
  }
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : typeof err === 'object' ? JSON.stringify(err) : String(err));
