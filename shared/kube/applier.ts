// Server-side apply, only when needed. The cache a reconcile reads lags our own writes by a moment;
// without care, a reconcile in that moment would apply the same thing again. So the applier remembers
// what it last wrote per object until the informer shows that write (or a later one), and skips an
// identical apply meanwhile. Once the cache has caught up, the live object decides as usual.
import { deepEqual, needsApply } from './compare.ts';
import type { KubeClient, KubeObject, ResourceType } from './client.ts';

interface Written { rv?: string; body: unknown }

const keyOf = (type: ResourceType, ns: string | undefined, name: string, sub = ''): string => `${type.group}/${type.plural}/${ns ?? ''}/${name}${sub}`;

/** Whether resourceVersion `a` is at least `b` (etcd revisions are numeric; otherwise only equality counts). */
function atLeast(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) >= BigInt(b);
  return a === b;
}

export class Applier {
  readonly #client: KubeClient;
  readonly #written = new Map<string, Written>();
  constructor(client: KubeClient) { this.#client = client; }

  /** Called with every object an informer delivers: drops memories the cache has caught up with. */
  observe(type: ResourceType, obj: KubeObject): void {
    for (const sub of ['', '/status']) {
      const k = keyOf(type, obj.metadata.namespace, obj.metadata.name, sub);
      const w = this.#written.get(k);
      if (w && atLeast(obj.metadata.resourceVersion, w.rv)) this.#written.delete(k);
    }
  }

  /** Applies `desired` unless `live` already has it (or our identical write is still on its way to the cache). */
  async apply<T extends KubeObject>(type: ResourceType, desired: KubeObject, live: KubeObject | undefined, differs = needsApply(live, desired)): Promise<T | undefined> {
    if (!differs) return undefined;
    const k = keyOf(type, desired.metadata.namespace, desired.metadata.name);
    if (deepEqual(this.#written.get(k)?.body, desired)) return undefined;
    const res = await this.#client.apply<T>(type, desired);
    this.#written.set(k, { rv: res.metadata.resourceVersion, body: desired });
    return res;
  }

  /** Writes `status` through the status subresource if it differs from `obj.status`. True when written. */
  async status(type: ResourceType, obj: KubeObject, status: Record<string, unknown>): Promise<boolean> {
    const clean = JSON.parse(JSON.stringify(status)) as Record<string, unknown>;
    if (deepEqual(obj.status ?? {}, clean)) return false;
    const k = keyOf(type, obj.metadata.namespace, obj.metadata.name, '/status');
    if (deepEqual(this.#written.get(k)?.body, clean)) return false;
    const res = await this.#client.apply<KubeObject>(type, { metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, status: clean }, 'status');
    this.#written.set(k, { rv: res.metadata.resourceVersion, body: clean });
    return true;
  }

  /** Forget a memory (after a delete of our own). */
  forget(type: ResourceType, ns: string | undefined, name: string): void {
    this.#written.delete(keyOf(type, ns, name));
    this.#written.delete(keyOf(type, ns, name, '/status'));
  }
}
