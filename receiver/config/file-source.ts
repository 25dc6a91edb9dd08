// Standalone mode's config source: reads the manifests at start (errors are fatal, so a typo fails fast),
// then watches them and re-applies on change (errors are logged and the running config kept).
import fs from 'node:fs';
import path from 'node:path';
import type { ReceiverConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { parseManifests, readManifestFiles } from '../../shared/api/manifests.ts';
import { compileManifests, type CompiledManifests, type SubscriptionToken } from './manifests.ts';

export interface FileSourceOptions {
  paths: string[];
  apply(cfg: ReceiverConfig): Promise<void>;
  logger: Logger;
  /** Called once per token minted by this process (no token Secret in the manifests), to show it to a person. */
  onMinted?(token: SubscriptionToken): void;
  debounceMs?: number;
}

export class ManifestSource {
  readonly #opts: FileSourceOptions;
  readonly #minted = new Map<string, string>();
  readonly #reported = new Set<string>();
  readonly #watchers: fs.FSWatcher[] = [];
  #debounce: NodeJS.Timeout | undefined;
  #current: CompiledManifests | undefined;

  constructor(opts: FileSourceOptions) { this.#opts = opts; }

  /** The last compiled manifests (tokens included, for `hookbridge dev` to hand to its connectors). */
  get current(): CompiledManifests | undefined { return this.#current; }

  load(): CompiledManifests {
    return compileManifests(parseManifests(readManifestFiles(this.#opts.paths)), this.#minted);
  }

  async start(): Promise<CompiledManifests> {
    const compiled = await this.#applyCompiled(this.load());
    for (const p of this.#opts.paths) this.#watch(p);
    return compiled;
  }

  close(): void {
    clearTimeout(this.#debounce);
    for (const w of this.#watchers.splice(0)) w.close();
  }

  /** Re-reads now; on any error the running configuration stays. */
  async reload(): Promise<void> {
    let compiled: CompiledManifests;
    try {
      compiled = this.load();
    } catch (err) {
      this.#opts.logger.error({ err: (err as Error).message }, 'manifests not reloaded; keeping the running configuration');
      return;
    }
    try {
      await this.#applyCompiled(compiled);
    } catch (err) {
      this.#opts.logger.error({ err: (err as Error).message }, 'applying reloaded manifests failed');
    }
  }

  async #applyCompiled(compiled: CompiledManifests): Promise<CompiledManifests> {
    for (const p of compiled.problems) this.#opts.logger.warn({ problem: p }, 'manifest problem');
    await this.#opts.apply(compiled.config);
    this.#current = compiled;
    this.#opts.logger.info({ channels: compiled.config.channels.length, paths: this.#opts.paths }, 'manifests applied');
    for (const t of compiled.tokens) {
      const key = `${t.subscription.namespace}/${t.subscription.name}`;
      if (!t.minted || this.#reported.has(key)) continue;
      this.#reported.add(key);
      this.#opts.onMinted?.(t);
    }
    return compiled;
  }

  #watch(p: string): void {
    const isDir = fs.statSync(p).isDirectory();
    const dir = isDir ? p : path.dirname(p);
    const base = path.basename(p);
    const w = fs.watch(dir, { recursive: isDir, persistent: false }, (_event, file) => {
      if (!isDir && file !== null && file !== base) return;
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => void this.reload(), this.#opts.debounceMs ?? 200);
    });
    w.on('error', (err) => this.#opts.logger.warn({ path: p, err: err.message }, 'watching manifests failed'));
    this.#watchers.push(w);
  }
}
