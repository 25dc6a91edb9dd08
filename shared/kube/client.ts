// A small Kubernetes REST client over node:https, authenticated by @kubernetes/client-node's
// KubeConfig (kubeconfig file or in-cluster). Thin on purpose: the operator needs get/list/create/
// delete, server-side apply (which the generated client makes awkward) and a request count per verb;
// the receiver's config informer lists through it too. Throttling is handled here, once, for everyone:
// an apiserver shedding load (API Priority and Fairness) answers 429 with Retry-After, and as client-go
// does, the request is sent again after that wait; it was not processed, so any verb may be repeated.
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../labels.ts';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}
export interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }
export interface KubeObject { apiVersion?: string; kind?: string; metadata: ObjectMeta; [key: string]: unknown }
export interface KubeList<T> { metadata: { resourceVersion?: string }; items: T[] }

/** A resource type: where it lives in the API. */
export interface ResourceType { group: string; version: string; plural: string; kind: string; namespaced: boolean }
export const apiVersionOf = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);

export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  /** The wait the apiserver asked for (Retry-After), when it asked. */
  readonly retryAfterMs?: number;
  constructor(status: number, reason: string, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}
export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.status === 409;
export const isTooManyRequests = (e: unknown): e is ApiError => e instanceof ApiError && e.status === 429;

/** Times a throttled (429 + Retry-After) request is sent again before its ApiError reaches the caller. */
export const THROTTLE_RETRIES = 5;
/** Longest Retry-After honoured in one wait: a caller with a deadline (the leader's renewal) must get its error back. */
export const MAX_RETRY_AFTER_MS = 10_000;

/** Retry-After (delay-seconds or an HTTP date) in ms, capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || v.trim() === '') return undefined;
  const ms = /^\s*\d+\s*$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

const wait = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  if (signal?.aborted) { reject(signal.reason as Error); return; }
  const onAbort = () => { clearTimeout(t); reject(signal?.reason as Error); };
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

export function resourcePath(r: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const n = name ? `/${encodeURIComponent(name)}` : '';
  return `${base}${ns}/${r.plural}${n}${subresource && name ? `/${subresource}` : ''}`;
}

export interface RequestCounter { (verb: string, resource: string): void }

export class KubeClient {
  readonly config: KubeConfig;
  readonly #onRequest: RequestCounter;
  #opts?: { at: number; value: https.RequestOptions };
  #agent?: { material: string; agent: https.Agent };

  constructor(config: KubeConfig, onRequest: RequestCounter = () => {}) {
    this.config = config;
    this.#onRequest = onRequest;
  }

  /** Loads a kubeconfig file, or the in-cluster service account when `file` is empty. */
  static load(file?: string, onRequest?: RequestCounter): KubeClient {
    const kc = new KubeConfig();
    if (file) kc.loadFromFile(file);
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
    return new KubeClient(kc, onRequest);
  }

  /**
   * Credentials and one keep-alive agent with one TLS context: a connection per request (and a TLS
   * context per connection) would cost more CPU than everything else the operator does. Credentials
   * are re-read now and then (in-cluster tokens are rotated by the kubelet).
   */
  async #requestOptions(): Promise<https.RequestOptions> {
    if (!this.#opts || Date.now() - this.#opts.at > 60_000) {
      const o: https.RequestOptions = {};
      await this.config.applyToHTTPSOptions(o);
      const material = JSON.stringify([o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map((v) => (v === undefined ? null : String(v))));
      if (!this.#agent || this.#agent.material !== material) {
        this.#agent?.agent.destroy();
        const secureContext = tls.createSecureContext({ ca: o.ca, cert: o.cert, key: o.key, pfx: o.pfx, passphrase: o.passphrase });
        const agent = new https.Agent({ keepAlive: true, maxSockets: 32, secureContext, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername });
        this.#agent = { material, agent };
      }
      this.#opts = { at: Date.now(), value: { agent: this.#agent.agent, headers: o.headers, ...(o.auth ? { auth: o.auth } : {}) } };
    }
    return this.#opts.value;
  }

  /** Closes idle keep-alive connections. */
  close(): void { this.#agent?.agent.destroy(); }

  /** One request, sent again while throttled; `signal` aborts it (the leader elector bounds a renewal by its renew deadline). */
  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json', verb = method, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#send<T>(method, path, body, contentType, verb, signal);
      } catch (err) {
        if (!isTooManyRequests(err) || err.retryAfterMs === undefined || attempt >= THROTTLE_RETRIES) throw err;
        await wait(err.retryAfterMs, signal);
      }
    }
  }

  async #send<T>(method: string, path: string, body: unknown, contentType: string, verb: string, signal?: AbortSignal): Promise<T> {
    const server = this.config.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig has no current cluster');
    const url = new URL(path, server);
    const base = await this.#requestOptions();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    this.#onRequest(verb, path.replace(/\?.*$/, ''));
    // A plain-http server (a local test apiserver) cannot use the TLS agent.
    const plain = url.protocol === 'http:';
    const lib = plain ? http : https;
    return new Promise<T>((resolve, reject) => {
      const req = lib.request(url, {
        ...base,
        ...(plain && { agent: undefined }),
        method,
        headers: { ...(base.headers ?? {}), accept: 'application/json', ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}) },
        timeout: 30_000,
        ...(signal && { signal }),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json as T);
          const s = (json ?? {}) as { reason?: string; message?: string };
          reject(new ApiError(status, s.reason ?? String(status), `${method} ${url.pathname}: ${status} ${s.message ?? text.slice(0, 200)}`,
            status === 429 ? retryAfterMs(res.headers['retry-after']) : undefined));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timeout`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  get<T extends KubeObject>(r: ResourceType, namespace: string | undefined, name: string, o: { signal?: AbortSignal } = {}): Promise<T> {
    return this.request<T>('GET', resourcePath(r, namespace, name), undefined, undefined, 'GET', o.signal);
  }

  /** undefined when the object does not exist. */
  async tryGet<T extends KubeObject>(r: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined> {
    try { return await this.get<T>(r, namespace, name); } catch (e) { if (isNotFound(e)) return undefined; throw e; }
  }

  list<T extends KubeObject>(r: ResourceType, namespace?: string, labelSelector?: string): Promise<KubeList<T>> {
    const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    return this.request<KubeList<T>>('GET', resourcePath(r, namespace) + q, undefined, undefined, 'LIST');
  }

  create<T extends KubeObject>(r: ResourceType, obj: KubeObject, o: { signal?: AbortSignal } = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(r, obj.metadata.namespace), { apiVersion: apiVersionOf(r), kind: r.kind, ...obj }, undefined, 'POST', o.signal);
  }

  replace<T extends KubeObject>(r: ResourceType, obj: KubeObject, subresource?: string, o: { signal?: AbortSignal } = {}): Promise<T> {
    return this.request<T>('PUT', resourcePath(r, obj.metadata.namespace, obj.metadata.name, subresource), { apiVersion: apiVersionOf(r), kind: r.kind, ...obj }, undefined, 'PUT', o.signal);
  }

  /** Server-side apply under our one field manager (force: we are the only writer of these fields). */
  apply<T extends KubeObject>(r: ResourceType, obj: KubeObject, subresource?: string): Promise<T> {
    const q = `?fieldManager=${FIELD_MANAGER}&force=true`;
    const path = resourcePath(r, obj.metadata.namespace, obj.metadata.name, subresource) + q;
    return this.request<T>('PATCH', path, { apiVersion: apiVersionOf(r), kind: r.kind, ...obj }, 'application/apply-patch+yaml', 'APPLY');
  }

  /** JSON merge patch; put metadata.resourceVersion in it for optimistic concurrency (409 on a race). Never creates. */
  mergePatch<T extends KubeObject>(r: ResourceType, namespace: string | undefined, name: string, patch: unknown, subresource?: string): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, namespace, name, subresource), patch, 'application/merge-patch+json');
  }

  /** JSON patch (RFC 6902). */
  jsonPatch<T extends KubeObject>(r: ResourceType, namespace: string | undefined, name: string, ops: unknown[]): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, namespace, name), ops, 'application/json-patch+json');
  }

  /** Deletes; a missing object counts as deleted. */
  async delete(r: ResourceType, namespace: string | undefined, name: string, opts: { uid?: string; propagation?: 'Background' | 'Foreground' } = {}): Promise<void> {
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: opts.propagation ?? 'Background', ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}) };
    try { await this.request('DELETE', resourcePath(r, namespace, name), body); } catch (e) { if (!isNotFound(e)) throw e; }
  }
}
