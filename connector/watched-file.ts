// A small file whose contents can change under us: the stream token and signing secrets. Kubelet swaps a
// mounted Secret by writing a new timestamped directory and renaming the `..data` symlink, so we watch
// the *directory* (fs.watch on the file itself would keep watching the old inode) and also poll, because
// fs.watch is best effort (network filesystems, a directory that does not exist yet). In a projected
// volume the swapped `..data` link sits at the volume root, above the file's own directory (which is
// reached through a `secrets -> ..data/secrets` link), so every directory up to `root` is watched.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

export class WatchedFile {
  readonly path: string;
  #value: string | undefined;
  #watchers: FSWatcher[] = [];
  readonly #root: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  readonly #pollMs: number;
  readonly #listeners = new Set<(value: string) => void>();
  #stopped = true;
  #attempted = false;

  /** `root`: the volume's mount point (the connector's --secrets-dir); directories up to it are watched. */
  constructor(path: string, opts: { pollMs?: number; root?: string } = {}) {
    this.path = path;
    this.#pollMs = opts.pollMs ?? 10_000;
    this.#root = opts.root;
  }

  /** The last value read (trimmed), or undefined if the file could not be read yet. */
  current(): string | undefined { return this.#value; }

  /** Read the file now; notifies listeners when the value changed. Throws if it cannot be read. */
  async read(): Promise<string> {
    const first = !this.#attempted;
    this.#attempted = true;
    const v = (await readFile(this.path, 'utf8')).trim();
    const changed = !first && v !== this.#value;
    this.#value = v;
    if (changed) for (const l of this.#listeners) l(v);
    return v;
  }

  onChange(listener: (value: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tryWatch();
    this.#timer = setInterval(() => { this.#tryWatch(); this.#check(); }, this.#pollMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#closeWatchers();
    if (this.#timer) clearInterval(this.#timer);
    if (this.#debounce) clearTimeout(this.#debounce);
  }

  #check(): void { this.read().catch(() => {}); }

  /** The file's directory and, when it lies under `root`, every directory up to and including root. */
  #directories(): string[] {
    const dirs = [dirname(this.path)];
    if (!this.#root) return dirs;
    const root = resolve(this.#root);
    const rel = relative(root, dirs[0]);
    if (rel.startsWith('..') || rel === dirs[0]) return dirs;
    for (let d = dirs[0]; d !== root && dirname(d) !== d;) { d = dirname(d); dirs.push(d); }
    return dirs;
  }

  #closeWatchers(): void {
    for (const w of this.#watchers.splice(0)) w.close();
  }

  #tryWatch(): void {
    if (this.#watchers.length > 0 || this.#stopped) return;
    try {
      for (const dir of this.#directories()) {
        const w = watch(dir, { persistent: false }, () => {
          if (this.#debounce) clearTimeout(this.#debounce);
          this.#debounce = setTimeout(() => this.#check(), 25);
        });
        // A watched directory that went away (an old ..data target): watch again on the next poll.
        w.on('error', () => this.#closeWatchers());
        this.#watchers.push(w);
      }
    } catch {
      this.#closeWatchers(); // a directory is not there yet: the poll keeps trying
    }
  }
}
