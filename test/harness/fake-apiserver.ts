// A plain-HTTP stand-in for kube-apiserver, for unit tests of what lists and watches (shared/kube/informer.ts,
// the receiver's config source) where the real one (test/harness/kube.ts) is not installed. It keeps one
// collection, answers LIST and WATCH (from a resourceVersion, replaying what happened since, as etcd does),
// filters by an equality label selector, and can go down (watches cut, requests answered 503) and come back.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../../shared/kube/client.ts';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface Event { rv: number; type: EventType; object: KubeObject }

const matches = (o: KubeObject, selector: string | null): boolean =>
  !selector || selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return o.metadata.labels?.[k] === v;
  });

export class FakeApiserver {
  readonly url: string;
  /** LIST requests answered (successfully or not). */
  lists = 0;
  readonly #server: http.Server;
  readonly #objects = new Map<string, KubeObject>();
  readonly #events: Event[] = [];
  readonly #watches = new Set<{ res: http.ServerResponse; selector: string | null }>();
  readonly #sockets = new Set<Socket>();
  #rv = 1;
  #up = true;

  private constructor(server: http.Server) {
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<FakeApiserver> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = new FakeApiserver(server);
    server.on('connection', (s) => { api.#sockets.add(s); s.on('close', () => api.#sockets.delete(s)); });
    server.on('request', (req, res) => api.#handle(req, res));
    return api;
  }

  /** A KubeConfig for this server (plain http needs skipTLSVerify). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake' }], contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }], currentContext: 'fake',
    });
    return kc;
  }

  /** The same as a kubeconfig file (removed by close()). */
  kubeconfigFile(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-apiserver-'));
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(file, this.kubeConfig().exportConfig());
    this.#files.push(dir);
    return file;
  }
  readonly #files: string[] = [];

  /** Creates or replaces an object (by namespace/name), telling the watches. */
  put(obj: KubeObject): void {
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const type: EventType = this.#objects.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } };
    this.#objects.set(key, stored);
    this.#emit({ rv: this.#rv, type, object: stored });
  }

  remove(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const obj = this.#objects.get(key);
    if (!obj) return;
    this.#objects.delete(key);
    this.#emit({ rv: ++this.#rv, type: 'DELETED', object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.#rv) } } });
  }

  /** Removes an object without any event: what a watch that missed a deletion sees (only a re-list notices). */
  vanish(namespace: string, name: string): void {
    this.#objects.delete(`${namespace}/${name}`);
    this.#rv++;
  }

  /** An outage: open watches are cut and every request is answered 503 until up(). */
  down(): void {
    this.#up = false;
    for (const w of this.#watches) w.res.destroy();
    this.#watches.clear();
  }

  up(): void { this.#up = true; }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const dir of this.#files) fs.rmSync(dir, { recursive: true, force: true });
  }

  #emit(e: Event): void {
    this.#events.push(e);
    for (const w of this.#watches) if (matches(e.object, w.selector)) w.res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const selector = url.searchParams.get('labelSelector');
    const watching = url.searchParams.get('watch') === 'true';
    if (!watching) this.lists++;
    if (!this.#up) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ reason: 'ServiceUnavailable', message: 'down' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    if (!watching) {
      const items = [...this.#objects.values()].filter((o) => matches(o, selector));
      res.end(JSON.stringify({ metadata: { resourceVersion: String(this.#rv) }, items }));
      return;
    }
    res.flushHeaders(); // a watch answers at once, as the apiserver does; events follow as they happen
    const from = Number(url.searchParams.get('resourceVersion') ?? this.#rv);
    for (const e of this.#events) if (e.rv > from && matches(e.object, selector)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const w = { res, selector };
    this.#watches.add(w);
    req.on('close', () => this.#watches.delete(w));
  }
}
