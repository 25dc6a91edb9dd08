// What the reconcilers read: the informer caches, with typed (zod-parsed, defaulted) views of our two
// kinds. Parsing is memoised per cached object, so repeated lookups cost nothing.
import { Subscription, WebhookChannel } from '../../shared/api/v1alpha1.ts';
import type { BindingWorld } from './binding.ts';
import type { Informer } from '../../shared/kube/informer.ts';
import type { KubeObject } from '../../shared/kube/client.ts';
import type { PodStatusLike } from '../injection/status.ts';

export interface Caches {
  channels: Informer<KubeObject>;
  subscriptions: Informer<KubeObject>;
  /** Secrets the operator manages (label-selected), in every watched namespace and the receiver's. */
  secrets: Informer<KubeObject>;
  configMaps: Informer<KubeObject>;
  serviceAccounts: Informer<KubeObject>;
  deployments: Informer<KubeObject>;
  namespaces: Informer<KubeObject>;
  /** With sidecar injection only: pods labelled hookbridge.io/sidecar=true (injected ones). */
  pods?: Informer<KubeObject>;
}

export type Parsed<T> = { ok: true; value: T; raw: KubeObject } | { ok: false; error: string; raw: KubeObject };

const memo = new WeakMap<KubeObject, Parsed<unknown>>();
function parse<T>(raw: KubeObject, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }): Parsed<T> {
  const hit = memo.get(raw);
  if (hit) return hit as Parsed<T>;
  const r = schema.safeParse(raw);
  const parsed: Parsed<T> = r.success
    ? { ok: true, value: r.data, raw }
    : { ok: false, error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), raw };
  memo.set(raw, parsed);
  return parsed;
}

export class World implements BindingWorld {
  readonly c: Caches;
  #byChannel?: Map<string, Subscription[]>;

  constructor(caches: Caches) {
    this.c = caches;
    caches.subscriptions.onChange(() => { this.#byChannel = undefined; });
  }

  parsedChannel(namespace: string, name: string): Parsed<WebhookChannel> | undefined {
    const raw = this.c.channels.get(namespace, name);
    return raw ? parse(raw, WebhookChannel) : undefined;
  }

  parsedSubscription(namespace: string, name: string): Parsed<Subscription> | undefined {
    const raw = this.c.subscriptions.get(namespace, name);
    return raw ? parse(raw, Subscription) : undefined;
  }

  /** Every Subscription that parses (an unparseable one binds nothing). */
  allSubscriptions(namespace?: string): Subscription[] {
    return this.c.subscriptions.list(namespace).flatMap((raw) => {
      const p = parse(raw, Subscription);
      return p.ok ? [p.value] : [];
    });
  }

  channel(namespace: string, name: string): WebhookChannel | undefined {
    const p = this.parsedChannel(namespace, name);
    return p?.ok ? p.value : undefined;
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.c.namespaces.get(undefined, namespace)?.metadata.labels ?? {};
  }

  subscriptionsOf(channelNamespace: string, channelName: string): Subscription[] {
    if (!this.#byChannel) {
      this.#byChannel = new Map();
      for (const s of this.allSubscriptions()) {
        const k = `${s.spec.channelRef.namespace ?? s.metadata.namespace}/${s.spec.channelRef.name}`;
        this.#byChannel.set(k, [...(this.#byChannel.get(k) ?? []), s]);
      }
    }
    return this.#byChannel.get(`${channelNamespace}/${channelName}`) ?? [];
  }

  /** Injected pods of a namespace (none without sidecar injection). */
  sidecarPods(namespace: string): KubeObject[] & PodStatusLike[] {
    return (this.c.pods?.list(namespace) ?? []) as KubeObject[] & PodStatusLike[];
  }

  secret(namespace: string, name: string): KubeObject | undefined { return this.c.secrets.get(namespace, name); }
}
