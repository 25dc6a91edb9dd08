// A watch that survives, the one the operator's caches and the receiver's configuration both use.
// @kubernetes/client-node's ListWatch re-lists on 410 Gone but *stops* on any other error; this wraps one
// ListWatch per watched namespace (or one for all), restarts it with exponential backoff, re-lists
// periodically (a fresh ListWatch, diffed against the old cache so deletions missed meanwhile are still
// seen) and reports health (synced, healthy, down since when). Handlers only get the object: they
// enqueue keys or schedule a reload, they never branch on what happened. The two users differ only in
// options (the receiver backs off from 1 s, the operator from 500 ms).
import { makeInformer, type Informer as ClientInformer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from '../logger.ts';
import { Backoff } from '../process/backoff.ts';
import { resourcePath, type KubeClient, type KubeObject, type ResourceType } from './client.ts';

export type Handler<T> = (obj: T) => void;
/** The client's cache holds our objects; its KubernetesObject type is looser than KubeObject, hence the casts. */
type ListWatch<T extends KubeObject> = ClientInformer<KubernetesObject> & ObjectCache<T>;

export interface InformerOptions {
  /** Namespaces to watch; undefined = all (or the resource is cluster-scoped). */
  namespaces?: string[];
  labelSelector?: string;
  /** Re-list this often (default 10 min). */
  relistMs?: number;
  /** First restart delay after a failed watch (default 500 ms), doubling up to maxBackoffMs (default 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  logger: Logger;
}

/** One ListWatch. `active` = its events reach the handlers (a relisting source is active before it serves reads). */
interface Source<T extends KubeObject> {
  namespace?: string; lw: ListWatch<T>; active: boolean; healthy: boolean; synced: boolean; backoff: Backoff; timer?: NodeJS.Timeout;
  /** When its watch went down (epoch ms); undefined while up. */
  downSince?: number;
}

export class Informer<T extends KubeObject> {
  readonly type: ResourceType;
  readonly #client: KubeClient;
  readonly #opts: Required<Omit<InformerOptions, 'namespaces' | 'labelSelector'>> & Pick<InformerOptions, 'namespaces' | 'labelSelector'>;
  readonly #handlers: Handler<T>[] = [];
  readonly #sources: Source<T>[] = [];
  #relistTimer?: NodeJS.Timeout;
  #stopped = false;

  constructor(client: KubeClient, type: ResourceType, opts: InformerOptions) {
    this.#client = client;
    this.type = type;
    this.#opts = { ...opts, relistMs: opts.relistMs ?? 10 * 60_000, minBackoffMs: opts.minBackoffMs ?? 500, maxBackoffMs: opts.maxBackoffMs ?? 30_000 };
  }

  onChange(handler: Handler<T>): void { this.#handlers.push(handler); }

  get(namespace: string | undefined, name: string): T | undefined {
    for (const s of this.#sources) {
      if (s.namespace !== undefined && namespace !== undefined && s.namespace !== namespace) continue;
      const o = s.lw.get(name, this.type.namespaced ? namespace : undefined);
      if (o) return o;
    }
    return undefined;
  }

  list(namespace?: string): T[] {
    return this.#sources.flatMap((s) => (s.namespace === undefined || namespace === undefined || s.namespace === namespace ? s.lw.list(namespace) : []));
  }

  /** Every source has listed once and none is in an error state. */
  healthy(): boolean { return this.#sources.length > 0 && this.#sources.every((s) => s.healthy && s.synced); }
  synced(): boolean { return this.#sources.length > 0 && this.#sources.every((s) => s.synced); }
  /** Since when a watch has been down (epoch ms, the earliest of them); undefined while all are up. */
  downSince(): number | undefined {
    let since: number | undefined;
    for (const s of this.#sources) if (s.downSince !== undefined && (since === undefined || s.downSince < since)) since = s.downSince;
    return since;
  }

  /** Starts watching; resolves once every source has listed (retrying with backoff until then). */
  async start(): Promise<void> {
    const namespaces = this.type.namespaced && this.#opts.namespaces?.length ? this.#opts.namespaces : [undefined];
    for (const namespace of namespaces) this.#sources.push(this.#newSource(namespace));
    await Promise.all(this.#sources.map((s) => this.#run(s)));
    while (!this.#stopped && !this.synced()) await new Promise((r) => setTimeout(r, 50));
    if (this.#stopped) return; // stopped while waiting for the first list: no relist timer to leak
    this.#relistTimer = setInterval(() => { void this.relist(); }, this.#opts.relistMs);
    this.#relistTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#relistTimer) clearInterval(this.#relistTimer);
    for (const s of this.#sources) await this.#retire(s);
  }

  #newSource(namespace: string | undefined): Source<T> {
    const path = resourcePath(this.type, namespace);
    const listFn = () => this.#client.list<T>(this.type, namespace, this.#opts.labelSelector);
    const lw = makeInformer<KubernetesObject>(this.#client.config, path, listFn as never, this.#opts.labelSelector) as unknown as ListWatch<T>;
    // Deterministic doubling (no jitter), as these restarts have always been.
    const backoff = new Backoff({ baseMs: this.#opts.minBackoffMs, capMs: this.#opts.maxBackoffMs, jitter: 'none' });
    const s: Source<T> = { namespace, lw, active: true, healthy: false, synced: false, backoff };
    const emit = (obj: KubernetesObject) => { if (s.active) for (const h of this.#handlers) h(obj as T); };
    lw.on('add', emit);
    lw.on('update', emit);
    lw.on('delete', emit);
    lw.on('error', (err: unknown) => this.#failed(s, err));
    return s;
  }

  async #run(s: Source<T>): Promise<void> {
    s.healthy = true;
    await s.lw.start().catch((err: unknown) => this.#failed(s, err));
    if (!s.healthy) return;
    s.synced = true;
    s.backoff.reset();
    if (s.downSince !== undefined) this.#opts.logger.info({ resource: this.type.plural, namespace: s.namespace, downMs: Date.now() - s.downSince }, 'watch is back');
    s.downSince = undefined;
  }

  #failed(s: Source<T>, err: unknown): void {
    s.healthy = false;
    s.downSince ??= Date.now();
    if (this.#stopped || !s.active || s.timer) return;
    const delay = s.backoff.next();
    this.#opts.logger.warn({ resource: this.type.plural, namespace: s.namespace, err: errText(err), retryInMs: delay }, 'watch failed; restarting');
    s.timer = setTimeout(() => { s.timer = undefined; void this.#run(s); }, delay);
    s.timer.unref();
  }

  /** A fresh list+watch per source, serving reads only once listed; objects gone from it are reported deleted. */
  async relist(): Promise<void> {
    for (const old of [...this.#sources]) {
      if (this.#stopped) return;
      const fresh = this.#newSource(old.namespace);
      await this.#run(fresh);
      if (!fresh.synced || this.#stopped) { await this.#retire(fresh); continue; }
      this.#sources[this.#sources.indexOf(old)] = fresh;
      await this.#retire(old);
      for (const o of old.lw.list()) {
        if (!fresh.lw.get(o.metadata.name, this.type.namespaced ? o.metadata.namespace : undefined)) for (const h of this.#handlers) h(o);
      }
    }
  }

  async #retire(s: Source<T>): Promise<void> {
    s.active = false;
    if (s.timer) clearTimeout(s.timer);
    await s.lw.stop();
  }
}

/** client-node reports some failures as plain objects, which String() would turn into [object Object]. */
const errText = (err: unknown): string => (err instanceof Error ? err.message : typeof err === 'object' ? JSON.stringify(err) : String(err));
