// A small file whose contents can change under us: the stream token and signing secrets. Kubelet swaps a
// mounted Secret by writing a new timestamped directory and renaming the `..data` symlink, so we watch
// the *directory* (fs.watch on the file itself would keep watching the old inode) and also poll, because
// fs.watch is best effort (network filesystems, a directory that does not exist yet).
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export class WatchedFile {
  readonly path: string;
  private value: string | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly pollMs: number;
  private readonly listeners = new Set<(value: string) => void>();
  private stopped = true;
  private attempted = false;

  constructor(path: string, opts: { pollMs?: number } = {}) {
    this.path = path;
    this.pollMs = opts.pollMs ?? 10_000;
  }

  /** The last value read (trimmed), or undefined if the file could not be read yet. */
  current(): string | undefined { return this.value; }

  /** Read the file now; notifies listeners when the value changed. Throws if it cannot be read. */
  async read(): Promise<string> {
    const first = !this.attempted;
    this.attempted = true;
    const v = (await readFile(this.path, 'utf8')).trim();
    const changed = !first && v !== this.value;
    this.value = v;
    if (changed) for (const l of this.listeners) l(v);
    return v;
  }

  onChange(listener: (value: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tryWatch();
    this.timer = setInterval(() => { this.tryWatch(); this.check(); }, this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
  }

  private check(): void { this.read().catch(() => {}); }

  private tryWatch(): void {
    if (this.watcher || this.stopped) return;
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, () => {
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.check(), 25);
      });
      this.watcher.on('error', () => { this.watcher?.close(); this.watcher = undefined; });
    } catch {
      this.watcher = undefined; // directory not there yet: the poll keeps trying
    }
  }
}
