// A small stand-in for the kubelet (no pods run on the test apiserver): reads the connector Deployment the
// operator wrote, materialises its ConfigMap, Secret and projected volumes into local directories in the
// kubelet's atomic-writer layout (`..data` symlink swap, via connector/testing/kubelet-secret.ts), keeps
// them in sync by polling the API like the kubelet's periodic volume sync, and translates the container's
// args from mount paths to those directories — so the connector runs from exactly what is in the API.
import fs from 'node:fs';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Volume } from '@kubernetes/client-node';
import { writeProjectedVolume } from '../../../connector/testing/kubelet-secret.ts';

type Items = Record<string, string>;
interface Source { kind: 'secret' | 'configMap'; name: string; items?: { key: string; path: string }[]; optional?: boolean }

export interface KubeletOptions {
  kubeconfig: string;
  namespace: string;
  deployment: string;
  /** Local directory under which each volume gets `<root>/<volume name>`. */
  root: string;
  pollMs?: number;
}

export interface VolumeWrite { volume: string; at: number; paths: string[] }

export class Kubelet {
  /** The container's args with mount paths translated to the local volume directories. */
  args: string[] = [];
  /** Every (re)write of a volume, in order. */
  readonly writes: VolumeWrite[] = [];
  readonly #o: Required<KubeletOptions>;
  readonly #core: CoreV1Api;
  readonly #apps: AppsV1Api;
  readonly #volumes = new Map<string, { dir: string; sources: Source[]; last?: string }>();
  #timer?: NodeJS.Timeout;
  #loop?: Promise<void>;
  #stopped = false;
  lastError?: string;

  constructor(o: KubeletOptions) {
    this.#o = { pollMs: 250, ...o };
    const kc = new KubeConfig();
    kc.loadFromFile(o.kubeconfig);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#apps = kc.makeApiClient(AppsV1Api);
  }

  /** Reads the pod template, writes every volume once (all referenced objects must exist), then keeps syncing. */
  async start(): Promise<void> {
    const dep = await this.#apps.readNamespacedDeployment({ name: this.#o.deployment, namespace: this.#o.namespace });
    const pod = dep.spec?.template.spec;
    const container = pod?.containers[0];
    if (!pod || !container) throw new Error(`deployment ${this.#o.deployment} has no container`);
    const mounts: [string, string][] = [];
    for (const m of container.volumeMounts ?? []) {
      const vol = pod.volumes?.find((v) => v.name === m.name);
      if (!vol) throw new Error(`volumeMount ${m.name} has no volume`);
      const dir = path.join(this.#o.root, m.name);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      mounts.push([m.mountPath, dir]);
      const sources = sourcesOf(vol);
      if (sources.length > 0) this.#volumes.set(m.name, { dir, sources });
    }
    // Longest mount path first, so /a/b wins over /a.
    mounts.sort(([a], [b]) => b.length - a.length);
    this.args = (container.args ?? []).map((arg) => {
      const hit = mounts.find(([mp]) => arg === mp || arg.startsWith(`${mp}/`));
      return hit ? hit[1] + arg.slice(hit[0].length) : arg;
    });
    await this.syncOnce(true);
    const tick = (): void => {
      this.#loop = this.syncOnce(false)
        .then(() => { this.lastError = undefined; }, (err: Error) => { this.lastError = err.message; })
        .then(() => { if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.pollMs); });
    };
    this.#timer = setTimeout(tick, this.#o.pollMs);
  }

  /** Rewrites each volume whose content in the API differs from what is on disk. */
  async syncOnce(strict: boolean): Promise<void> {
    for (const [name, v] of this.#volumes) {
      const items = await this.#items(v.sources, strict);
      if (!items) continue; // a source is missing: like the kubelet, keep the last good content
      const text = JSON.stringify(Object.entries(items).sort(([a], [b]) => a.localeCompare(b)));
      if (text === v.last) continue;
      writeProjectedVolume(v.dir, items);
      v.last = text;
      this.writes.push({ volume: name, at: Date.now(), paths: Object.keys(items) });
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#loop;
  }

  async #items(sources: Source[], strict: boolean): Promise<Items | undefined> {
    const out: Items = {};
    for (const s of sources) {
      const data = await this.#read(s);
      if (data === undefined) {
        if (s.optional) continue;
        if (strict) throw new Error(`${s.kind} ${this.#o.namespace}/${s.name} not found`);
        return undefined;
      }
      const items = s.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const { key, path: p } of items) {
        if (data[key] === undefined) {
          if (strict) throw new Error(`${s.kind} ${s.name} has no key ${key}`);
          return undefined;
        }
        out[p] = data[key];
      }
    }
    return out;
  }

  async #read(s: Source): Promise<Record<string, string> | undefined> {
    const ref = { name: s.name, namespace: this.#o.namespace };
    try {
      if (s.kind === 'configMap') return (await this.#core.readNamespacedConfigMap(ref)).data ?? {};
      const data = (await this.#core.readNamespacedSecret(ref)).data ?? {};
      return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
}

function sourcesOf(v: V1Volume): Source[] {
  if (v.configMap) return [{ kind: 'configMap', name: v.configMap.name ?? '', items: v.configMap.items, optional: v.configMap.optional }];
  if (v.secret) return [{ kind: 'secret', name: v.secret.secretName ?? '', items: v.secret.items, optional: v.secret.optional }];
  if (v.projected) {
    return (v.projected.sources ?? []).flatMap((p): Source[] => {
      if (p.secret) return [{ kind: 'secret', name: p.secret.name ?? '', items: p.secret.items, optional: p.secret.optional }];
      if (p.configMap) return [{ kind: 'configMap', name: p.configMap.name ?? '', items: p.configMap.items, optional: p.configMap.optional }];
      throw new Error(`projected volume ${v.name}: only secret and configMap sources are supported here`);
    });
  }
  if (v.emptyDir) return [];
  throw new Error(`volume ${v.name}: unsupported type`);
}
